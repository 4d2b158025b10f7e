"""The quality gate: Great Expectations suites, built in code, run on `marts_build` before
anything is published. A failure names every failed expectation (table, column, check,
observed value) so the person on call knows what to look at."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from social_crm.warehouse import WarehouseUrl

log = logging.getLogger(__name__)

SEGMENTS = ["advocate", "detractor", "discount_seeker", "idea_contributor", "at_risk", "silent_fan"]


class QualityGateError(RuntimeError):
    pass


@dataclass
class GateResult:
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def mart_suites(gx) -> dict[str, list]:  # noqa: ANN001 - the great_expectations module
    """Table -> expectations for the marts (built lazily: importing GX takes seconds)."""
    e = gx.expectations
    return {
        "dim_customers": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="person_id"),
            e.ExpectColumnValuesToNotBeNull(column="person_id"),
            e.ExpectColumnValuesToBeBetween(column="influence", min_value=0),
            e.ExpectColumnValuesToBeBetween(column="network_size", min_value=0),
        ],
        "fct_social_engagements": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="engagement_id"),
            e.ExpectColumnValuesToBeInSet(column="platform", value_set=["facebook", "x"]),
        ],
        "customer_lifetime_value": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="customer_id"),
            *[
                e.ExpectColumnValuesToBeBetween(column=c, min_value=0)
                for c in (
                    "expected_purchases",
                    "expected_order_value",
                    "predicted_clv",
                    "influence_x_network",
                    "influence_x_community",
                    "idea_sales",
                    "social_clv",
                )
            ],
        ],
        "customer_segments": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeInSet(column="segment", value_set=SEGMENTS),
            e.ExpectColumnValuesToNotBeNull(column="reason"),
            e.UnexpectedRowsExpectation(
                description="every person in a segment exists in dim_customers",
                unexpected_rows_query=(
                    "select person_id from {batch} where person_id not in"
                    " (select d.person_id from marts_build.dim_customers as d)"
                ),
            ),
        ],
        "brand_daily_metrics": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeBetween(column="share_of_voice", min_value=0, max_value=1),
        ],
        "response_times": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeBetween(column="first_response_seconds", min_value=0),
        ],
    }


def validate_marts(url: WarehouseUrl, schema: str = "marts_build") -> GateResult:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres(
        "warehouse", connection_string=url.sqlalchemy(driver="psycopg2")
    )
    result = GateResult()
    for table, expectations in mart_suites(gx).items():
        batch = source.add_table_asset(
            table, table_name=table, schema_name=schema
        ).add_batch_definition_whole_table("whole table")
        suite = context.suites.add(gx.ExpectationSuite(name=f"{schema}.{table}"))
        for expectation in expectations:
            suite.add_expectation(expectation)
        run = context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=f"validate {table}")
        ).run()
        for outcome in run.results:
            result.checked += 1
            if not outcome.success:
                result.failures.append(_describe(f"{schema}.{table}", outcome))
    log.info("quality gate: %d expectations, %d failed", result.checked, len(result.failures))
    return result


def _describe(table: str, outcome) -> str:  # noqa: ANN001 - a GX ExpectationValidationResult
    config = outcome.expectation_config
    column = config.kwargs.get("column")
    where = f"{table}.{column}" if column else table
    details = outcome.result or {}
    errors = [
        info.get("exception_message", "")
        for info in (outcome.exception_info or {}).values()
        if isinstance(info, dict) and info.get("raised_exception")
    ]
    if errors:
        return f"{where}: {config.type} could not run: {errors[0].splitlines()[0]}"
    observed = details.get("observed_value", details.get("unexpected_count"))
    sample = details.get("partial_unexpected_list") or details.get("details", {})
    return f"{where}: {config.type} failed (observed: {observed}; examples: {str(sample)[:200]})"


def require_valid_marts(url: WarehouseUrl) -> int:
    result = validate_marts(url)
    if not result.passed:
        raise QualityGateError(
            "quality gate failed, marts not published; failed expectations:\n  "
            + "\n  ".join(result.failures)
        )
    return result.checked
