"""CRM export files: every valid row lands, bad rows are quarantined with file, line and reason."""

import csv
import shutil

import pytest

from social_crm.extract.crm import FILES, land_drop_folder
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
def drop(tmp_path):
    world_dir = tmp_path / "world"
    write_world(World(WorldConfig(seed=8, scale=0.05, days=30)), world_dir, progress=lambda _: None)
    folder = tmp_path / "drop"
    shutil.copytree(world_dir / "crm", folder)
    return folder


# the files a world's export holds
EXPORTED = {"customers", "orders", "erasure_requests", "products", "customer_social_accounts"}


def _customers(drop, n):
    with open(drop / "customers.csv", newline="", encoding="utf-8") as handle:
        return [row["customer_id"] for row in csv.DictReader(handle)][:n]


def _count(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_crm_export_lands_exactly_and_moves_to_processed(sim, db, drop):
    pipeline = Pipeline(sim, db)
    rows = {f.entity: _count(drop / f"{f.entity}.csv") for f in FILES if f.entity in EXPORTED}
    results = {r.entity: r for r in land_drop_folder(pipeline.connect, drop)}
    assert {entity: results[entity].landed for entity in rows} == rows
    assert rows["customers"] > 0 and rows["orders"] > 0 and rows["products"] > 10
    assert sorted(p.name for p in (drop / "processed").iterdir()) == sorted(
        f"{entity}.csv" for entity in rows
    )
    assert not list(drop.glob("*.csv"))
    assert (
        pipeline.scalar("select cursor_value from meta.watermarks where entity = 'orders'")
        == "orders.csv"
    )


def test_the_same_export_dropped_again_lands_nothing(sim, db, drop):
    pipeline = Pipeline(sim, db)
    land_drop_folder(pipeline.connect, drop)
    for landed in (drop / "processed").iterdir():
        shutil.copy(landed, drop / landed.name)
    again = land_drop_folder(pipeline.connect, drop)
    assert {r.entity: r.landed for r in again} == {entity: 0 for entity in EXPORTED}
    assert all(r.status == "committed" for r in again)


def test_bad_rows_are_quarantined_and_the_rest_lands(sim, db, drop):
    bad = drop / "orders_2026-04-02.csv"
    bad.write_text(
        "order_id,customer_id,ordered_at,amount,product_id\n"
        "O1,C000001,2026-04-01T10:00:00Z,12.50,P001\n"
        "O2,C000001,yesterday,12.50,P001\n"
        "O3,C000002,2026-04-01T10:00:00Z,twelve,P001\n"
        ",C000002,2026-04-01T10:00:00Z,3.00,P001\n"
        "O5,C000003,2026-04-01T10:00:00Z,-4.00,P002\n"
        "O6,C000003,2026-04-01T10:00:00Z\n",
        encoding="utf-8",
    )
    (drop / "customers_extra.csv").write_text(
        "customer_id,email,first_name,last_name,birth_year,gender,country,city,job_title,"
        "marketing_opt_in,profiling_opt_out\n"
        "C900001,not-an-email,A,B,1980,female,NO,Oslo,Chef,true,false\n"
        "C900002,ok@example.com,A,B,19x0,female,NO,Oslo,Chef,true,false\n"
        "C900003,ok3@example.com,A,B,1980,female,NO,Oslo,Chef,maybe,false\n"
        "C900004,ok4@example.com,A,B,1980,female,NO,Oslo,Chef,true,false\n",
        encoding="utf-8",
    )
    pipeline = Pipeline(sim, db)
    results = {r.origin: r for r in land_drop_folder(pipeline.connect, drop)}
    assert results["orders_2026-04-02.csv"].quarantined == 5
    assert results["orders_2026-04-02.csv"].landed == 1  # O1
    assert results["customers_extra.csv"].quarantined == 3
    reasons = [
        r[0] for r in pipeline.rows("select reason from raw_quarantine.records order by reason")
    ]
    assert reasons == [
        "customers_extra.csv:2: email 'not-an-email' is not an address",
        "customers_extra.csv:3: birth_year '19x0' is not a whole number",
        "customers_extra.csv:4: marketing_opt_in 'maybe' is not true/false",
        "orders_2026-04-02.csv:3: ordered_at 'yesterday' is not an ISO-8601 timestamp",
        "orders_2026-04-02.csv:4: amount 'twelve' is not a number",
        "orders_2026-04-02.csv:5: missing order_id",
        "orders_2026-04-02.csv:6: amount '-4.00' is negative",
        "orders_2026-04-02.csv:7: wrong number of columns",
    ]
    raw_text = pipeline.scalar(
        "select raw_text from raw_quarantine.records where reason like '%%twelve%%'"
    )
    assert '"amount": "twelve"' in raw_text and '"line": 4' in raw_text


def test_missing_drop_folder_is_a_clear_error(sim, db, tmp_path):
    pipeline = Pipeline(sim, db)
    with pytest.raises(FileNotFoundError, match="CRM drop folder .* does not exist"):
        land_drop_folder(pipeline.connect, tmp_path / "nope")


def test_known_social_accounts_are_validated_row_by_row(sim, db, drop):
    c = _customers(drop, 9)
    (drop / "customer_social_accounts_extra.csv").write_text(
        "customer_id,platform,account_id,handle,source,linked_at\n"
        f"{c[0]},facebook,10000000123,,social_login,2026-03-01T10:00:00Z\n"
        f"{c[1]},x,,@Kari_N,loyalty_signup,2026-03-01T10:00:00Z\n"
        f"{c[2]},myspace,123,,manual,2026-03-01T10:00:00Z\n"
        f"{c[3]},facebook,,kari.n,manual,2026-03-01T10:00:00Z\n"
        f"{c[4]},x,,kari n!,manual,2026-03-01T10:00:00Z\n"
        f"{c[5]},x,https://evil.example/1,,manual,2026-03-01T10:00:00Z\n"
        f"{c[6]},x,,,manual,2026-03-01T10:00:00Z\n"
        f"{c[7]},x,123,,a_guess,2026-03-01T10:00:00Z\n"
        f"{c[8]},x,123,,manual,last week\n",
        encoding="utf-8",
    )
    pipeline = Pipeline(sim, db)
    results = {r.origin: r for r in land_drop_folder(pipeline.connect, drop)}
    reasons = [
        r[0]
        for r in pipeline.rows(
            "select reason from raw_quarantine.records where entity = 'customer_social_accounts'"
            " order by reason"
        )
    ]
    assert results["customer_social_accounts_extra.csv"].quarantined == 7
    extra = "customer_social_accounts_extra.csv"
    assert reasons == [
        f"{extra}:10: linked_at 'last week' is not an ISO-8601 timestamp",
        f"{extra}:4: platform 'myspace' is not one of facebook, x, instagram",
        f"{extra}:5: a handle is only read for x and instagram; facebook needs account_id",
        f"{extra}:6: handle 'kari n!' is not an X handle",
        f"{extra}:7: account_id 'https://evil.example/1' is not a x id",
        f"{extra}:8: neither account_id nor handle",
        f"{extra}:9: source 'a_guess' is not one of social_login, loyalty_signup,"
        " service_conversation, manual",
    ]
    landed = dict(
        pipeline.rows(
            "select natural_key, payload ->> 'handle' from raw.crm_customer_social_accounts"
            " where batch_id = %s",
            results["customer_social_accounts_extra.csv"].batch_id,
        )
    )
    assert landed == {f"{c[0]}:facebook:10000000123": None, f"{c[1]}:x:@kari_n": "Kari_N"}
