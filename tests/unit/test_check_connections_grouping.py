"""`check_connections.grouped`: one line per cause. Failures of a connection with the same
detail become one line naming the checks; every other line is kept, in its order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from social_crm.check_connections import GROUP_NAMES_SHOWN, Finding, grouped

findings = st.lists(
    st.builds(
        Finding,
        connection=st.sampled_from(["facebook_graph", "instagram_graph", "x_api"]),
        what=st.text(min_size=1, max_size=12),
        ok=st.booleans(),
        detail=st.sampled_from(["token refused", "(#100) not a metric", "403: not in tier"]),
    ),
    max_size=40,
)


@given(findings)
def test_each_cause_of_failure_is_one_line(found):
    failed = [(f.connection, f.detail) for f in grouped(found) if not f.ok]
    assert sorted(failed) == sorted({(f.connection, f.detail) for f in found if not f.ok})


@given(findings)
def test_lines_that_pass_are_kept_in_their_order(found):
    assert [f for f in grouped(found) if f.ok] == [f for f in found if f.ok]


@given(findings)
def test_a_grouped_line_counts_every_check_it_stands_for(found):
    for line in grouped(found):
        same = [
            f.what
            for f in found
            if not f.ok and (f.connection, f.detail) == (line.connection, line.detail)
        ]
        if line.ok or len(same) == 1:
            continue
        assert line.what.startswith(f"{len(same)} checks (")
        assert all(what in line.what for what in same[:GROUP_NAMES_SHOWN])
