"""The one rule of what the warehouse can store (`records.unstorable`), against real
PostgreSQL: whatever JSON a source hands us, a value the rule passes lands in jsonb as the
landing writes it, and the quarantined text of one it refuses lands in text."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.records import quarantine_text, unstorable
from social_crm.load.landing import payload_json
from tests.databases import new_database

pytestmark = pytest.mark.integration

# JSON as Python's parser can give it: any text (NUL and lone surrogates included, as
# `\u0000` and `\ud83d` escapes parse), any float (`1e400` parses as inf)
TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
ODD = [float("inf"), float("-inf"), float("nan"), "a\x00b", "cut \ud83d", "\ude0d"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.sampled_from(ODD),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def conn(warehouse_url):
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq(), autocommit=True) as connection:
            yield connection


@SETTINGS
@given(value=JSON)
def test_a_value_the_rule_passes_is_stored_in_jsonb(conn, value):
    if unstorable(value) is None:
        conn.execute("select %s::jsonb", (payload_json(value),))


@SETTINGS
@given(value=JSON)
def test_the_quarantined_text_of_any_value_is_stored(conn, value):
    text = quarantine_text(value)
    assert unstorable(text) is None
    assert conn.execute("select %s::text", (text,)).fetchone()[0] == text
