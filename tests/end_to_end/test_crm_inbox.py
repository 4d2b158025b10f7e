"""The CRM drop folder as an inbox, fed hostile files between good ones: each file is landed or
rejected on its own, bad rows are quarantined naming file and line, and nothing repeats."""

import csv
import json
import shutil

import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.orchestration import extraction
from social_crm_dev.simulator.config import WorldConfig
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration

ORDER_HEADER = "order_id,customer_id,ordered_at,amount,product_id\n"
AT = "2026-04-01T10:00:00Z"
GOOD_FILES = (
    "orders_2026-04-01.csv",
    "orders_2026-04-02_semicolons.csv",
    "orders_2026-04-03_windows.csv",
    "Orders_2026-04-04_UPPER.csv",
    "orders_2026-04-05_x.CSV",
    "orders_2026-04-06_rows.csv",
)
REJECTED_FILES = {
    "orders_2026-04-07_header.csv": "the header lacks order_id, customer_id",
    "orders_2026-04-08_binary.csv": "NUL bytes",
    "notes.txt": "not a CRM export",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A world's CRM export, written once for the module."""
    world = tmp_path_factory.mktemp("world")
    write_world(World(WorldConfig(seed=8, scale=0.05, days=30)), world, progress=lambda _: None)
    return world / "crm"


@pytest.fixture
def hostile(sim, db, tmp_path, export):
    """A world's export, then hostile order files between good ones, landed once."""
    drop = tmp_path / "drop"
    shutil.copytree(export, drop)
    with open(drop / "customers.csv", newline="", encoding="utf-8") as handle:
        c = [row["customer_id"] for row in csv.DictReader(handle)][:3]
    with open(drop / "products.csv", newline="", encoding="utf-8") as handle:
        p = next(csv.DictReader(handle))["product_id"]
    files = {
        "orders_2026-04-01.csv": ORDER_HEADER + f"G1,{c[0]},{AT},12.50,{p}\n",
        "orders_2026-04-02_semicolons.csv": ORDER_HEADER.replace(",", ";")
        + f"G2;{c[1]};{AT};3.00;{p}\n",
        "Orders_2026-04-04_UPPER.csv": ORDER_HEADER + f"G4,{c[2]},{AT},1.00,\n",
        "orders_2026-04-05_x.CSV": ORDER_HEADER + f"G5,{c[0]},{AT},2.00,\n",
        "orders_2026-04-06_rows.csv": ORDER_HEADER
        + f"G6,{c[0]},{AT},5.00,{p}\n"
        + f"B1,{c[0]},9999-12-31T00:00:00Z,5.00,{p}\n"
        + f"B2,{c[0]},1850-01-01T00:00:00Z,5.00,{p}\n"
        + f"B3,{c[0]},{AT},-50.00,{p}\n"
        + f"B4,{c[0]},{AT},0.001,{p}\n"
        + f"B5,{c[0]},{AT},1E+9,{p}\n"
        + f"B6,C-NOBODY,{AT},5.00,{p}\n"
        + f"B7,{c[0]},{AT},5.00,P-NOTHING\n"
        + f"B8,{c[0]},{AT},5.00,{'x' * 10_000_000}\n"
        + f"G7,{c[1]},{AT},1.00,{p}\n"
        + f"G7,{c[1]},{AT},9.00,{p}\n",
        "orders_2026-04-07_header.csv": "id;cust;when;sum\nH1;C1;2026-04-01;1\n",
        "notes.txt": "call the CRM vendor about the export\n",
    }
    for name, text in files.items():
        (drop / name).write_text(text, encoding="utf-8")
    (drop / "orders_2026-04-03_windows.csv").write_bytes(
        (ORDER_HEADER + f"G3,{c[1]},{AT},4.00,{p}\n")
        .encode("cp1252")
        .replace(b"G3", "G3-S\u00f8ren".encode("cp1252"))
    )
    (drop / "orders_2026-04-08_binary.csv").write_bytes(b"PK\x03\x04\x00\x00binary\x00")
    pipeline = Pipeline(sim, db)
    results = land_drop_folder(pipeline.connect, drop)
    return pipeline, drop, results


def test_every_good_file_between_hostile_ones_lands(hostile):
    pipeline, drop, results = hostile
    landed = {r.origin for r in results if r.status == "committed"}
    assert set(GOOD_FILES) <= landed
    assert {p.name for p in (drop / "processed").iterdir()} >= set(GOOD_FILES)
    keys = {r[0] for r in pipeline.rows("select natural_key from raw.crm_orders")}
    assert {"G1", "G2", "G3-S\u00f8ren", "G4", "G5", "G6", "G7"} <= keys


def test_every_bad_file_is_rejected_with_its_reason_beside_it(hostile):
    _, drop, results = hostile
    failed = {r.origin: r.error for r in results if r.status == "failed"}
    assert set(failed) == set(REJECTED_FILES)
    for name, reason in REJECTED_FILES.items():
        assert reason in failed[name] and failed[name].startswith(name)
        beside = (drop / "rejected" / f"{name}.reason.txt").read_text()
        assert reason in beside
        assert (drop / "rejected" / name).is_file()


def test_every_bad_row_is_quarantined_naming_file_and_line(hostile):
    pipeline, _, _ = hostile
    reasons = {
        json.loads(text)["row"]["order_id"]: reason
        for text, reason in pipeline.rows(
            "select raw_text, reason from raw_quarantine.records where entity = 'orders'"
        )
    }
    name = "orders_2026-04-06_rows.csv"
    assert reasons == {
        "B1": f"{name}:3: ordered_at '9999-12-31T00:00:00Z' is in the future",
        "B2": f"{name}:4: ordered_at '1850-01-01T00:00:00Z' is before 1900",
        "B3": f"{name}:5: amount '-50.00' is negative",
        "B4": f"{name}:6: amount '0.001' has more than 2 decimals",
        "B5": f"{name}:7: amount '1E+9' is not below 1,000,000",
        "B6": f"{name}:8: customer_id 'C-NOBODY' is not a known customer",
        "B7": f"{name}:9: product_id 'P-NOTHING' is not a known product",
        "B8": f"{name}:10: product_id is 10,000,000 characters (at most 10,000)",
    }


def test_a_quarantined_field_is_kept_cut_short(hostile):
    pipeline, _, _ = hostile
    longest = pipeline.scalar("select max(length(raw_text)) from raw_quarantine.records")
    assert longest < 3_000


def test_the_last_row_of_a_record_in_a_file_wins(hostile):
    pipeline, _, _ = hostile
    amount = pipeline.scalar(
        "select payload->>'amount' from raw.crm_orders where natural_key = 'G7'"
        " order by ingest_seq desc limit 1"
    )
    assert amount == "9.00"


def test_a_second_run_over_the_inbox_repeats_nothing(hostile):
    pipeline, drop, _ = hostile
    counts = (
        "select (select count(*) from raw_quarantine.records),"
        " (select count(*) from raw.crm_orders), (select count(*) from meta.load_batches)"
    )
    before = pipeline.rows(counts)
    again = land_drop_folder(pipeline.connect, drop)
    assert again == [] and pipeline.rows(counts) == before


def test_the_load_fails_naming_each_rejected_file_after_landing_the_rest(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "notes.txt").write_text("call the CRM vendor\n")
    (drop / "products.csv").write_text("product_id,name\nP1,Mug\n")
    with pytest.raises(extraction.FilesRejected, match="notes.txt: not a CRM export") as failed:
        extraction.run_crm(folder=drop)
    assert any(line.startswith("crm/products products.csv: 1 read") for line in failed.value.lines)
