"""catalog.py against the dbt project: a model or source renamed on one side fails here."""

from __future__ import annotations

import json

import pytest

from social_crm import catalog
from social_crm.quality.mart_suites import mart_suites
from social_crm.transform.dbt_manifest import ensure_manifest


@pytest.fixture(scope="module")
def manifest() -> dict:
    with open(ensure_manifest()) as handle:
        return json.load(handle)


def _models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_raw_tables_are_the_dbt_sources_in_raw(manifest):
    sources = {s["name"] for s in manifest["sources"].values() if s["schema"] == "raw"}
    assert {t.name for t in catalog.RAW_TABLES} == sources


def test_marts_are_the_models_built_in_marts_build(manifest):
    built = {name for name, n in _models(manifest).items() if n["schema"] == "marts_build"}
    assert {m.name for m in catalog.MARTS} == built


def test_incremental_models_are_the_incremental_dbt_models_in_their_schemas(manifest):
    incremental = {
        (n["schema"], name)
        for name, n in _models(manifest).items()
        if n["config"]["materialized"] == "incremental"
    }
    assert {(m.schema, m.name) for m in catalog.INCREMENTAL_MODELS} == incremental


def test_incremental_marts_are_incremental_models_in_marts_build():
    merged = {m.name for m in catalog.INCREMENTAL_MODELS if m.schema == "marts_build"}
    assert {m.name for m in catalog.MARTS if m.incremental} <= merged


def test_incremental_marts_have_a_one_column_key():
    assert [m.name for m in catalog.MARTS if m.incremental and len(m.key) != 1] == []


def test_each_marts_key_has_a_uniqueness_test(manifest):
    unique_keys: dict[str, set[tuple[str, ...]]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        if meta.get("name") == "unique":
            unique_keys.setdefault(model, set()).add((node["column_name"],))
        elif meta.get("name") == "unique_combination":
            unique_keys.setdefault(model, set()).add(tuple(meta["kwargs"]["columns"]))
    missing = [m.name for m in catalog.MARTS if m.key not in unique_keys.get(m.name, set())]
    assert missing == []


def test_every_mart_has_a_quality_suite():
    class Expectations:  # stands in for great_expectations.expectations: names only
        def __getattr__(self, name):
            return lambda **kwargs: (name, kwargs)

    class Gx:
        expectations = Expectations()

    assert {table for _, table in mart_suites(Gx())} == {m.name for m in catalog.MARTS}


def test_snapshot_entities_are_the_tables_read_whole_each_run():
    snapshots = {t.name for t in catalog.RAW_TABLES if t.snapshot}
    assert snapshots == {
        "crm_customers",
        "crm_customer_social_accounts",
        "crm_orders",
        "crm_products",
        "facebook_page_snapshots",
        "facebook_page_insights",
        "instagram_accounts",
        "instagram_account_insights",
        "x_followers",
    }


def test_every_model_the_package_names_is_in_an_exposure(manifest):
    import re
    from pathlib import Path

    package = Path(catalog.__file__).parent
    named = {
        (schema, name)
        for path in package.rglob("*.py")
        for schema, name in re.findall(
            r"\b(staging|intermediate|marts_build)\.([a-z_]+)\b", path.read_text()
        )
    }
    exposed = {
        node.rsplit(".", 1)[-1]
        for exposure in manifest["exposures"].values()
        for node in exposure["depends_on"]["nodes"]
    }
    # a seed the code reads (staging.brands) counts as a model here
    models = {
        (n["schema"], n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed")
    }
    assert ("staging", "stg_crm__orders") in named  # the scan finds what scoring reads
    assert named - models == set()  # a model renamed in dbt but not in the code
    assert {name for _, name in named} - exposed == set()


@pytest.mark.parametrize("mart", catalog.MARTS, ids=lambda m: m.name)
def test_each_marts_columns_naming_a_person_are_those_erasure_deletes_by(manifest, mart):
    columns = set(_models(manifest)[mart.name]["columns"])
    assert (
        set(mart.person_columns),
        set(mart.profile_key_columns),
    ) == (columns & {"person_id", "customer_id"}, columns & {"profile_key"})


@pytest.mark.parametrize(
    "mart", [m for m in catalog.MARTS if m.excluded_person_columns], ids=lambda m: m.name
)
def test_a_mart_keeping_excluded_peoples_rows_empties_every_column_naming_them(manifest, mart):
    columns = set(_models(manifest)[mart.name]["columns"])
    emptied = set(mart.excluded_person_columns)
    assert set(mart.person_columns) <= emptied <= columns
