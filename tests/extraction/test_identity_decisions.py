"""CRM staff's decisions on identity pairs (identity_decisions.csv in the CRM drop folder) win
over the record linkage model on the next nightly run."""

import csv
import shutil

import pytest

from tests.extraction.conftest import world_now

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def decided(built, tmp_path_factory):
    """One model link rejected and one unlinked pair accepted by staff, landed with the rest of
    the CRM export, then the nightly build run again."""
    from social_crm.extract.crm import land_drop_folder
    from social_crm.orchestration import nightly

    pipeline, truth = built
    rejected = pipeline.rows(
        "select profile_key, customer_id from intermediate.int_identity_links"
        " where match_method = 'model' order by profile_key limit 1"
    )[0]
    # a prospect profile and a customer with no profile on its platform: a pair nobody links
    accepted = pipeline.rows(
        "select p.profile_key, c.customer_id from intermediate.int_social_profiles p"
        " cross join staging.stg_crm__customers c"
        " where not exists (select 1 from intermediate.int_identity_links l"
        "  where l.profile_key = p.profile_key)"
        " and not exists (select 1 from intermediate.int_identity_links l"
        "  join intermediate.int_social_profiles lp using (profile_key)"
        "  where l.customer_id = c.customer_id and lp.platform = p.platform)"
        " and c.customer_id not in (select customer_id from intermediate.int_excluded_customers)"
        " order by p.profile_key, c.customer_id limit 1"
    )[0]
    drop = tmp_path_factory.mktemp("crm_drop")
    shutil.copytree(truth.folder / "crm", drop, dirs_exist_ok=True)
    with open(drop / "identity_decisions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["platform", "account_id", "customer_id", "decision", "decided_by", "decided_at"]
        )
        for (profile_key, customer_id), decision in ((rejected, "reject"), (accepted, "accept")):
            platform, account_id = profile_key.split(":")
            writer.writerow(
                [platform, account_id, customer_id, decision, "agent 7", "2026-11-30T10:00:00Z"]
            )
    land_drop_folder(pipeline.connect, drop)
    nightly.run_all(as_of=world_now(pipeline.sim))
    links = {
        key: (customer, method)
        for key, customer, method in pipeline.rows(
            "select profile_key, customer_id, match_method from intermediate.int_identity_links"
        )
    }
    return links, rejected, accepted


def test_a_reject_decision_removes_the_model_link(decided):
    links, (profile_key, customer_id), _ = decided
    assert links.get(profile_key, (None, None))[0] != customer_id


def test_an_accept_decision_adds_a_link(decided):
    links, _, (profile_key, customer_id) = decided
    assert links[profile_key] == (customer_id, "review:accept")
