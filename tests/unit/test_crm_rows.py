"""A CRM row is landed or refused with a reason, never a crash; and what lands is what the
gates accept: ASCII numbers, amounts the staging casts take, moments the raw gate does not
call future."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract.crm import FILES, InvalidRow, customer_record, order_record
from social_crm.quality import rules
from tests.hostile_files import budget, moments, near, rows

SPECS = {spec.entity: spec for spec in FILES}
ASCII_AMOUNT = re.compile(r"[0-9.eE+-]+")


@pytest.mark.parametrize("entity", list(SPECS))
@budget(100)
@given(data=st.data())
def test_a_row_parser_refuses_a_row_only_with_a_reason(entity, data):
    spec = SPECS[entity]
    row = data.draw(rows(spec))
    try:
        spec.parse(row)
    except InvalidRow as exc:
        assert str(exc)


@pytest.mark.parametrize("birth_year", ["²", "１９８０", "١٩٨٠", "--1980", "1_980", "𝟏𝟗𝟖𝟎"])
def test_a_birth_year_in_other_digits_is_refused_with_a_reason(birth_year):
    row = {
        "customer_id": "C1",
        "email": "a@b.no",
        "birth_year": birth_year,
        "marketing_opt_in": "true",
        "profiling_opt_out": "false",
    }
    with pytest.raises(InvalidRow, match="birth_year .* is not a whole number"):
        customer_record(row)


@pytest.mark.parametrize("amount", ["١٢.٥٠", "1_000", "１２", "12.5²", "+-1", "1e5_0"])
def test_an_amount_in_other_digits_is_refused_with_a_reason(amount):
    row = {"order_id": "O1", "customer_id": "C1", "ordered_at": "2026-04-01T10:00:00Z"}
    with pytest.raises(InvalidRow, match="amount .* is not a number"):
        order_record({**row, "amount": amount})


@budget(300)
@given(st.one_of(near(st.integers(-10, 3000).map(str)), st.text(max_size=6)))
def test_a_whole_number_is_ascii_digits_only(text):
    try:
        number = rules.whole_number(text)
    except ValueError:
        assert not re.fullmatch(r"-?[0-9]{1,18}", text)
    else:
        assert text.isascii() and number == int(text)


@budget(300)
@given(near(st.decimals(-100, 10**7, places=3, allow_nan=False).map(str)))
def test_an_amount_is_what_the_staging_cast_and_tests_accept(text):
    """numeric(12, 2) without rounding, not negative (dbt's non_negative), below MAX_AMOUNT."""
    try:
        value = rules.amount(text)
    except ValueError:
        return
    assert text.isascii() and "_" not in text and ASCII_AMOUNT.fullmatch(text.strip())
    assert Decimal(0) <= value < rules.MAX_AMOUNT < Decimal(10) ** 10
    assert value == value.quantize(Decimal("0.01"))


@budget(300)
@given(moments(datetime.now(UTC)))
def test_a_landed_moment_is_one_the_raw_gate_accepts(text):
    row = {"order_id": "O1", "customer_id": "C1", "ordered_at": text, "amount": "1.00"}
    try:
        record = order_record(row)
    except InvalidRow:
        return
    assert rules.EARLIEST <= record.event_at <= datetime.now(UTC) + rules.CLOCK_SKEW
    assert abs(record.event_at.utcoffset()) <= timedelta(hours=14)


@pytest.mark.parametrize("hours, lands", [(-2, True), (0.5, True), (2, False), (5, False)])
def test_an_order_lands_only_within_the_raw_gates_clock_skew(hours, lands):
    at = (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
    row = {"order_id": "O1", "customer_id": "C1", "ordered_at": at, "amount": "1.00"}
    if lands:
        assert order_record(row).event_at is not None
    else:
        with pytest.raises(InvalidRow, match="ordered_at .* is in the future"):
            order_record(row)


def test_the_raw_gate_and_the_load_read_one_clock_skew():
    from social_crm.quality import raw_suites

    seconds = int(rules.CLOCK_SKEW.total_seconds())
    assert f"event_at > now() + interval '{seconds} seconds'" in raw_suites.IN_FUTURE
