"""Consent as the CRM changes it over nights: two customers whose Facebook accounts the CRM
knows opt out of profiling; the next night's full customers export leaves one of them out
(deleted from the CRM) and has the other opt back in. The world is built once."""

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.end_to_end.conftest import (
    csv_rows,
    detail_mart_columns_holding,
    extracted_copy,
    land_crm_export,
    nightly_build,
    use_local_dir,
    world_now,
    write_csv,
)

pytestmark = pytest.mark.integration


def _engaged_known_facebook_accounts(pipeline, truth) -> list[dict]:
    """Known Facebook accounts of customers who neither opted out nor asked to be erased,
    with landed comments, most comments first."""
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    customers = {c["customer_id"]: c for c in csv_rows(truth.folder / "crm" / "customers.csv")}
    accounts = [
        a
        for a in csv_rows(truth.folder / "crm" / "customer_social_accounts.csv")
        if a["platform"] == "facebook"
        and a["account_id"]
        and a["customer_id"] in customers
        and customers[a["customer_id"]]["profiling_opt_out"] == "false"
        and a["customer_id"] not in erasures
    ]
    owners = {}
    for a in accounts:
        owners.setdefault(a["account_id"], set()).add(a["customer_id"])
    counted = [
        (
            pipeline.scalar(
                "select count(*) from raw.facebook_comments where payload->'from'->>'id' = %s",
                a["account_id"],
            ),
            a,
        )
        for a in accounts
        if len(owners[a["account_id"]]) == 1
    ]
    counted.sort(key=lambda pair: -pair[0])
    return [a for n, a in counted if n > 0]


@pytest.fixture(scope="module")
def changed(extracted_once, warehouse_url, tmp_path_factory):
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        sim, db = pipeline.sim, pipeline.db
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        deleted, back, late = _engaged_known_facebook_accounts(pipeline, truth)[:3]
        ids = {deleted["customer_id"], back["customer_id"]}
        export = truth.folder / "crm" / "customers.csv"
        customers = csv_rows(export)
        for c in customers:
            if c["customer_id"] in ids:
                c["profiling_opt_out"] = "true"
        write_csv(export, customers)
        land_crm_export(pipeline.connect, truth)
        drop = truth.folder / "crm_drop"
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(drop))
        nightly_build(as_of=world_now(sim))
        first = {
            "deleted shown": pipeline.scalar(
                "select count(*) from marts.people where facebook_profile_id = %s",
                deleted["account_id"],
            ),
            "late shown": pipeline.scalar(
                "select count(*) from marts.people where customer_id = %s",
                late["customer_id"],
            ),
            "back engagements": pipeline.scalar(
                "select count(*) from marts.engagements e join"
                " intermediate.int_engagements_unified u using (engagement_id)"
                " where u.platform = 'facebook' and u.profile_id = %s",
                back["account_id"],
            ),
        }
        # the next night's full export: one of them deleted, the other opted back in, and a
        # third customer, visible so far, opts out
        later = []
        for c in customers:
            if c["customer_id"] == deleted["customer_id"]:
                continue
            if c["customer_id"] == back["customer_id"]:
                c = {**c, "profiling_opt_out": "false"}
            if c["customer_id"] == late["customer_id"]:
                c = {**c, "profiling_opt_out": "true"}
            later.append(c)
        write_csv(drop / "customers_9999-12-31.csv", later)
        land_drop_folder(pipeline.connect, drop)
        nightly_build(as_of=world_now(sim))
        yield {
            "pipeline": pipeline,
            "deleted": deleted,
            "back": back,
            "late": late,
            "first": first,
        }


def test_an_opted_out_customer_deleted_from_the_crm_stays_out_of_detail_marts(changed):
    pipeline, account = changed["pipeline"], changed["deleted"]["account_id"]
    assert changed["first"]["deleted shown"] == 0  # their opt-out held while they were a customer
    shown = pipeline.rows(
        "select person_id, full_name, facebook_profile_id, comments_count from marts.people"
        " where facebook_profile_id = %s",
        account,
    )
    engagements = pipeline.scalar(
        "select count(*) from marts.engagements e join intermediate.int_engagements_unified u"
        " using (engagement_id) where u.platform = 'facebook' and u.profile_id = %s",
        account,
    )
    assert (shown, engagements) == ([], 0)


def test_a_customer_who_opts_back_in_has_all_their_engagements_in_the_marts(changed):
    pipeline, account = changed["pipeline"], changed["back"]["account_id"]
    assert changed["first"]["back engagements"] == 0  # hidden while opted out
    expected = pipeline.scalar(
        "select count(*) from intermediate.int_engagements_unified"
        " where platform = 'facebook' and profile_id = %s",
        account,
    )
    published = pipeline.scalar(
        "select count(*) from marts.engagements e join intermediate.int_engagements_unified u"
        " using (engagement_id) where u.platform = 'facebook' and u.profile_id = %s",
        account,
    )
    assert expected > 0
    assert published == expected


def test_a_customer_who_opts_out_after_being_linked_leaves_every_detail_mart(changed):
    pipeline, late = changed["pipeline"], changed["late"]
    assert changed["first"]["late shown"] == 1  # visible before they opted out
    values = [
        late["customer_id"],
        late["account_id"],
        f"facebook:{late['account_id']}",
        f"prospect:facebook:{late['account_id']}",
    ]
    columns, found = detail_mart_columns_holding(pipeline, values)
    assert columns
    assert found == []
