"""Expectations on the marts in `marts_build`: what BI may rely on once they are published."""

from __future__ import annotations

from types import ModuleType

from social_crm import catalog

SEGMENTS = ["advocate", "detractor", "discount_seeker", "idea_contributor", "at_risk", "silent_fan"]
CLV_COMPONENTS = (
    "expected_purchases",
    "expected_purchases_low",
    "expected_purchases_high",
    "expected_order_value",
    "predicted_clv",
    "predicted_clv_low",
    "predicted_clv_high",
    "influence_x_network",
    "influence_x_community",
    "clv_from_network",
    "clv_from_community",
    "clv_from_ideas",
    "idea_sales",
    "social_clv",
)


def mart_suites(
    gx: ModuleType,
    schema: str = "marts_build",
    social_connected: bool = True,
) -> dict[tuple[str, str], list]:
    """(schema, table) -> expectations; `gx` is the great_expectations module (imported lazily:
    importing it takes seconds). Before any social source has landed a row
    (`social_connected` False), the marts built from social data only (catalog.Mart.social)
    may be empty: their row-count minimum is left out."""
    e = gx.expectations
    suites = {
        "people": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="person_id"),
            e.ExpectColumnValuesToNotBeNull(column="person_id"),
            e.ExpectColumnValuesToBeBetween(column="influence", min_value=0),
            e.ExpectColumnValuesToBeBetween(column="network_size", min_value=0),
        ],
        "engagements": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="engagement_id"),
            e.ExpectColumnValuesToBeInSet(column="platform", value_set=list(catalog.PLATFORMS)),
        ],
        "customer_lifetime_value": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="customer_id"),
            *[e.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in CLV_COMPONENTS],
        ],
        "clv_calibration_by_frequency": [
            # the holdout's predicted purchases far from the actual ones (dbt vars
            # clv_max_holdout_error, clv_min_holdout_purchases): the model does not describe
            # these customers, and its CLV must not reach BI
            e.ExpectColumnValuesToBeInSet(column="holdout_far_off", value_set=[False]),
            e.ExpectColumnValuesToBeBetween(column="predicted_purchases", min_value=0),
        ],
        "people_segments": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeInSet(column="segment", value_set=SEGMENTS),
            e.ExpectColumnValuesToNotBeNull(column="reason"),
            e.UnexpectedRowsExpectation(
                description="every person in a segment exists in people",
                unexpected_rows_query=(
                    "select person_id from {batch} where person_id not in"  # noqa: S608
                    f" (select d.person_id from {schema}.people as d)"
                ),
            ),
        ],
        "brand_daily_metrics": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            *[
                e.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
                for c in ("share_of_voice", "instagram_share_of_voice")
            ],
        ],
        "brand_response_times_daily": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeBetween(column="sla_breached_share", min_value=0, max_value=1),
            e.ExpectColumnValuesToBeInSet(column="priority", value_set=["high", "normal", "low"]),
            e.ExpectColumnValuesToBeInSet(column="channel", value_set=list(catalog.PLATFORMS)),
        ],
        # the semantic layer's time spine: every day of its span, 2015 to 2040
        "calendar_days": [e.ExpectTableRowCountToEqual(value=9497)],
        "identity_review_queue": [
            # an empty queue is good news: no row count minimum
            e.ExpectColumnValuesToBeBetween(column="match_probability", min_value=0, max_value=1),
            e.ExpectColumnValuesToBeInSet(column="platform", value_set=list(catalog.PLATFORMS)),
        ],
        "open_conversations": [
            # an empty queue is good news: no row count minimum
            e.ExpectColumnValuesToBeInSet(column="priority", value_set=["high", "normal", "low"]),
            e.ExpectColumnValuesToBeBetween(column="waited_business_seconds", min_value=0),
            e.ExpectColumnValuesToBeUnique(column="message_id"),
            e.ExpectColumnValuesToMatchRegex(column="message_url", regex=r"^https://"),
            e.ExpectColumnValuesToBeInSet(column="channel", value_set=list(catalog.PLATFORMS)),
        ],
        "customer_messages": [
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeBetween(column="first_response_seconds", min_value=0),
            e.ExpectColumnValuesToBeInSet(column="channel", value_set=list(catalog.PLATFORMS)),
        ],
    }
    if not social_connected:
        social = {mart.name for mart in catalog.MARTS if mart.social}
        for table in social:
            suites[table] = [
                x for x in suites[table] if not isinstance(x, e.ExpectTableRowCountToBeBetween)
            ]
    return {(schema, table): expectations for table, expectations in suites.items()}
