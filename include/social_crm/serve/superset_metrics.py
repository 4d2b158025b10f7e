"""Superset metrics made from the dbt semantic layer, so a metric is defined once.

The semantic layer (dbt_project/models/marts/*/_*__metrics.yml, docs/metrics.md) defines each
metric from measures of a semantic model, itself a mart. Superset keeps a dataset's metrics as
SQL aggregate expressions over the table. Here each metric the layer defines on a mart becomes
that SQL, written the way MetricFlow writes it for PostgreSQL (a ratio casts both sides to double
precision and divides by NULLIF(denominator, 0); a percentile is PERCENTILE_CONT ... WITHIN
GROUP), so a chart grouped by the same columns gives MetricFlow's answer.

A metric that a single SQL aggregate cannot express (a semi-additive measure, a metric filter,
an offset window, measures of two marts) is left out and listed by `skipped`: it stays
MetricFlow's only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

METRIC_FILES = "models/marts/*/_*__metrics.yml"
_REF = re.compile(r"""^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$""")
_AGGREGATES = {
    "sum": "SUM({})",
    "count": "COUNT({})",
    "count_distinct": "COUNT(DISTINCT {})",
    "average": "AVG({})",
    "min": "MIN({})",
    "max": "MAX({})",
    "sum_boolean": "SUM(CASE WHEN {} THEN 1 ELSE 0 END)",
}


class NotExpressible(ValueError):
    """A metric a Superset SQL metric cannot express."""


@dataclass(frozen=True)
class Measure:
    name: str
    model: str  # the mart (the semantic model's ref)
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class SupersetMetric:
    """One dataset metric as Superset's import bundle describes it."""

    table: str
    name: str
    label: str
    description: str
    expression: str

    def as_bundle(self) -> dict[str, Any]:
        return {
            "metric_name": self.name,
            "verbose_name": self.label,
            "metric_type": None,
            "expression": self.expression,
            "description": self.description,
            "d3format": None,
            "extra": {"warning_markdown": ""},
            "warning_text": None,
        }


@dataclass(frozen=True)
class SemanticLayer:
    measures: Mapping[str, Measure]
    metrics: Mapping[str, Mapping[str, Any]]

    @classmethod
    def read(cls, dbt_project_dir: Path) -> SemanticLayer:
        """The semantic models and metrics of the dbt project's metric files."""
        measures: dict[str, Measure] = {}
        metrics: dict[str, Mapping[str, Any]] = {}
        for path in sorted(dbt_project_dir.glob(METRIC_FILES)):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for model in document.get("semantic_models") or []:
                found = _REF.match(str(model.get("model", "")))
                if not found:
                    raise NotExpressible(f"{path.name}: {model.get('name')}: model is not a ref()")
                for measure in model.get("measures") or []:
                    measures[measure["name"]] = Measure(measure["name"], found.group(1), measure)
            for metric in document.get("metrics") or []:
                metrics[metric["name"]] = metric
        return cls(measures, metrics)

    def measure_sql(self, name: str) -> tuple[str, str]:
        """(the measure's SQL aggregate, its mart)."""
        if name not in self.measures:
            raise NotExpressible(f"measure {name!r} is not defined")
        measure = self.measures[name]
        spec = measure.spec
        if spec.get("non_additive_dimension"):
            raise NotExpressible(f"measure {name!r} is semi-additive (non_additive_dimension)")
        expr = " ".join(str(spec.get("expr") or name).split())
        agg = spec.get("agg")
        if agg in ("percentile", "median"):
            params = spec.get("agg_params") or {}
            share = 0.5 if agg == "median" else params.get("percentile")
            function = (
                "PERCENTILE_DISC" if params.get("use_discrete_percentile") else "PERCENTILE_CONT"
            )
            return f"{function}({share}) WITHIN GROUP (ORDER BY {expr})", measure.model
        if agg not in _AGGREGATES:
            raise NotExpressible(f"measure {name!r}: aggregation {agg!r}")
        return _AGGREGATES[agg].format(expr), measure.model

    def metric_sql(self, name: str) -> tuple[str, str]:
        """(the metric's SQL expression, its mart), as MetricFlow computes it on one mart."""
        metric = self.metrics.get(name)
        if metric is None:
            raise NotExpressible(f"metric {name!r} is not defined")
        if metric.get("filter"):
            raise NotExpressible(f"metric {name!r} has a filter")
        params = metric.get("type_params") or {}
        kind = metric.get("type")
        if kind == "simple":
            return self.measure_sql(_input_name(params.get("measure")))
        if kind == "ratio":
            numerator, model = self._input_sql(params.get("numerator"))
            denominator, other = self._input_sql(params.get("denominator"))
            _same_model(name, {model, other})
            return (
                f"CAST({numerator} AS DOUBLE PRECISION)"
                f" / CAST(NULLIF({denominator}, 0) AS DOUBLE PRECISION)",
                model,
            )
        if kind == "derived":
            expression = str(params.get("expr", ""))
            models = set()
            for entry in params.get("metrics") or []:
                if isinstance(entry, Mapping) and (
                    entry.get("offset_window") or entry.get("filter")
                ):
                    raise NotExpressible(f"metric {name!r}: an input with an offset or filter")
                inner = _input_name(entry)
                sql, model = self.metric_sql(inner)
                models.add(model)
                alias = entry.get("alias") if isinstance(entry, Mapping) else None
                expression = re.sub(rf"\b{re.escape(alias or inner)}\b", f"({sql})", expression)
            _same_model(name, models)
            return expression, models.pop()
        raise NotExpressible(f"metric {name!r}: type {kind!r}")

    def _input_sql(self, entry: object) -> tuple[str, str]:
        if isinstance(entry, Mapping) and entry.get("filter"):
            raise NotExpressible(f"input {entry.get('name')!r} has a filter")
        return self.metric_sql(_input_name(entry))

    def superset_metrics(self) -> tuple[list[SupersetMetric], dict[str, str]]:
        """Every metric as a Superset metric of its mart's dataset, and the metrics left out
        (name: why)."""
        made: list[SupersetMetric] = []
        skipped: dict[str, str] = {}
        for name, metric in self.metrics.items():
            try:
                expression, table = self.metric_sql(name)
            except NotExpressible as reason:
                skipped[name] = str(reason)
                continue
            description = " ".join(str(metric.get("description") or "").split())
            label = str(metric.get("label") or name)
            made.append(SupersetMetric(table, name, label, description, expression))
        return made, skipped


def _input_name(entry: object) -> str:
    """A metric or measure input given as a name or as `{name: ...}`."""
    if isinstance(entry, Mapping):
        return str(entry.get("name"))
    return str(entry)


def _same_model(metric: str, models: Iterable[str]) -> None:
    models = set(models)
    if len(models) != 1:
        raise NotExpressible(f"metric {metric!r} reads {len(models)} marts ({sorted(models)})")


def by_table(metrics: Iterable[SupersetMetric]) -> dict[str, list[dict[str, Any]]]:
    """The bundle's metric entries, by the mart whose dataset holds them."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for metric in metrics:
        tables.setdefault(metric.table, []).append(metric.as_bundle())
    return tables
