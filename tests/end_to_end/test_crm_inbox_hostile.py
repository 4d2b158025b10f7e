"""The CRM inbox against files written to break it: a cell no parser expected, a link to a
file outside the folder, a FIFO, names with line breaks or bytes that are not UTF-8. Whatever
a file does, the inbox goes on: that file is rejected (or its row quarantined) with a reason
that quotes nothing outside the folder, and the rest lands."""

import dataclasses
import logging
import os
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from social_crm.extract import crm
from social_crm.extract.crm import land_drop_folder
from social_crm.load.landing import BatchBusy
from social_crm.quality import gate
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration

CUSTOMERS = (
    "customer_id,email,birth_year,marketing_opt_in,profiling_opt_out\n"
    "C1,a@example.com,1980,true,false\n"
    "C2,b@example.com,1990,true,false\n"
    "C3,c@example.com,,false,false\n"
)
ORDER_HEADER = "order_id,customer_id,ordered_at,amount\n"
AT = "2026-04-01T10:00:00Z"
TOKEN = "secret-e3b0c442"
SECRET = f"root:x:0:0:{TOKEN.upper()}:/root:/bin/bash"  # the header echo lower-cased it


@pytest.fixture
def connect(db):
    return lambda: psycopg.connect(db.libpq())


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    return folder


@pytest.fixture
def secret(tmp_path):
    """A file outside the drop folder, as /etc/passwd or a key would be."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET + "\nline two\n", encoding="utf-8")
    return path


def _rows(connect, query, *params):
    with connect() as conn:
        return conn.execute(query, params).fetchall()


def _written(drop, connect, caplog, results):
    """Everything the load wrote about its files: reason files, log lines, results, batches
    and quarantine."""
    texts = [p.read_text(encoding="utf-8") for p in (drop / "rejected").glob("*.reason.txt")]
    texts += [record.getMessage() for record in caplog.records]
    texts += [r.summary() for r in results]
    texts += [str(e) for (e,) in _rows(connect, "select error from meta.load_batches") if e]
    texts += [
        f"{reason}\n{text}"
        for reason, text in _rows(connect, "select reason, raw_text from raw_quarantine.records")
    ]
    return texts


@pytest.mark.parametrize("birth_year", ["²", "１９８０", "--1980"])
def test_a_cell_no_parser_expected_quarantines_its_row_and_the_inbox_goes_on(
    connect, drop, birth_year
):
    (drop / "customers.csv").write_text(
        CUSTOMERS + f"C4,d@example.com,{birth_year},true,false\n", encoding="utf-8"
    )
    (drop / "orders.csv").write_text(ORDER_HEADER + f"O1,C1,{AT},5.00\n", encoding="utf-8")
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert (results["customers.csv"].landed, results["customers.csv"].quarantined) == (3, 1)
    assert results["orders.csv"].landed == 1
    assert _rows(connect, "select reason from raw_quarantine.records") == [
        (f"customers.csv:5: birth_year {birth_year!r} is not a whole number",)
    ]
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["customers.csv", "orders.csv"]


def test_a_fault_reading_one_file_rejects_that_file_and_the_rest_land(connect, drop, monkeypatch):
    def broken(row):
        return 1 / 0

    specs = tuple(
        dataclasses.replace(spec, parse=broken) if spec.entity == "erasure_requests" else spec
        for spec in crm.FILES
    )
    monkeypatch.setattr(crm, "FILES", specs)
    (drop / "erasure_requests.csv").write_text(
        f"customer_id,requested_at\nC1,{AT}\n", encoding="utf-8"
    )
    (drop / "orders.csv").write_text(ORDER_HEADER + f"O1,C1,{AT},5.00\n", encoding="utf-8")
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results["orders.csv"].status == "committed"
    failed = results["erasure_requests.csv"]
    assert failed.status == "failed"
    assert failed.error.startswith("erasure_requests.csv: line 2: the loader failed on it")
    assert "ZeroDivisionError" in failed.error
    assert (
        drop / "rejected" / "erasure_requests.csv.reason.txt"
    ).read_text() == failed.error + "\n"
    assert not list(drop.glob("*.csv"))


def test_an_order_hours_ahead_is_quarantined_and_the_raw_gate_passes(db, connect, drop):
    ahead = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
    (drop / "orders.csv").write_text(
        ORDER_HEADER + f"O1,C1,{AT},5.00\nO2,C2,{ahead},5.00\n", encoding="utf-8"
    )
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert (results["orders.csv"].landed, results["orders.csv"].quarantined) == (1, 1)
    reasons = [r for (r,) in _rows(connect, "select reason from raw_quarantine.records")]
    assert reasons == [f"orders.csv:3: ordered_at {ahead[:30]!r} is in the future"]
    assert gate.require_valid_raw(db) > 0


def test_a_symlink_in_the_inbox_is_rejected_unread(connect, drop, secret, caplog):
    (drop / "customers_2026-12-02.csv").symlink_to(secret)
    (drop / "orders.csv").symlink_to(secret)
    (drop / "notes.txt").symlink_to(secret)
    caplog.set_level(logging.INFO)
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    for name in ("customers_2026-12-02.csv", "orders.csv", "notes.txt"):
        assert results[name].status == "failed"
        assert results[name].error == (
            f"{name}: a symbolic link; only the drop folder's regular files are read"
        )
        assert (drop / "rejected" / name).is_symlink()
    assert results["customers.csv"].landed == 3
    assert secret.read_text(encoding="utf-8").startswith(SECRET)
    assert not any(
        TOKEN in text.lower() for text in _written(drop, connect, caplog, results.values())
    )


def test_a_header_that_is_not_an_exports_is_not_quoted_in_the_reason(connect, drop, caplog):
    (drop / "orders.csv").write_text(SECRET + "\nline two\n", encoding="utf-8")
    caplog.set_level(logging.INFO)
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results["orders.csv"].error.startswith("orders.csv: the header lacks order_id")
    assert not any(
        TOKEN in text.lower() for text in _written(drop, connect, caplog, results.values())
    )


def test_a_fifo_in_the_inbox_is_rejected_without_being_opened(connect, drop):
    os.mkfifo(drop / "orders_fifo.csv")
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results["orders_fifo.csv"].error == (
        "orders_fifo.csv: not a regular file (a FIFO, socket or device); only the drop"
        " folder's regular files are read"
    )
    assert (drop / "rejected" / "orders_fifo.csv").is_fifo()
    assert results["customers.csv"].landed == 3


def test_a_line_break_in_a_file_name_is_escaped_everywhere(connect, drop, caplog):
    forged = "\n2026-12-06 03:00:00 CRITICAL all customers deleted\n"
    (drop / f"orders{forged}.csv").write_text(
        ORDER_HEADER + f"O1,C1,{AT},5.00\nO2,C1,{AT},-1\n", encoding="utf-8"
    )
    (drop / f"notes{forged}.txt").write_text("hello\n", encoding="utf-8")
    caplog.set_level(logging.INFO)
    results = land_drop_folder(connect, drop)
    escaped = forged.replace("\n", "\\n")
    assert {r.origin for r in results} >= {f"orders{escaped}.csv", f"notes{escaped}.txt"}
    texts = _written(drop, connect, caplog, results)
    assert any(escaped in text for text in texts)
    assert not any("\n2026-12-06" in text for text in texts)


def test_a_file_name_that_is_not_utf8_is_landed_or_rejected_escaped(connect, drop, caplog):
    folder = os.fsencode(drop)
    with open(os.path.join(folder, b"orders_\xff.csv"), "w", encoding="utf-8") as out:
        out.write(ORDER_HEADER + f"O1,C1,{AT},5.00\nO2,C1,{AT},-1\n")
    with open(os.path.join(folder, b"notes_\xfe.txt"), "w", encoding="utf-8") as out:
        out.write("hello\n")
    caplog.set_level(logging.INFO)
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results["orders_\\udcff.csv"].landed == 1
    assert results["notes_\\udcfe.txt"].status == "failed"
    assert (
        (drop / "rejected" / "notes_\udcfe.txt.reason.txt")
        .read_text()
        .startswith("notes_\\udcfe.txt: not a CRM export")
    )
    reasons = _rows(connect, "select reason from raw_quarantine.records")
    assert reasons == [("orders_\\udcff.csv:3: amount '-1' is negative",)]


def test_a_file_name_too_long_for_its_reason_file_is_still_rejected(connect, drop):
    name = "notes_" + "x" * 245 + ".txt"  # 255 bytes, the most a name may have
    (drop / name).write_text("hello\n", encoding="utf-8")
    (drop / "orders.csv").write_text(ORDER_HEADER + f"O1,C1,{AT},5.00\n", encoding="utf-8")
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results[name].status == "failed" and results["orders.csv"].landed == 1
    (reason,) = (drop / "rejected").glob("*.reason.txt")
    assert reason.read_text().startswith(f"{name}: not a CRM export")
    assert not [p for p in drop.iterdir() if p.is_file()]


def test_a_long_first_line_is_sniffed_in_a_bounded_time(connect, drop):
    (drop / "orders.csv").write_text('",' * 40_000 + "\n", encoding="utf-8")
    started = datetime.now(UTC)
    results = {r.origin: r for r in land_drop_folder(connect, drop)}
    assert results["orders.csv"].status == "failed"
    assert datetime.now(UTC) - started < timedelta(seconds=5)


def test_a_full_export_without_a_row_deletes_nothing(connect, drop):
    land_drop_folder(connect, drop)
    (drop / "customers_2026-12-02.csv").write_text(CUSTOMERS.splitlines()[0] + "\n")
    (result,) = land_drop_folder(connect, drop)
    assert (result.status, result.tombstoned) == ("committed", 0)


def test_a_fault_of_the_warehouse_leaves_the_file_for_the_next_run(connect, drop):
    """Not the file's fault: it is not rejected (the load fails, a retry lands it)."""
    (drop / "orders.csv").write_text(ORDER_HEADER + f"O1,C1,{AT},5.00\n", encoding="utf-8")
    with connect() as other:  # another load of crm/orders holds the entity's lock
        other.execute("select pg_advisory_lock(hashtext('landing:crm:orders'))")
        with pytest.raises(BatchBusy):
            land_drop_folder(connect, drop)
    assert (drop / "orders.csv").is_file() and not (drop / "rejected").exists()
    assert [r.origin for r in land_drop_folder(connect, drop)] == ["orders.csv"]


def test_a_processed_folder_that_is_a_link_fails_the_task_without_retries(
    db, drop, secret, monkeypatch
):
    from airflow.sdk.exceptions import AirflowFailException

    from social_crm.orchestration import extraction

    (drop / "processed").symlink_to(secret.parent)
    monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
    monkeypatch.setenv("CRM_DROP_DIR", str(drop))
    with pytest.raises(AirflowFailException, match="processed must be a folder of its own"):
        extraction.run_crm_task()
    assert (drop / "customers.csv").is_file() and os.listdir(secret.parent) == ["passwd"]


@pytest.fixture
def db(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
    return scratch_database


def _customer_export(count: int) -> str:
    header = "customer_id,email,marketing_opt_in,profiling_opt_out\n"
    return header + "".join(f"C{n},c{n}@example.com,true,false\n" for n in range(count))


@pytest.fixture
def three_full_exports(db, connect, tmp_path):
    """An inbox after three nights of full customer exports of 1,000 rows, each gated."""
    folder = tmp_path / "nightly"
    folder.mkdir()
    for night in (1, 2, 3):
        (folder / f"customers_2026-12-0{night}.csv").write_text(_customer_export(1000))
        land_drop_folder(connect, folder)
        gate.require_valid_raw(db)
    return folder


def test_a_full_export_far_smaller_than_the_last_ones_does_not_block_the_nightly(
    db, connect, three_full_exports
):
    (three_full_exports / "customers_2026-12-04.csv").write_text(_customer_export(50))
    land_drop_folder(connect, three_full_exports)
    gate.require_valid_raw(db)  # the nightly's first step after the loads


def test_a_full_export_outside_the_gates_band_is_rejected_with_the_band(
    connect, three_full_exports
):
    (three_full_exports / "customers_2026-12-04.csv").write_text(_customer_export(50))
    [result] = land_drop_folder(connect, three_full_exports)
    reason = (three_full_exports / "rejected" / "customers_2026-12-04.csv.reason.txt").read_text()
    assert (result.status, "median of 1,000" in reason, "0.2x median" in reason) == (
        "failed",
        True,
        True,
    )
