"""A staff decision accepts another customer's known Facebook account for a customer who then
asks to be erased (a wrong pick in the review queue: the known account is the other
customer's, and the known tier is never overridden by a decision)."""

from datetime import timedelta

import pytest

from tests.end_to_end.conftest import (
    extracted_copy,
    land_crm_export,
    nightly_build,
    use_local_dir,
    world_now,
)
from tests.end_to_end.test_consent_attacks import (
    _ordinary_customers,
    _stranger_with_known_facebook_account,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def decided(extracted_once, warehouse_url, tmp_path_factory):
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        sim, db = pipeline.sim, pipeline.db
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        filer = _ordinary_customers(truth)[0]
        stranger = _stranger_with_known_facebook_account(pipeline, truth, {filer})
        comments = pipeline.scalar(
            "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
            stranger["account_id"],
        )
        crm = truth.folder / "crm"
        moment = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (crm / "identity_decisions_review.csv").write_text(
            "platform,account_id,customer_id,decision,decided_by,decided_at\n"
            f"facebook,{stranger['account_id']},{filer},accept,agent7,{moment}\n",
            encoding="utf-8",
        )
        (crm / "erasure_requests_today.csv").write_text(
            f"customer_id,requested_at\n{filer},{moment}\n", encoding="utf-8"
        )
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        # the property is in raw, as the erasure step leaves it: the build stops there
        nightly_build(as_of=world_now(sim), until="apply_erasure_requests")
        yield pipeline, stranger, comments


def test_an_accept_decision_erases_no_other_customers_known_account(decided):
    pipeline, stranger, comments = decided
    assert comments > 0
    left = pipeline.scalar(
        "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
        stranger["account_id"],
    )
    assert left == comments
