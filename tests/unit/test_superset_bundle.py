"""The dashboards as code (bi/superset, docs/bi.md) hold together, and their metrics come from
the dbt semantic layer, never from a second definition written in the bundle."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from social_crm.serve import superset
from social_crm.serve.superset_metrics import NotExpressible, SemanticLayer
from social_crm.settings import WarehouseUrl
from tests.conftest import REPO

BUNDLE = REPO / "bi" / "superset"
DBT = REPO / "dbt_project"
LAYER = SemanticLayer.read(DBT)
MADE, SKIPPED = LAYER.superset_metrics()
URI = superset.database_uri(WarehouseUrl.parse("postgresql://u:p@db:5432/warehouse"), "bi")
FILES = superset.bundle_files(BUNDLE, DBT, URI)
CHARTS = {path: doc for path, doc in FILES.items() if path.startswith("charts/")}
DATASETS = {doc["uuid"]: doc for path, doc in FILES.items() if path.startswith("datasets/")}
DASHBOARDS = {path: doc for path, doc in FILES.items() if path.startswith("dashboards/")}


def _committed(path: str) -> dict:
    return yaml.safe_load((BUNDLE / path).read_text(encoding="utf-8"))


def _saved_metrics(params: dict) -> list[str]:
    """The chart's metrics given by name (a dataset's saved metric), not written in the chart."""
    named = [*params.get("metrics", []), params.get("metric")]
    return [metric for metric in named if isinstance(metric, str)]


def test_no_committed_dataset_defines_a_metric():
    for path in FILES:
        if path.startswith("datasets/"):
            assert _committed(path)["metrics"] == [], path


def test_every_semantic_layer_metric_but_the_semi_additive_one_reaches_superset():
    assert {m.name for m in MADE} | set(SKIPPED) == set(LAYER.metrics)
    assert set(SKIPPED) == {"followers"}


@pytest.mark.parametrize("path", sorted(CHARTS))
def test_a_chart_names_only_metrics_its_dataset_has(path):
    chart = CHARTS[path]
    dataset = DATASETS[chart["dataset_uuid"]]
    has = {metric["metric_name"] for metric in dataset["metrics"]}
    assert set(_saved_metrics(chart["params"])) <= has


@pytest.mark.parametrize("path", sorted(CHARTS))
def test_no_chart_writes_its_own_version_of_a_semantic_layer_metric(path):
    """An ad-hoc metric of a chart (SQL or a column's aggregate) is not labelled as, nor
    computes, a metric the semantic layer defines."""
    params = CHARTS[path]["params"]
    adhoc = [m for m in [*params.get("metrics", []), params.get("metric")] if isinstance(m, dict)]
    expressions = {metric.expression for metric in MADE}
    for metric in adhoc:
        assert metric.get("label") not in LAYER.metrics
        assert metric.get("sqlExpression") not in expressions


@pytest.mark.parametrize("path", sorted(CHARTS))
def test_a_chart_groups_by_columns_its_dataset_lists(path):
    chart = CHARTS[path]
    columns = {c["column_name"] for c in DATASETS[chart["dataset_uuid"]]["columns"]}
    params = chart["params"]
    used = [*params.get("groupby", []), *params.get("all_columns", [])]
    used += [params[key] for key in ("x_axis", "column") if params.get(key)]
    assert set(used) <= columns


@pytest.mark.parametrize("path", sorted(DASHBOARDS))
def test_a_dashboard_shows_charts_of_the_bundle_only(path):
    shown = {
        item["meta"]["uuid"]
        for item in DASHBOARDS[path]["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    }
    assert shown and shown <= {chart["uuid"] for chart in CHARTS.values()}


def test_every_chart_is_on_a_dashboard():
    shown = {
        item["meta"]["uuid"]
        for dashboard in DASHBOARDS.values()
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    }
    assert {chart["uuid"] for chart in CHARTS.values()} == shown


def test_every_dataset_reads_a_published_mart():
    marts = {path.stem for path in (DBT / "models" / "marts").rglob("*.sql")}
    for dataset in DATASETS.values():
        assert dataset["schema"] == "marts" and dataset["table_name"] in marts
        assert dataset["sql"] is None  # a physical dataset: the SQL lives in dbt


def test_uuids_are_unique():
    uuids = [doc["uuid"] for path, doc in FILES.items() if path != "metadata.yaml"]
    assert len(uuids) == len(set(uuids))


@pytest.mark.parametrize("path", sorted(FILES))
def test_every_file_carries_the_bundle_version_superset_imports(path):
    """Superset's importer validates each file against the v1 schema (`version: 1.0.0`); a file
    without it is refused at import, in the browser test only, after minutes."""
    assert FILES[path].get("version") == "1.0.0"


def test_every_dataset_reads_through_the_bundles_database():
    databases = {doc["uuid"] for path, doc in FILES.items() if path.startswith("databases/")}
    assert len(databases) == 1
    assert {dataset.get("database_uuid") for dataset in DATASETS.values()} == databases


def test_every_chart_reads_a_dataset_of_the_bundle():
    assert {chart.get("dataset_uuid") for chart in CHARTS.values()} <= set(DATASETS)


def test_the_zip_holds_every_file_under_one_folder():
    names = zipfile.ZipFile(BytesIO(superset.bundle_zip(FILES))).namelist()
    assert sorted(names) == sorted(f"{superset.BUNDLE_ROOT}/{path}" for path in FILES)


def test_the_committed_database_holds_no_password():
    uri = _committed(superset.DATABASE_FILE)["sqlalchemy_uri"]
    assert re.fullmatch(r"postgresql\+psycopg2://[^:]+:XXXXXXXXXX@[^/]+/\w+", uri)


@given(
    user=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1),
    database=st.from_regex(r"[A-Za-z_][A-Za-z0-9_$-]{0,20}", fullmatch=True),
    port=st.integers(1, 65535),
)
def test_the_connection_names_the_bi_login_with_its_password_masked(user, database, port):
    from sqlalchemy.engine import make_url

    url = make_url(
        superset.database_uri(
            WarehouseUrl.parse(f"postgresql://owner:secret@warehouse-db:{port}/{database}"), user
        )
    )
    assert (url.username, url.password) == (user, superset.PASSWORD_MASK)
    assert (url.host, url.port, url.database) == ("warehouse-db", port, database)


def _layer(measures: list[dict], metrics: list[dict], tmp_path: Path) -> SemanticLayer:
    folder = tmp_path / "models" / "marts" / "x"
    folder.mkdir(parents=True)
    document = {
        "semantic_models": [{"name": "m", "model": "ref('mart')", "measures": measures}],
        "metrics": metrics,
    }
    (folder / "_x__metrics.yml").write_text(yaml.safe_dump(document))
    return SemanticLayer.read(tmp_path)


@pytest.mark.parametrize(
    ("measure", "sql"),
    [
        ({"name": "a", "agg": "sum"}, "SUM(a)"),
        ({"name": "a", "agg": "count", "expr": "id"}, "COUNT(id)"),
        ({"name": "a", "agg": "count_distinct", "expr": "id"}, "COUNT(DISTINCT id)"),
        ({"name": "a", "agg": "sum_boolean", "expr": "ok"}, "SUM(CASE WHEN ok THEN 1 ELSE 0 END)"),
        (
            {"name": "a", "agg": "percentile", "expr": "s", "agg_params": {"percentile": 0.9}},
            "PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY s)",
        ),
        (
            {
                "name": "a",
                "agg": "percentile",
                "expr": "s",
                "agg_params": {"percentile": 0.5, "use_discrete_percentile": True},
            },
            "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY s)",
        ),
    ],
)
def test_a_measure_becomes_its_sql_aggregate(measure, sql, tmp_path):
    layer = _layer([measure], [], tmp_path)
    assert layer.measure_sql("a") == (sql, "mart")


def test_a_ratio_divides_as_metricflow_does(tmp_path):
    layer = _layer(
        [{"name": "n", "agg": "sum"}, {"name": "d", "agg": "sum"}],
        [
            {"name": "n", "type": "simple", "type_params": {"measure": "n"}},
            {"name": "d", "type": "simple", "type_params": {"measure": "d"}},
            {"name": "r", "type": "ratio", "type_params": {"numerator": "n", "denominator": "d"}},
        ],
        tmp_path,
    )
    assert layer.metric_sql("r")[0] == (
        "CAST(SUM(n) AS DOUBLE PRECISION) / CAST(NULLIF(SUM(d), 0) AS DOUBLE PRECISION)"
    )


def test_a_derived_metric_puts_its_inputs_in_its_expression(tmp_path):
    layer = _layer(
        [{"name": "f", "agg": "sum"}, {"name": "u", "agg": "sum"}],
        [
            {"name": "f", "type": "simple", "type_params": {"measure": "f"}},
            {"name": "u", "type": "simple", "type_params": {"measure": "u"}},
            {
                "name": "net",
                "type": "derived",
                "type_params": {"expr": "f - u", "metrics": ["f", "u"]},
            },
        ],
        tmp_path,
    )
    assert layer.metric_sql("net")[0] == "(SUM(f)) - (SUM(u))"


@pytest.mark.parametrize(
    "metric",
    [
        {
            "name": "x",
            "type": "simple",
            "type_params": {"measure": "a"},
            "filter": "{{ Dimension('m__c') }} = 1",
        },
        {"name": "x", "type": "cumulative", "type_params": {"measure": "a"}},
        {
            "name": "x",
            "type": "derived",
            "type_params": {"expr": "a", "metrics": [{"name": "a", "offset_window": "1 week"}]},
        },
        {"name": "x", "type": "simple", "type_params": {"measure": "semi"}},
    ],
)
def test_a_metric_one_sql_aggregate_cannot_express_is_refused(metric, tmp_path):
    layer = _layer(
        [
            {"name": "a", "agg": "sum"},
            {"name": "semi", "agg": "sum", "non_additive_dimension": {"name": "d"}},
        ],
        [{"name": "a", "type": "simple", "type_params": {"measure": "a"}}, metric],
        tmp_path,
    )
    with pytest.raises(NotExpressible):
        layer.metric_sql("x")
