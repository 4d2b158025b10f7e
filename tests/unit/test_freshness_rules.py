"""The raw sources' freshness rules (dbt sources' YAML) as the freshness check reads them, and as
the dbt docs show them (the site shows descriptions, not the `freshness` config)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from social_crm.catalog import RAW_TABLES
from social_crm.quality.freshness import Rule, rules
from social_crm.transform.dbt_manifest import load_manifest


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


def test_every_landed_raw_table_is_a_source_the_check_reads(manifest):
    assert {t.relation for t in RAW_TABLES} <= set(rules(manifest))


def test_the_social_sources_warn_after_6_hours_and_are_late_after_26(manifest):
    assert rules(manifest)["raw.x_tweets"] == Rule(timedelta(hours=6), timedelta(hours=26))


def test_each_sources_limits_are_written_in_its_description_in_the_dbt_docs(manifest):
    found = rules(manifest)
    for source in manifest["sources"].values():
        rule = found.get(f"{source['schema']}.{source['name']}")
        if rule is not None:
            assert f"Freshness: {rule} without new data." in source["source_description"], source[
                "unique_id"
            ]
