"""Erasure in files names a person exactly: a short numeric id only where it cannot be a
number, another customer's record kept with only the field naming them blanked, a file in a
format it cannot scrub removed only when it may name them, and nothing written through a
link it finds."""

from __future__ import annotations

import gzip
import logging
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm.privacy import erasure, traces

short_ids = st.integers(1, 99_999).map(str)

# lines naming customer {id}, and lines where {id} is a number of something else
NAMING = (
    "crm: customer_id={id} refused",
    "crm: row {{'customer_id': '{id}'}} quarantined",
    'crm: "customer_id": "{id}" not known',
    "erasure: customer: {id} done",
)
NOT_NAMING = (
    "2026-12-01T18:{id}:07Z INFO landed",
    "crm orders.csv:{id}: amount 1.001 has more than 2 decimals",
    "crm: {id} rows landed, amount {id}.00",
    "crm: the header has {id} column(s)",
)


@settings(max_examples=60, deadline=None)
@given(short_ids, st.lists(st.tuples(st.booleans(), st.integers(0, 3)), min_size=1, max_size=12))
def test_a_log_loses_exactly_the_lines_naming_a_numeric_id(customer, lines):
    written = [
        (naming, (NAMING if naming else NOT_NAMING)[form].format(id=customer) + "\n")
        for naming, form in lines
    ]
    with tempfile.TemporaryDirectory() as name:
        log_file = Path(name) / "attempt=1.log"
        log_file.write_text("".join(line for _, line in written), encoding="utf-8")
        traces.erase_from_folders({"logs": Path(name)}, {customer})
        left = log_file.read_text(encoding="utf-8")
    assert left == "".join(line for naming, line in written if not naming)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(("C000001", "42", "001A000001abcDE")),
    st.integers(0, 6),
    st.sampled_from((",", ";", "\t")),
)
def test_another_customers_record_naming_them_keeps_its_row_with_that_field_blank(
    erased, position, delimiter
):
    rows = [
        ["customer_id", "email", "marketing_opt_in", "profiling_opt_out", "referred_by"],
        [erased, "anna@example.org", "true", "false", ""],
    ]
    others = [[f"D{n:06d}", f"p{n}@example.org", "true", "false", "D000099"] for n in range(6)]
    others[position % len(others)][4] = erased
    with tempfile.TemporaryDirectory() as name:
        export = Path(name) / "customers_2026-12-02.csv"
        export.write_text(
            "".join(delimiter.join(row) + "\n" for row in rows[:1] + rows[1:] + others)
        )
        erasure.erase_from_files(Path(name), {erased, "anna@example.org"})
        left = export.read_text()
    others[position % len(others)][4] = ""
    assert left == "".join(delimiter.join(row) + "\n" for row in rows[:1] + others)


def test_a_compressed_export_naming_no_erased_customer_stays(tmp_path):
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    data = gzip.compress(b"customer_id,email\nC000002,ola@example.org\n")
    (rejected / "customers.csv.gz").write_bytes(data)
    erasure.erase_from_files(tmp_path, {"C000001", "anna@example.org"})
    assert (rejected / "customers.csv.gz").read_bytes() == data


def test_an_archive_erasure_cannot_read_is_removed(tmp_path):
    # an xlsx (a zip): it may name them, and cannot be scrubbed
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    (rejected / "customers.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(64))
    erasure.erase_from_files(tmp_path, {"C000001"})
    assert list(rejected.iterdir()) == []


def test_a_planted_temporary_link_is_removed_and_its_target_kept(tmp_path):
    target = tmp_path / "outside.cfg"
    target.write_text("[core]\n")
    processed = tmp_path / "drop" / "processed"
    processed.mkdir(parents=True)
    (processed / "orders.csv").write_text("order_id,customer_id\nO1,C000001\nO2,C000002\n")
    os.symlink(target, processed / ".orders.csv.erasing")
    erasure.erase_from_files(tmp_path / "drop", {"C000001"})
    assert (target.read_text(), sorted(p.name for p in processed.iterdir())) == (
        "[core]\n",
        ["orders.csv"],
    )


def test_a_pass_counts_the_bare_mentions_it_keeps_without_naming_the_id(tmp_path, caplog):
    (tmp_path / "task.log").write_text("customer 4711 ordered at 18:47:11\n")
    with caplog.at_level(logging.INFO, logger="social_crm.privacy.traces"):
        traces.erase_from_folders({"logs": tmp_path}, {"4711"})
    said = [r.getMessage() for r in caplog.records]
    assert any("1 bare mention" in m for m in said) and not any("4711" in m for m in said)


def test_the_log_of_a_pass_never_names_them_through_a_file_name(tmp_path, caplog):
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "orders_C000001.csv").write_text("order_id,customer_id\nO1,C000001\nO2,C2\n")
    with caplog.at_level(logging.INFO, logger="social_crm.privacy.traces"):
        erasure.erase_from_files(tmp_path, {"C000001"})
    said = [r.getMessage() for r in caplog.records]
    assert said and not [m for m in said if "C000001" in m]


def test_a_logs_folder_configured_as_a_link_is_scrubbed(tmp_path):
    # the setting points at a link to a bigger disk: the folder is the setting's, not content
    real = tmp_path / "disk" / "logs"
    real.mkdir(parents=True)
    (real / "task.log").write_text("crm: customer C000001 refused\nlanded\n")
    os.symlink(real, tmp_path / "logs")
    traces.erase_from_folders({"logs": tmp_path / "logs"}, {"C000001"})
    assert (real / "task.log").read_text() == "landed\n"
