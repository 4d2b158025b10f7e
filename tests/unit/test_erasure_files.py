"""Erasure in the CRM drop folder: generated exports (encodings, delimiters, padded ids,
records over several lines, files without a header and their rejection reasons) lose every
record of the erased customer, and nothing else."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract import crm
from social_crm.privacy import erasure, traces

LETTERS = "abcdefghijklmnopqrstuvwxyzéüø"
DELIMITERS = ",;\t|"
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
HEADER = ("customer_id", "email", "first_name", "last_name", "notes")


@st.composite
def customers(draw) -> list[dict]:
    count = draw(st.integers(2, 5))
    numbers = draw(st.lists(st.integers(1, 999_999), min_size=count, max_size=count, unique=True))
    people = []
    for i, number in enumerate(numbers):
        # names unique by construction (a letter per customer no other name has)
        first = draw(st.text(LETTERS, min_size=2, max_size=8)).capitalize() + "ABCDE"[i]
        last = "Q" + draw(st.text(LETTERS, min_size=2, max_size=8)) + "vwxyz"[i]
        people.append(
            {
                "customer_id": f"C{number:06d}",
                "email": f"{first.lower()}.{last.lower()}@example.org",
                "first_name": first,
                "last_name": last,
            }
        )
    return people


def files(**fixed: object) -> st.SearchStrategy[list[dict]]:
    """Export files of every customer; `fixed` settles some of their traits."""
    traits = {
        "where": st.sampled_from(("", "processed", "rejected")),
        "encoding": st.sampled_from(ENCODINGS),
        "delimiter": st.sampled_from(DELIMITERS),
        "line_end": st.sampled_from(("\n", "\r\n")),
        "header": st.booleans(),
        "padded": st.booleans(),  # ids with spaces around them
        "multiline": st.booleans(),  # a notes field over two lines naming the person
    }
    traits.update({name: st.just(value) for name, value in fixed.items()})
    return st.lists(st.fixed_dictionaries(traits), min_size=1, max_size=4)


# each way an export held on to an erased customer, alone (the rest generated)
TRACES = {
    "padded ids": {"header": True, "padded": True, "multiline": False},
    "a record over several lines": {"header": True, "padded": False, "multiline": True},
    "a file without a header": {"header": False, "padded": False, "multiline": False},
    "its rejection reason": {
        "where": "rejected",
        "header": False,
        "padded": False,
        "multiline": False,
    },
}


def _row(person: dict, spec: dict, order: int) -> list[str]:
    pad = " " if spec["padded"] else ""
    notes = f"call back\n{person['first_name']} {person['last_name']}" if spec["multiline"] else ""
    return [
        f"{pad}{person['customer_id']}{pad}",
        f"{pad}{person['email'].upper() if order % 2 else person['email']}",
        person["first_name"],
        person["last_name"],
        notes,
    ]


def _write(folder: Path, n: int, spec: dict, people: list[dict], first: int) -> Path:
    """An export of every customer, `first` on its first line; a rejected file without a
    header gets the reason the inbox writes (its first line as the header found)."""
    ordered = people[first:] + people[:first]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec["delimiter"], lineterminator=spec["line_end"])
    if spec["header"]:
        writer.writerow(HEADER)
    for order, person in enumerate(ordered):
        writer.writerow(_row(person, spec, order))
    target = folder / spec["where"] / f"customers_{n}.csv"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(out.getvalue().encode(spec["encoding"]))
    if spec["where"] == "rejected":
        found = [f.strip().lower() for f in _row(ordered[0], spec, 0)] if not spec["header"] else []
        reason = f"{target.name}: the header lacks email for a customers export (found: "
        target.with_name(target.name + ".reason.txt").write_text(
            reason + ", ".join(found)[:300] + ")\n", encoding="utf-8"
        )
    return target


def _records(path: Path) -> list[tuple[str, ...]]:
    """The file's records as the inbox reads them, fields stripped (the header left out)."""
    text, _, dialect = crm.read_text(path)
    rows = [tuple(f.strip() for f in row) for row in csv.reader(io.StringIO(text), dialect)]
    return [row for row in rows if row and row != HEADER]


def _traces(folder: Path, person: dict) -> dict[str, list[str]]:
    identifiers = [person["customer_id"], person["email"]]
    words = [rf"(^|[^0-9a-z_.@-]){re.escape(i.lower())}($|[^0-9a-z_.@-])" for i in identifiers]
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = next(
            (data.decode(e).lower() for e in ("utf-8-sig", "cp1252") if _decodes(data, e)),
            data.decode("latin-1").lower(),
        )
        hits = [i for i, w in zip(identifiers, words, strict=True) if re.search(w, text)]
        hits += [n for n in (person["first_name"], person["last_name"]) if n.lower() in text]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _erase_one(people: list[dict], specs: list[dict], data: st.DataObject) -> dict:
    """The exports written and one customer erased: what remains names them where?"""
    erased = data.draw(st.sampled_from(people))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for n, spec in enumerate(specs):
            _write(folder, n, spec, people, data.draw(st.integers(0, len(people) - 1)))
        erasure.erase_from_files(folder, {erased["customer_id"], erased["email"]})
        return _traces(folder, erased)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers(), files(), st.data())
def test_no_export_in_the_drop_folder_names_an_erased_customer(people, specs, data):
    assert _erase_one(people, specs, data) == {}


@pytest.mark.parametrize("trace", list(TRACES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=customers(), data=st.data())
def test_erasure_reaches(trace, people, data):
    specs = data.draw(files(**TRACES[trace]))
    assert _erase_one(people, specs, data) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers(), files(), st.data())
def test_erasure_keeps_every_other_customers_record_of_an_export(people, specs, data):
    erased = data.draw(st.sampled_from(people))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        written = [
            _write(folder, n, spec, people, data.draw(st.integers(0, len(people) - 1)))
            for n, spec in enumerate(specs)
        ]
        before = {path: _records(path) for path in written}
        erasure.erase_from_files(folder, {erased["customer_id"], erased["email"]})
        after = {path: _records(path) for path in written}
    expected = {
        path: [r for r in records if r[0] != erased["customer_id"]]
        for path, records in before.items()
    }
    assert after == expected


# --- the other files erasure reaches: logs, and exports it cannot read ----------------------

log_lines = st.lists(
    st.tuples(
        st.integers(0, 4),  # which customer the line names
        st.sampled_from(("crm: rejected {} (found: {}, x)", "{}: {} is not a known customer")),
        st.sampled_from(("", " ", "  ")),  # padding around the id
        st.booleans(),  # the id lower-cased (as a rejected header is)
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(customers(), log_lines, st.data())
def test_a_log_loses_the_lines_naming_an_erased_customer_and_keeps_the_others(people, lines, data):
    erased = data.draw(st.sampled_from(people))
    written = []
    for index, form, pad, lower in lines:
        person = people[index % len(people)]
        key = person["customer_id"].lower() if lower else person["customer_id"]
        text = form.format("customers.csv", f"{pad}{key}{pad}")
        written.append((person, f"2026-12-01T00:00:00Z INFO {text}\n"))
    with tempfile.TemporaryDirectory() as name:
        log_file = Path(name) / "dag_id=x" / "attempt=1.log"
        log_file.parent.mkdir()
        log_file.write_text("".join(line for _, line in written), encoding="utf-8")
        traces.erase_from_folders({"logs": Path(name)}, {erased["customer_id"], erased["email"]})
        left = log_file.read_text(encoding="utf-8")
    assert left == "".join(line for person, line in written if person is not erased)


def test_a_log_still_being_written_keeps_what_is_written_after_erasure(tmp_path):
    log_file = tmp_path / "attempt=1.log"
    with log_file.open("a", encoding="utf-8") as task_log:
        task_log.write("crm: rejected (found: c000001, x)\nlanded 3 rows\n")
        task_log.flush()
        traces.erase_from_folders({"logs": tmp_path}, {"C000001"})
        task_log.write("erasure: done\n")
    assert log_file.read_text(encoding="utf-8") == "landed 3 rows\nerasure: done\n"


def test_an_export_that_cannot_be_read_as_csv_and_names_them_is_removed(tmp_path):
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    (rejected / "customers_nul.csv").write_bytes(b"C000001,a@b.org\x00\nC000002,c@d.org\n")
    (rejected / "customers_other.csv").write_bytes(b"C000002,c@d.org\x00\n")
    erasure.erase_from_files(tmp_path, {"C000001"})
    assert sorted(p.name for p in rejected.iterdir()) == ["customers_other.csv"]


def test_a_file_of_unknown_type_in_the_drop_folder_loses_whole_records_naming_them(tmp_path):
    """A CSV export named as no type is rejected as it is: erasure reads it as an export."""
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    (rejected / "contacts.txt").write_text(
        'customer_id,notes\nC000001,"call back\nZelda Quux"\nC000002,"fine"\n', encoding="utf-8"
    )
    erasure.erase_from_files(tmp_path, {"C000001"})
    assert (rejected / "contacts.txt").read_text(encoding="utf-8") == (
        'customer_id,notes\nC000002,"fine"\n'
    )


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    account=st.integers(10**5, 10**18).map(str),
    delimiter=st.sampled_from(DELIMITERS),
    where=st.sampled_from(("", "processed", "rejected")),
)
def test_an_erased_accounts_id_removes_no_customer_with_that_id(account, delimiter, where):
    """A CRM of numeric ids may have a customer whose id is an erased account's: an account's
    id names the account (a field that holds it blanked), not that customer's records."""
    with tempfile.TemporaryDirectory() as folder:
        place = Path(folder) / where
        place.mkdir(exist_ok=True)
        exports = {
            "customers_1.csv": [["customer_id", "email"], [account, "kim@example.org"]],
            "orders_1.csv": [
                ["order_id", "customer_id", "ordered_at", "amount", "referred_by"],
                ["O1", account, "2026-11-30T10:00:00Z", "12.50", account],
            ],
            "customer_social_accounts_1.csv": [
                ["customer_id", "platform", "account_id", "source", "linked_at"],
                ["C000002", "facebook", account, "manual", "2026-11-30T10:00:00Z"],
            ],
        }
        for name, rows in exports.items():
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
            (place / name).write_text(out.getvalue(), encoding="utf-8")
        traces.erase_from_folders({traces.DROP_FOLDER: Path(folder)}, {account}, {account})
        read = {
            name: list(csv.reader(io.StringIO((place / name).read_text()), delimiter=delimiter))
            for name in exports
        }
    assert read["customers_1.csv"] == exports["customers_1.csv"]
    assert read["orders_1.csv"] == exports["orders_1.csv"]
    assert read["customer_social_accounts_1.csv"][1][2] == ""
