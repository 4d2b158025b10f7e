"""What the quality gate writes to its task log: one line per table (checks, rows, verdict,
page), its first failures with their values, and no INFO chatter of Great Expectations while
its warnings and errors still come through."""

import logging

from great_expectations.core import ExpectationValidationResult
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from hypothesis import given
from hypothesis import strategies as st

from social_crm.quality import gate


def _outcome(success: bool, rows: int, value: int = 0) -> ExpectationValidationResult:
    return ExpectationValidationResult(
        success=success,
        expectation_config=ExpectationConfiguration(
            type="expect_column_values_to_be_between", kwargs={"column": "amount", "min_value": 0}
        ),
        result={"element_count": rows, "unexpected_count": 1, "partial_unexpected_list": [value]},
    )


@given(rows=st.integers(0, 10**7), passed=st.integers(0, 8))
def test_a_passing_table_is_one_line_with_its_checks_rows_and_page(rows, passed):
    results = [_outcome(True, rows) for _ in range(passed)]
    lines = gate._table_lines("raw.crm_orders", results, [], "validations/x.html")
    assert lines == [
        f"raw.crm_orders: {passed} expectations on "
        + (f"{rows:,} rows" if passed else "rows not counted")
        + ", passed; page: validations/x.html"
    ]


@given(failed=st.integers(1, 12), value=st.integers(-(10**6), -1))
def test_a_failing_table_shows_its_first_failures_with_their_values(failed, value):
    results = [_outcome(False, 50, value) for _ in range(failed)]
    failures = [gate._describe("raw.crm_orders", outcome) for outcome in results]
    lines = gate._table_lines("raw.crm_orders", results, failures, "")
    assert lines[0] == f"raw.crm_orders: {failed} expectations on 50 rows, {failed} FAILED"
    shown = min(failed, gate.MAX_FAILURES_LOGGED)
    assert all(f"examples: [{value}]" in line for line in lines[1 : 1 + shown])
    assert len(lines) == 1 + shown + (failed > gate.MAX_FAILURES_LOGGED)


def test_great_expectations_info_is_quiet_and_its_warnings_are_not():
    loud = logging.getLogger("great_expectations.data_context.types.base")
    loud.setLevel(logging.INFO)  # as that module does at import
    gate.quiet_library_loggers()
    for name in ("great_expectations", "great_expectations.expectations.expectation", loud.name):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
        assert logger.isEnabledFor(logging.WARNING), name
