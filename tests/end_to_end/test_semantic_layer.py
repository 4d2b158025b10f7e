"""The semantic layer (docs/metrics.md): MetricFlow answers every metric on the built
warehouse, as the BI login reads it (role bi_reader: `marts` only), and each answer equals the
figure computed directly from the mart it summarises."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from social_crm.transform import dbt_runner

# the dbt var the semantic layer's manifest is parsed with (dbt_project.yml, docs/metrics.md)
SEMANTIC_LAYER_VARS = "{marts_schema: marts}"

BRAND_DAYS = "marts.brand_daily_metrics"


class _SqlTextClient:
    """What MetricFlow needs to write PostgreSQL: its engine and renderer (the test runs the
    SQL itself, as bi_reader)."""

    @property
    def sql_engine_type(self):
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.POSTGRES

    @property
    def sql_plan_renderer(self):
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

        return PostgresSQLSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"%({bind_parameter_key})s"

    def query(self, *args, **kwargs):
        raise NotImplementedError("the test runs MetricFlow's SQL itself")

    execute = dry_run = query

    def close(self) -> None:
        pass


@dataclass
class SemanticLayer:
    engine: object
    metrics: set[str]  # every metric the manifest defines
    connect: Callable[[], psycopg.Connection]

    def sql(self, metric: str, group_by: tuple[str, ...]) -> str:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(metric_names=[metric], group_by_names=group_by)
        statement = self.engine.explain(request).sql_statement
        assert not statement.bind_parameter_set.param_items
        return statement.sql

    def answer(self, metric: str, group_by: tuple[str, ...]) -> dict[tuple, object]:
        """The metric by `group_by`, as the BI login gets it."""
        with self.connect() as conn:
            conn.execute("set role bi_reader")
            cursor = conn.execute(self.sql(metric, group_by))
            names = [column.name for column in cursor.description]
            rows = cursor.fetchall()
        value = names.index(metric)
        return {tuple(row[i] for i in range(len(row)) if i != value): row[value] for row in rows}


@pytest.fixture(scope="module")
def semantic_layer(built, tmp_path_factory) -> SemanticLayer:
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    pipeline, _ = built
    target = tmp_path_factory.mktemp("semantic_target")
    dbt_runner.run(
        "parse",
        "--vars",
        SEMANTIC_LAYER_VARS,
        "--target-path",
        str(target),
        "--no-partial-parse",
        "--quiet",
    )
    manifest = parse_manifest_from_dbt_generated_manifest(
        Path(target, "semantic_manifest.json").read_text(encoding="utf-8")
    )
    engine = MetricFlowEngine(SemanticManifestLookup(manifest), _SqlTextClient())
    return SemanticLayer(engine, {metric.name for metric in manifest.metrics}, pipeline.connect)


def _by_key(rows: list[tuple]) -> dict[tuple, object]:
    return {tuple(row[:-1]): row[-1] for row in rows}


def _percentile(values: list[float], share: float) -> float:
    """The continuous percentile (PostgreSQL's percentile_cont): linear between the ranks."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _percentiles(rows: list[tuple], share: float) -> dict[tuple, float]:
    groups: dict[tuple, list[float]] = {}
    for *key, seconds in rows:
        if seconds is not None:
            groups.setdefault(tuple(key), []).append(seconds / 60)
    return {key: _percentile(values, share) for key, values in groups.items()}


def _share_of_voice(column: str) -> str:
    """A brand's share over the days it has: its sum / every brand's sum on those days."""
    return f"""
        select b.brand_key, sum(b.{column})::numeric / nullif((
            select sum(o.{column}) from {BRAND_DAYS} as o
            where o.metric_date in (
                select d.metric_date from {BRAND_DAYS} as d where d.brand_key = b.brand_key
            )
        ), 0)
        from {BRAND_DAYS} as b group by 1"""  # noqa: S608


def _all_brands_sum(column: str) -> str:
    """Every brand's sum over the days a brand has, by brand."""
    return f"""select b.brand_key, (select sum(o.{column})
        from {BRAND_DAYS} as o where o.metric_date in (select d.metric_date
        from {BRAND_DAYS} as d where d.brand_key = b.brand_key))
        from {BRAND_DAYS} as b group by 1"""  # noqa: S608


def _brand_sum(column: str) -> str:
    return f"select brand_key, sum({column}) from {BRAND_DAYS} group by 1"  # noqa: S608


def _sentiment_share(column: str) -> str:
    return (
        f"select brand_key, sum({column})::numeric / nullif(sum(customer_messages), 0)"  # noqa: S608
        f" from {BRAND_DAYS} group by 1"
    )


def _segment_clv(column: str) -> str:
    return f"""
        select s.segment, sum(c.{column}) from marts.people_segments as s
        left join marts.customer_lifetime_value as c on c.customer_id = s.person_id
        group by 1"""  # noqa: S608


def _segment_avg_clv(column: str) -> str:
    return f"""
        select s.segment, sum(c.{column}) / nullif(count(*) filter (where s.is_customer), 0)
        from marts.people_segments as s
        left join marts.customer_lifetime_value as c on c.customer_id = s.person_id
        group by 1"""  # noqa: S608


BRAND = ("brand",)
MESSAGES_BY_CHANNEL = ("brand", "customer_message__channel")
RESPONSE_DAYS_BY_CHANNEL = ("brand", "brand_response_day__channel")
QUEUE_BY_CHANNEL = ("brand", "open_conversation__channel")
SEGMENT = ("person_segment__segment",)
FIRST_RESPONSES = (
    "select brand_key, channel, first_response_business_seconds from marts.customer_messages"
)

# metric -> (group by, the figure straight from the mart: SQL giving (group..., value), or a
# function of the connection)
EXPECTED: dict[str, tuple[tuple[str, ...], str | Callable]] = {
    "x_mentions": (BRAND, _brand_sum("mentions")),
    "all_brands_x_mentions": (
        BRAND,
        f"""select b.brand_key, (select sum(o.mentions) from {BRAND_DAYS} as o
            where o.metric_date in (select d.metric_date from {BRAND_DAYS} as d
            where d.brand_key = b.brand_key))
            from {BRAND_DAYS} as b group by 1""",  # noqa: S608
    ),
    "x_share_of_voice": (BRAND, _share_of_voice("mentions")),
    "instagram_mentions": (BRAND, _brand_sum("instagram_mentions")),
    "facebook_post_comments_and_reactions": (BRAND, _brand_sum("post_comments_and_reactions")),
    "all_brands_facebook_post_comments_and_reactions": (
        BRAND,
        _all_brands_sum("post_comments_and_reactions"),
    ),
    "facebook_share_of_voice": (BRAND, _share_of_voice("post_comments_and_reactions")),
    "instagram_media_interactions": (BRAND, _brand_sum("instagram_media_interactions")),
    "all_brands_instagram_media_interactions": (
        BRAND,
        _all_brands_sum("instagram_media_interactions"),
    ),
    "instagram_share_of_voice": (BRAND, _share_of_voice("instagram_media_interactions")),
    "sentiment_scored_messages": (BRAND, _brand_sum("customer_messages")),
    "positive_messages": (BRAND, _brand_sum("positive_messages")),
    "neutral_messages": (BRAND, _brand_sum("neutral_messages")),
    "negative_messages": (BRAND, _brand_sum("negative_messages")),
    "positive_share": (BRAND, _sentiment_share("positive_messages")),
    "neutral_share": (BRAND, _sentiment_share("neutral_messages")),
    "negative_share": (BRAND, _sentiment_share("negative_messages")),
    "followers": (
        BRAND,
        f"""select brand_key, followers from {BRAND_DAYS} as b
            where metric_date = (select max(d.metric_date) from {BRAND_DAYS} as d
            where d.brand_key = b.brand_key)""",  # noqa: S608
    ),
    "follows": (BRAND, _brand_sum("follows")),
    "unfollows": (BRAND, _brand_sum("unfollows")),
    "net_follows": (BRAND, _brand_sum("follows - unfollows")),
    "sla_measured_messages": (
        RESPONSE_DAYS_BY_CHANNEL,
        "select brand_key, channel, sum(messages) from marts.brand_response_times_daily"
        " group by 1, 2",
    ),
    "sla_breaches": (
        RESPONSE_DAYS_BY_CHANNEL,
        "select brand_key, channel, sum(sla_breached) from marts.brand_response_times_daily"
        " group by 1, 2",
    ),
    "sla_breach_share": (
        RESPONSE_DAYS_BY_CHANNEL,
        "select brand_key, channel, sum(sla_breached)::numeric / nullif(sum(messages), 0)"
        " from marts.brand_response_times_daily group by 1, 2",
    ),
    "customer_message_count": (
        MESSAGES_BY_CHANNEL,
        "select brand_key, channel, count(*) from marts.customer_messages group by 1, 2",
    ),
    "answered_within_sla": (
        MESSAGES_BY_CHANNEL,
        "select brand_key, channel, count(*) filter (where is_answered_within_sla)"
        " from marts.customer_messages group by 1, 2",
    ),
    "answered_within_sla_share": (
        MESSAGES_BY_CHANNEL,
        "select brand_key, channel,"
        " (count(*) filter (where is_answered_within_sla))::numeric / count(*)"
        " from marts.customer_messages group by 1, 2",
    ),
    "first_response_business_minutes_p50": (
        MESSAGES_BY_CHANNEL,
        lambda rows: _percentiles(rows(FIRST_RESPONSES), 0.5),
    ),
    "first_response_business_minutes_p90": (
        MESSAGES_BY_CHANNEL,
        lambda rows: _percentiles(rows(FIRST_RESPONSES), 0.9),
    ),
    "open_conversation_count": (
        QUEUE_BY_CHANNEL,
        "select brand_key, channel, count(*) from marts.open_conversations group by 1, 2",
    ),
    "open_conversations_past_sla": (
        QUEUE_BY_CHANNEL,
        "select brand_key, channel, count(*) filter (where is_sla_breached)"
        " from marts.open_conversations group by 1, 2",
    ),
    "segment_people": (
        SEGMENT,
        "select segment, count(distinct person_id) from marts.people_segments group by 1",
    ),
    "segment_customers": (
        SEGMENT,
        "select segment, count(*) filter (where is_customer) from marts.people_segments group by 1",
    ),
    "segment_predicted_clv": (SEGMENT, _segment_clv("predicted_clv")),
    "segment_social_clv": (SEGMENT, _segment_clv("social_clv")),
    "avg_predicted_clv": (SEGMENT, _segment_avg_clv("predicted_clv")),
    "avg_social_clv": (SEGMENT, _segment_avg_clv("social_clv")),
}


def _same(answer, expected) -> bool:
    if answer is None or expected is None:
        return answer is None and expected is None
    if isinstance(answer, int) and isinstance(expected, int):
        return answer == expected
    return math.isclose(float(answer), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def _normalised(values: dict[tuple, object]) -> dict[tuple, object]:
    return {
        key: int(value) if isinstance(value, Decimal) and value == value.to_integral() else value
        for key, value in values.items()
    }


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_metric_equals_the_figure_from_its_mart(semantic_layer, built, metric):
    pipeline, _ = built
    group_by, expected_from = EXPECTED[metric]
    if callable(expected_from):
        expected = expected_from(pipeline.rows)
    else:
        expected = _by_key(pipeline.rows(expected_from))
    answer = semantic_layer.answer(metric, group_by)
    assert expected, f"the built world has no rows for {metric}: the test would prove nothing"
    answer, expected = _normalised(answer), _normalised(expected)
    assert answer.keys() == expected.keys()
    differing = {k: (answer[k], expected[k]) for k in expected if not _same(answer[k], expected[k])}
    assert differing == {}


def test_every_metric_is_compared_with_its_mart(semantic_layer):
    assert semantic_layer.metrics == set(EXPECTED)


def test_semantic_layer_reads_marts_only(semantic_layer):
    """Every relation MetricFlow's SQL names is in `marts` (what bi_reader may read)."""
    sql = " ".join(
        semantic_layer.sql(metric, group_by) for metric, (group_by, _) in EXPECTED.items()
    )
    for schema in ("marts_build", "staging", "intermediate", "scoring", "raw"):
        assert f'"{schema}".' not in sql and f" {schema}." not in sql
