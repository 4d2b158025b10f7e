"""The message channels are the platforms of catalog.PLATFORMS, one list: the seeds' accepted
channels follow it, and every tracked brand has service hours and SLA targets on each."""

from __future__ import annotations

import csv

import pytest
import yaml

from social_crm import catalog
from social_crm.paths import dbt_project_dir

SEEDS = dbt_project_dir() / "seeds"


def _accepted_channels(seed: str) -> list[str]:
    properties = yaml.safe_load((SEEDS / "_seeds.yml").read_text(encoding="utf-8"))
    (found,) = [s for s in properties["seeds"] if s["name"] == seed]
    (column,) = [c for c in found["columns"] if c["name"] == "channel"]
    (test,) = [t for t in column["data_tests"] if "accepted_values" in t]
    return test["accepted_values"]["arguments"]["values"]


def _rows(seed: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_service_hours_accept_the_catalogs_platforms_as_channels():
    assert sorted(_accepted_channels("brand_service_hours")) == sorted(catalog.PLATFORMS)


@pytest.mark.parametrize("seed", ["brand_service_hours", "brand_response_slas"])
def test_every_brand_has_rows_on_every_channel(seed):
    brands = {row["brand_key"] for row in _rows("brands")}
    found = {(row["brand_key"], row["channel"]) for row in _rows(seed)}
    assert found == {(brand, channel) for brand in brands for channel in catalog.PLATFORMS}


def test_every_brand_has_the_three_sla_targets_on_every_channel():
    found = {(r["brand_key"], r["channel"], r["priority"]) for r in _rows("brand_response_slas")}
    brands = {row["brand_key"] for row in _rows("brands")}
    assert found == {
        (brand, channel, priority)
        for brand in brands
        for channel in catalog.PLATFORMS
        for priority in ("high", "normal", "low")
    }
