"""A customer whose Facebook profile the model linked is deleted from the CRM (the next full
customers export leaves them out), and asks the same day to be erased: the usual order of
"close my account" and "erase my data"."""

import csv
from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.end_to_end.conftest import built_world, csv_rows, nightly_build, world_now
from tests.end_to_end.test_consent_attacks import _engagements_of, _model_linked_profile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def closed(built_once, warehouse_url, tmp_path_factory):
    # the world landed, then built and published by the nightly
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, truth, _, drop, _):
        sim = pipeline.sim
        profile = _model_linked_profile(pipeline, truth, set())
        before = _engagements_of(pipeline, profile)
        customers = csv_rows(truth.folder / "crm" / "customers.csv")
        with open(drop / "customers_9999-12-31.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(customers[0]))
            writer.writeheader()
            writer.writerows(c for c in customers if c["customer_id"] != profile["customer_id"])
        moment = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (drop / "erasure_requests_today.csv").write_text(
            f"customer_id,requested_at\n{profile['customer_id']},{moment}\n", encoding="utf-8"
        )
        land_drop_folder(pipeline.connect, drop)
        nightly_build(as_of=world_now(sim))
        yield pipeline, profile, before


def test_a_customer_deleted_from_the_crm_then_erased_has_their_linked_profile_erased(closed):
    pipeline, profile, before = closed
    assert before > 0
    left = pipeline.alive(
        "facebook_comments", "payload->'from'->>'id' = '{}'".format(profile["profile_id"])
    ) | pipeline.alive(
        "facebook_reactions", "payload->>'user_id' = '{}'".format(profile["profile_id"])
    )
    shown = pipeline.scalar(
        "select count(*) from marts.people where facebook_profile_id = %s", profile["profile_id"]
    )
    assert (len(left), _engagements_of(pipeline, profile), shown) == (0, 0, 0)
