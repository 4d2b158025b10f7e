"""The customer who writes most asks to be erased and goes on writing: three days later the
APIs land their new activity, and the next nightly runs."""

from collections import Counter
from datetime import timedelta

import pytest

from tests.end_to_end.conftest import (
    detail_mart_columns_holding,
    extracted_copy,
    land_crm_export,
    nightly_build,
    use_local_dir,
    world_now,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def later(extracted_once, warehouse_url, tmp_path_factory):
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        sim, db = pipeline.sim, pipeline.db
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
        writers = Counter(
            m["customer_id"]
            for m in truth.rows("messages.csv")
            if m["customer_id"] and m["customer_id"] not in erasures
        )
        writer = writers.most_common(1)[0][0]
        moment = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (truth.folder / "crm" / "erasure_requests_writer.csv").write_text(
            f"customer_id,requested_at\n{writer},{moment}\n", encoding="utf-8"
        )
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly_build(as_of=world_now(sim))
        erased = {
            customer: set(ids)
            for customer, ids in pipeline.rows(
                "select customer_id, profile_ids from meta.erasure_log"
            )
        }
        sim.world.advance(days=3)
        pipeline.run()
        landed = pipeline.scalar(
            "select count(*) from raw.x_tweets t where t.payload->>'author_id' = any(%s)"
            " and t.extracted_at > (select max(erased_at) from meta.erasure_log)",
            sorted({p for ids in erased.values() for p in ids}),
        ) + pipeline.scalar(
            "select count(*) from raw.facebook_comments c where c.payload->'from'->>'id' = any(%s)"
            " and c.extracted_at > (select max(erased_at) from meta.erasure_log)",
            sorted({p for ids in erased.values() for p in ids}),
        )
        nightly_build(as_of=world_now(sim))
        yield pipeline, erased, landed


def test_an_erased_persons_new_activity_appears_in_no_detail_mart(later):
    pipeline, erased, landed = later
    assert landed > 0, "none of the erased people wrote again"
    values = sorted(
        {c for c in erased}
        | {
            v
            for ids in erased.values()
            for p in ids
            for v in (p, f"prospect:facebook:{p}", f"prospect:x:{p}", f"facebook:{p}", f"x:{p}")
        }
    )
    _, found = detail_mart_columns_holding(pipeline, values)
    assert found == []


def test_an_erased_persons_new_activity_is_erased_from_raw_by_the_next_nightly(later):
    pipeline, erased, landed = later
    assert landed > 0, "none of the erased people wrote again"
    profiles = sorted({p for ids in erased.values() for p in ids})
    ids = "array[" + ", ".join(f"'{p}'" for p in profiles if p.isdigit()) + "]::text[]"
    left = pipeline.alive("x_tweets", f"payload->>'author_id' = any({ids})")
    left |= pipeline.alive("facebook_comments", f"payload->'from'->>'id' = any({ids})")
    assert left == set()
