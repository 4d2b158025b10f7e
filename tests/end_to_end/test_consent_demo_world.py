"""What erring on the side of the person costs in the demo's world (seed 42, scale 1, 90 days:
2,000 customers), measured against its truth: the figure README's "Consent" quotes. Minutes
of extraction and building: it runs when SOCIAL_CRM_DEMO_WORLD_TESTS=1 is set (`make eval`
sets it)."""

import csv
import os

import pytest

from social_crm_dev import privacy_quality
from social_crm_dev.simulator.config import WorldConfig
from tests.end_to_end.conftest import extracted_world, land_crm_export, nightly_build, world_now

pytestmark = [
    pytest.mark.integration,
    pytest.mark.eval_only,
    pytest.mark.skipif(
        os.environ.get("SOCIAL_CRM_DEMO_WORLD_TESTS") != "1",
        reason="the demo's world takes minutes: set SOCIAL_CRM_DEMO_WORLD_TESTS=1",
    ),
]
DEMO_WORLD = WorldConfig(seed=42, scale=1.0, days=90)


@pytest.fixture(scope="module")
def consent(warehouse_url, tmp_path_factory):
    """The demo's world built once; (measure, the truth's profiles by key, its customers)."""

    with extracted_world(warehouse_url, tmp_path_factory, DEMO_WORLD) as (pipeline, truth, patch):
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly_build(as_of=world_now(pipeline.sim))
        with pipeline.connect() as conn:
            quality = privacy_quality.measure(conn, truth.folder)
        profiles = {f"{p['platform']}:{p['profile_id']}": p for p in truth.rows("profiles.csv")}
        with open(truth.folder / "crm" / "customers.csv", newline="", encoding="utf-8") as handle:
            customers = {c["customer_id"]: c for c in csv.DictReader(handle)}
        yield quality, profiles, customers


def test_the_demo_world_hides_under_one_percent_of_other_peoples_profiles(consent, capsys):
    quality, _, _ = consent
    with capsys.disabled():
        print("\ndemo world: " + "; ".join(quality.lines()))
        for mart, rows in quality.mart_leaks.items():
            print(f"  left in {mart}: {len(rows)} rows")
        for table, rows in quality.raw_leaks.items():
            print(f"  left in {table}: {rows} rows")
    assert quality.hidden_share < 0.01


def test_no_data_of_an_excluded_customers_profiles_is_left(consent):
    """Every profile of a customer who opted out or asked to be erased, linked or not, is out
    of the detail marts (and, erased, of raw): those that show their name by the model, those
    that show nothing of it by the accounts the person named."""
    quality, _, _ = consent
    assert (quality.leaked_profiles, quality.mart_leaks, quality.raw_leaks) == (set(), {}, {})
