"""The JSON text landing writes a payload as (`landing.payload_json`): the fast encoder where it
writes what `json.dumps` wrote, and `json.dumps`'s own text where they would differ in what
lands (a non-finite number, which jsonb refuses: the batch fails, it never lands as null)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from social_crm.load.landing import payload_json

# JSON as Python's parser can give it (`1e400` parses as inf, `NaN` as nan, escapes as any
# code point, lone surrogates included)
TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _python_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@given(JSON)
def test_a_payload_reads_back_as_the_value_it_was(value):
    if _finite(value):
        assert json.loads(payload_json(value)) == value


@given(JSON)
def test_a_payload_with_a_non_finite_number_is_written_as_python_wrote_it(value):
    if not _finite(value):
        assert payload_json(value) == _python_text(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_number_keeps_its_exact_value(number):
    assert json.loads(payload_json({"n": number}))["n"] == number


def test_nan_is_never_written_as_null():
    assert payload_json({"n": math.nan}) == '{"n":NaN}'
