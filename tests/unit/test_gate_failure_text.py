"""A failed expectation is described from what Great Expectations returned: the table, column,
check and observed value, and still the table and result when GX returned no expectation
configuration with the result (instead of an AttributeError that hides every failure)."""

import pytest
from great_expectations.core import ExpectationValidationResult
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from hypothesis import given
from hypothesis import strategies as st

from social_crm.quality.gate import _describe

NAMES = st.from_regex(r"[a-z_]{1,20}", fullmatch=True)


@given(table=NAMES, column=NAMES, observed=st.integers())
def test_a_failure_names_the_table_column_check_and_observed_value(table, column, observed):
    outcome = ExpectationValidationResult(
        success=False,
        expectation_config=ExpectationConfiguration(
            type="expect_column_max_to_be_between", kwargs={"column": column, "max_value": 1}
        ),
        result={"observed_value": observed},
    )
    text = _describe(table, outcome)
    assert text.startswith(f"{table}.{column}: ")
    assert "expect_column_max_to_be_between" in text
    assert f"observed: {observed};" in text


@pytest.mark.parametrize("result", [{"observed_value": 7}, {}])
def test_a_failure_without_its_expectation_still_names_the_table_and_result(result):
    outcome = ExpectationValidationResult(success=False, result=result)
    assert outcome.expectation_config is None
    assert _describe("marts_build.people", outcome) == (
        f"marts_build.people: an expectation failed (result: {result})"
    )
