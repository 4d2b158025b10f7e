"""The follower-count rule is one rule: the staging models read a count by the dbt macro
whole_count (PostgreSQL), the X extractor by quality/rules.py's whole_count (Python); both take
a JSON number the same way (a whole number from 0 to ten billion, else unknown)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm import warehouse
from social_crm.quality import rules

MACRO = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "whole_count.sql"

pytestmark = pytest.mark.integration

NUMBERS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [0, 1, 10**10, 10**10 + 1, 10**10 + 0.0, 2**53, 10**15, 10**20, 1500.0, 1500.5, -1, -0.0]
    ),
)


def _macro_sql(text: str) -> str:
    template = jinja2.Environment().from_string(MACRO.read_text() + "{{ whole_count(arg) }}")
    return template.render(arg=text)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=NUMBERS)
def test_the_staging_macro_and_the_python_rule_agree_on_a_json_count(warehouse_url, value):
    with warehouse.connect() as conn:
        found = conn.execute(
            "with v (t) as (select %s::jsonb ->> 'n') select "  # noqa: S608 - the macro's text
            + _macro_sql("t")
            + " from v",
            (json.dumps({"n": value}),),
        ).fetchone()[0]
    assert found == rules.whole_count(json.loads(json.dumps(value)))
