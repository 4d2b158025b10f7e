"""Erasure's file scrubbing against an outside attack: what it removes must name the erased
customer, and it must not write through a link to a file outside the data folder."""

from __future__ import annotations

import os

import pytest

from social_crm.privacy import erasure, traces

ORDERS = (
    "order_id,customer_id,ordered_at,amount\n"
    "O1,42,2026-01-02T10:00:00Z,10.00\n"
    "O2,7,2026-01-02T10:00:00Z,42\n"
)


def test_erasing_a_customer_keeps_the_records_of_other_customers(tmp_path):
    # the CRM numbers its customers (customer_id "42" lands like any other id); customer 7's
    # order of 42.00 names no one, yet it goes with customer 42's records
    drop = tmp_path / "drop"
    (drop / "processed").mkdir(parents=True)
    (drop / "processed" / "orders_2026-01-02.csv").write_text(ORDERS, encoding="utf-8")
    # the tokens erase_requested hands over for customer "42": the id as the request names it
    erasure.erase_from_files(drop, {"42"})
    kept = (drop / "processed" / "orders_2026-01-02.csv").read_text(encoding="utf-8")
    assert "O2,7,2026-01-02T10:00:00Z,42" in kept


def test_erasure_never_writes_to_a_file_outside_the_data_folder(tmp_path):
    # a log in the logs folder that is a hard link to a file outside it (same inode): the
    # scrubber rewrites it in place, so the outside file loses its lines
    outside = tmp_path / "outside" / "audit.txt"
    outside.parent.mkdir()
    outside.write_text("kept for the auditors: C000001 ordered twice\nother line\n")
    before = outside.read_bytes()
    logs = tmp_path / "local" / "logs"
    logs.mkdir(parents=True)
    os.link(outside, logs / "task.log")
    traces.erase_from_folders({"local logs": logs}, {"C000001"})
    assert outside.read_bytes() == before


CUSTOMERS = (
    "customer_id\temail\tfirst_name\tlast_name\tmarketing_opt_in\tprofiling_opt_out\r\n"
    "C000001\tanna.kowalska@example.org\tAnna\tKowalska\ttrue\tfalse\r\n"
    "C000002\tola.nordmann@example.org\tOla\tNordmann\ttrue\tfalse\r\n"
)


def _utf16(text: str) -> bytes:
    # Excel's "Unicode text" export: UTF-16 with its byte order mark, tabs between fields
    return text.encode("utf-16")


def _gzip(text: str) -> bytes:
    import gzip

    return gzip.compress(text.encode("utf-8"))


@pytest.mark.parametrize(
    ("name", "encode", "decode"),
    [
        ("customers_excel.csv", _utf16, lambda data: data.decode("utf-16")),
        ("customers_2026-01-02.csv.gz", _gzip, None),
    ],
)
def test_no_file_of_the_drop_folder_names_an_erased_customer_whatever_its_format(
    tmp_path, name, encode, decode
):
    import gzip

    drop = tmp_path / "drop"
    (drop / "rejected").mkdir(parents=True)
    # the inbox rejected the export (not UTF-8 nor Windows-1252 text; not a .csv): it stays
    (drop / "rejected" / name).write_bytes(encode(CUSTOMERS))
    erasure.erase_from_files(drop, {"C000001", "anna.kowalska@example.org"})
    left = []
    for path in drop.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = decode(data) if decode else gzip.decompress(data).decode("utf-8")
            if "C000001" in text or "anna.kowalska" in text:
                left.append(path.name)
    assert left == []


def test_erasure_never_writes_through_a_link_in_the_drop_folder(tmp_path):
    # whoever can write to the inbox leaves, in a subfolder the inbox never reads, an export
    # naming customers and a link where the scrubber puts its temporary file; "-" sorts
    # before ".", so the export is scrubbed before the stale temporary file is cleared
    target = tmp_path / "outside" / "airflow.cfg"
    target.parent.mkdir()
    target.write_text("[core]\nexecutor = LocalExecutor\n")
    before = target.read_bytes()
    drop = tmp_path / "drop"
    (drop / "archive").mkdir(parents=True)
    (drop / "archive" / "-export.csv").write_text(
        "customer_id,note\nC000001,x\nC000002,[core] anything the writer chose\n"
    )
    os.symlink(target, drop / "archive" / ".-export.csv.erasing")
    erasure.erase_from_files(drop, {"C000001"})
    assert target.read_bytes() == before


def test_erasing_a_customer_keeps_the_records_of_a_customer_whose_id_differs_in_case(tmp_path):
    # a CRM whose ids are case-sensitive (Salesforce's 15-character ids): 001A000001abcDE and
    # 001A000001ABCde are two people; the warehouse keeps them apart (ids match exactly), the
    # file scrubber folds case and removes the other one's record with the erased one's
    drop = tmp_path / "drop"
    (drop / "processed").mkdir(parents=True)
    export = drop / "processed" / "customers_2026-01-02.csv"
    export.write_text(
        "customer_id,email,marketing_opt_in,profiling_opt_out\n"
        "001A000001abcDE,anna@example.org,true,false\n"
        "001A000001ABCde,ola@example.org,true,false\n",
        encoding="utf-8",
    )
    erasure.erase_from_files(drop, {"001A000001abcDE", "anna@example.org"})
    assert "001A000001ABCde,ola@example.org" in export.read_text(encoding="utf-8")


def test_erasure_loses_nothing_a_tool_is_still_writing(tmp_path):
    # the CRM writes tonight's export straight into the inbox (no hidden name first) while the
    # nightly's erasure runs: what it writes after the scrub must still be in the file
    drop = tmp_path / "drop"
    drop.mkdir()
    export = drop / "orders_2026-12-02.csv"
    with open(export, "w", encoding="utf-8") as writer:
        writer.write("order_id,customer_id,ordered_at,amount\n")
        writer.write("O1,C000001,2026-12-01T10:00:00Z,10.00\n")
        writer.flush()
        erasure.erase_from_files(drop, {"C000001"})
        writer.write("O2,C000002,2026-12-01T11:00:00Z,20.00\n")
    assert "O2,C000002" in export.read_text(encoding="utf-8")
