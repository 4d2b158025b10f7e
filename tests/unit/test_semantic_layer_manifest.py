"""The semantic layer's manifest (docs/metrics.md): `dbt parse` with the BI schema validates
it (dbt refuses a semantic manifest MetricFlow's rules reject), MetricFlow's own validation
finds nothing either, it reads `marts` only, and every metric is documented. No warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_runner import environment

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
PARSE_ENV = {
    "WAREHOUSE_HOST": "localhost",
    "WAREHOUSE_PORT": "5432",
    "WAREHOUSE_USER": "parse",
    "WAREHOUSE_PASSWORD": "",
    "WAREHOUSE_DB": "parse",
}


@pytest.fixture(scope="module")
def semantic_manifest(tmp_path_factory) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    target = tmp_path_factory.mktemp("semantic_target")
    project = str(dbt_project_dir())
    args = ["parse", "--project-dir", project, "--profiles-dir", project, "--quiet"]
    args += ["--target-path", str(target), "--no-partial-parse"]
    args += ["--vars", "{marts_schema: marts}"]
    with environment(PARSE_ENV):
        outcome = dbtRunner().invoke(args)
    assert outcome.success, outcome.exception
    return json.loads((target / "semantic_manifest.json").read_text(encoding="utf-8"))


def test_metricflow_validation_finds_no_issue(semantic_manifest):
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(semantic_manifest))
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert [issue.message for issue in results.all_issues] == []


def test_every_semantic_model_reads_the_published_marts(semantic_manifest):
    relations = [model["node_relation"] for model in semantic_manifest["semantic_models"]]
    assert relations, "no semantic model"
    relations += [spine["node_relation"] for spine in _time_spines(semantic_manifest)]
    assert {relation["schema_name"] for relation in relations} == {"marts"}


def _time_spines(semantic_manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return semantic_manifest["project_configuration"]["time_spines"]


def test_a_time_spine_at_day_granularity_is_configured(semantic_manifest):
    grains = [
        spine["primary_column"]["time_granularity"] for spine in _time_spines(semantic_manifest)
    ]
    assert grains == ["day"]


def test_every_metric_has_a_label_and_a_description(semantic_manifest):
    assert semantic_manifest["metrics"], "no metric"
    bare = [
        metric["name"]
        for metric in semantic_manifest["metrics"]
        if not (metric.get("label") or "").strip() or not (metric.get("description") or "").strip()
    ]
    assert bare == []


def test_the_metrics_page_lists_every_metric(semantic_manifest):
    listed = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            listed |= set(re.findall(r"`(\w+)`", line.split("|")[1]))
    assert listed == {metric["name"] for metric in semantic_manifest["metrics"]}
