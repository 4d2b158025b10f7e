"""Two customer records share an email (a household's address, an email reused by the CRM).
One of the two asks to be erased, naming nothing but themselves; the other did not. The
next full customers export is already in the drop folder when the nightly runs, and lands
after it."""

from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.end_to_end.conftest import (
    csv_rows,
    extracted_copy,
    land_crm_export,
    nightly_build,
    use_local_dir,
    world_now,
    write_csv,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shared(extracted_once, warehouse_url, tmp_path_factory):
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        sim, db = pipeline.sim, pipeline.db
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
        crm = truth.folder / "crm"
        customers = csv_rows(crm / "customers.csv")
        erased, other = [
            c
            for c in customers
            if c["profiling_opt_out"] == "false" and c["customer_id"] not in erasures
        ][:2]
        other["email"] = erased["email"]
        write_csv(crm / "customers.csv", customers)
        requested = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (crm / "erasure_requests_household.csv").write_text(
            f"customer_id,requested_at\n{erased['customer_id']},{requested}\n", encoding="utf-8"
        )
        land_crm_export(pipeline.connect, truth)
        drop = truth.folder / "crm_drop"
        # the next full export, arrived after the day's landing and before the nightly
        write_csv(drop / "customers_9999-12-31.csv", customers)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(drop))
        # the property is in raw, as the erasure step leaves it: the build stops there
        nightly_build(as_of=world_now(sim), until="apply_erasure_requests")
        after_nightly = pipeline.alive("crm_customers")
        land_drop_folder(pipeline.connect, drop)
        yield pipeline, erased, other, after_nightly


def test_a_customer_sharing_an_email_with_an_erased_one_stays_in_the_crm(shared):
    pipeline, erased, other, after_nightly = shared
    assert erased["customer_id"] not in after_nightly  # the erasure itself held
    assert other["customer_id"] in after_nightly  # ... and reached no one else in raw
    # the next export, as the CRM wrote it, lands
    assert other["customer_id"] in pipeline.alive("crm_customers")
