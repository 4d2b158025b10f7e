"""The raw gate's check of the CRM's known accounts (quality/raw_suites.py) renders the load's
handle rules (rules.HANDLES) in SQL: on real PostgreSQL, a handle the load lets in passes the
gate, and one it refuses fails it, for X handles and Instagram usernames alike."""

import string
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.quality import raw_suites, rules

pytestmark = pytest.mark.integration

# handles near the rules' edges: their characters and a few others, around their lengths
CHARS = st.sampled_from(list("aZ09._-@ \n") + ["é", "１", "ß"])
HANDLES = st.lists(CHARS, min_size=0, max_size=32).map("".join)


@pytest.fixture(scope="module")
def conn(warehouse_url) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url.libpq(), autocommit=True) as connection:
        yield connection


@given(platform=st.sampled_from([*rules.HANDLES, "facebook"]), handle=HANDLES)
def test_the_gate_refuses_exactly_the_handles_the_load_refuses(conn, platform, handle):
    refused = conn.execute(
        "select " + rules.handle_problem_sql("%(platform)s::text", "%(handle)s::text"),
        {"platform": platform, "handle": handle},
    ).fetchone()[0]
    allowed = platform in rules.HANDLES and rules.HANDLES[platform].match(handle) is not None
    assert refused == (not allowed)


def test_a_row_without_a_handle_passes_the_gate(conn):
    condition = rules.handle_problem_sql("'instagram'::text", "null::text")
    assert conn.execute(f"select {condition}").fetchone()[0] is False


def test_the_raw_gates_handle_check_has_no_placeholder_but_the_batch(conn):
    # Great Expectations fills `{batch}` and refuses any other brace: the rule's `{1,30}`
    fields = {f for _, f, _, _ in string.Formatter().parse(raw_suites.BAD_HANDLES) if f}
    assert fields == {"batch"}
    rows = raw_suites.BAD_HANDLES.format(batch="raw.crm_customer_social_accounts")
    assert conn.execute(rows).fetchall() == []
