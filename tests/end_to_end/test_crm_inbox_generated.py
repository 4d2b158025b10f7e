"""Generated drop folders of hostile files (tests/hostile_files.py), landed for real: the inbox
never raises, every file is landed or rejected with its reason, every row of a landed file
lands or is quarantined (never both, never neither), what lands is what the gates accept,
nothing outside the folder is read, and nothing written quotes it or forges a log line.

A soak: `HYPOTHESIS_PROFILE=soak pytest --timeout 0 tests/end_to_end/test_crm_inbox_generated.py`
(2,000 inboxes a test, about 10 minutes each on a laptop)."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from social_crm import catalog
from social_crm.extract.crm import DELIMITERS, FIELD_LIMIT, FILES, CrmFile, land_drop_folder
from social_crm.quality import raw_suites, rules
from social_crm.warehouse import migrations
from tests.databases import new_database
from tests.hostile_files import CONTROL, budget, columns_of, rows

pytestmark = pytest.mark.integration

KNOWN_CUSTOMERS = [f"C{n}" for n in range(60)]  # 60: a small export never reads as deletions
KNOWN_PRODUCTS = [f"P{n}" for n in range(60)]
SECRET = "SECRET-5f4dcc3b"  # the first line of files outside the folder
# the column carrying each row's token, never bent: the row is found by it wherever it went
TOKEN_COLUMN = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "erasure_requests": "customer_id",
    "customer_social_accounts": "account_id",
    "identity_decisions": "account_id",
    "sentiment_overrides": "message_id",
}
NUMERIC_TOKENS = {"customer_social_accounts", "identity_decisions"}  # a Graph or X id
_examples = itertools.count(1)
log = logging.getLogger(__name__)


@dataclass
class Entry:
    name: bytes
    kind: str  # file, link_out, link_in, fifo
    content: bytes = b""
    tokens: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def warehouse(warehouse_url):
    """A database for the module, with 60 known customers and products landed once."""
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        with tempfile.TemporaryDirectory() as folder:
            drop = Path(folder)
            (drop / "customers.csv").write_text(
                "customer_id,email,marketing_opt_in,profiling_opt_out\n"
                + "".join(f"{c},{c.lower()}@example.com,true,false\n" for c in KNOWN_CUSTOMERS)
            )
            (drop / "products.csv").write_text(
                "product_id,name\n" + "".join(f"{p},Mug\n" for p in KNOWN_PRODUCTS)
            )
            assert all(r.status == "committed" for r in land_drop_folder(_connect(db), drop))
        yield db


def _connect(db):
    return lambda: psycopg.connect(db.libpq())


def _token(spec: CrmFile, example: int, row: int) -> str:
    if spec.entity in NUMERIC_TOKENS:
        return f"7{example:07d}{row:03d}7"
    return f"T{example:07d}R{row:03d}Z"


@st.composite
def names(draw, stem: str, number: int) -> bytes:
    """A file name of `stem`'s type, the `number`th of its folder: odd cases, control
    characters, bytes that are not UTF-8, up to the 255 bytes a name may have."""
    middle = draw(
        st.one_of(
            st.text(alphabet=CONTROL + "_- .ø€😀\u202e\\'\"", max_size=12).map(str.encode),
            st.binary(max_size=12).map(lambda b: b.replace(b"/", b"").replace(b"\0", b"")),
            st.just(b"_" + b"x" * 240),
        )
    )
    suffix = draw(st.sampled_from([b".csv"] * 8 + [b".CSV", b".txt", b".csv.part"]))
    start = draw(st.sampled_from([stem, stem.upper(), stem.title()])).encode()
    end = f"_{number}".encode() + suffix
    return start + middle[: 255 - len(start) - len(end)] + end


@st.composite
def regular_files(draw, example: int, number: int) -> Entry:
    spec = draw(st.sampled_from(FILES))
    name = draw(names(spec.pattern.split("*")[0], number))
    header = columns_of(spec)
    if draw(st.integers(0, 9)) == 0:
        header.remove(draw(st.sampled_from(list(spec.columns))))
    header = draw(st.permutations(header))
    values = []
    tokens = []
    for n in range(draw(st.integers(0, 5))):
        row = draw(rows(spec, bent=1))
        token = _token(spec, example, number * 100 + n)
        row[TOKEN_COLUMN[spec.entity]] = token
        tokens.append(token)
        if spec.customer_column and TOKEN_COLUMN[spec.entity] != spec.customer_column:
            row[spec.customer_column] = draw(
                st.one_of(st.sampled_from(KNOWN_CUSTOMERS), st.just(row[spec.customer_column]))
            )
        if spec.product_column:
            row[spec.product_column] = draw(st.sampled_from(["", *KNOWN_PRODUCTS[:3], "P-NO"]))
        others = [c for c in header if c != TOKEN_COLUMN[spec.entity]]
        if others and draw(st.integers(0, 19)) == 0:
            row[draw(st.sampled_from(others))] = "y" * (FIELD_LIMIT + 1)
        values.append([row.get(column, "") for column in header])
    text = io.StringIO()
    writer = csv.writer(
        text,
        delimiter=draw(st.sampled_from(DELIMITERS)),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    writer.writerow([draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in header])
    writer.writerows(values)
    written = text.getvalue()
    if draw(st.integers(0, 14)) == 0:
        at = draw(st.integers(0, len(written)))
        written = written[:at] + draw(st.sampled_from(["\x00", '"', "\r", "\ufeff"])) + written[at:]
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    content = written.encode(encoding, errors="replace")
    if draw(st.booleans()) and encoding == "utf-8":
        content = codecs.BOM_UTF8 + content
    return Entry(name, "file", content, tokens)


@st.composite
def inboxes(draw) -> list[Entry]:
    example = next(_examples)
    files = draw(st.integers(1, 5))
    entries = [draw(regular_files(example, n)) for n in range(files)]
    others = draw(st.lists(st.sampled_from(["link_out", "link_in", "fifo", "empty"]), max_size=3))
    for n, kind in enumerate(others, start=files):
        name = draw(names(draw(st.sampled_from(["customers", "orders", "notes"])), n))
        entries.append(Entry(name, "file" if kind == "empty" else kind))
    return entries


def _make(drop: Path, outside: Path, entries: list[Entry]) -> None:
    folder = os.fsencode(drop)
    regular = [e for e in entries if e.kind == "file"]
    for entry in entries:
        path = os.path.join(folder, entry.name)
        if entry.kind == "file":
            with open(path, "wb") as out:
                out.write(entry.content)
        elif entry.kind == "link_out":
            os.symlink(os.fsencode(outside), path)
        elif entry.kind == "link_in":
            os.symlink(os.path.join(folder, regular[0].name), path)
        else:
            os.mkfifo(path)


def _shown(name: bytes) -> str:
    from social_crm.extract.crm import shown

    return shown(os.fsdecode(name))


def _found(conn, batch_id: str, token: str) -> int:
    """How many times `token` is in what the batch landed and quarantined."""
    landed = 0
    for table in (t for t in catalog.RAW_TABLES if t.source == "crm"):
        landed += conn.execute(
            f"select count(*) from {table.relation} where batch_id = %s and not is_deleted"  # noqa: S608
            " and strpos(natural_key || ' ' || payload::text, %s) > 0",
            (batch_id, token),
        ).fetchone()[0]
    quarantined = conn.execute(
        "select count(*) from raw_quarantine.records where batch_id = %s"
        " and strpos(raw_text, %s) > 0",
        (batch_id, token),
    ).fetchone()[0]
    return landed + quarantined


# what the staging models cast and the dbt tests on them check, on the rows of given batches
GATE_CHECKS = {
    "crm_customers": "(payload->>'birth_year')::int is not null or payload->>'birth_year' is null"
    " and (payload->>'marketing_opt_in')::boolean is not null",
    "crm_orders": "(payload->>'amount')::numeric(12, 2) >= 0",
    "crm_products": "coalesce((payload->>'list_price')::numeric(12, 2), 0) >= 0",
    "crm_customer_social_accounts": "payload->>'platform' = any(%(platforms)s) and not "
    + rules.handle_problem_sql("payload->>'platform'", "payload->>'handle'"),
    "crm_identity_decisions": "payload->>'decision' = any(%(decisions)s)",
    "crm_sentiment_overrides": "payload->>'sentiment' = any(%(sentiments)s)",
}


def _assert_gates_accept(conn, batch_ids: list[str]) -> None:
    for table in (t for t in catalog.RAW_TABLES if t.source == "crm"):
        rows_of_batches = f"(select * from {table.relation} where batch_id = any(%(ids)s::uuid[]))"  # noqa: S608
        future = raw_suites.IN_FUTURE.replace("{batch}", rows_of_batches)
        assert conn.execute(future, {"ids": batch_ids}).fetchall() == [], table.relation
        check = GATE_CHECKS.get(table.name)
        if check:
            failing = conn.execute(
                f"select natural_key from {rows_of_batches} as r"  # noqa: S608
                f" where not is_deleted and not ({check})",
                {
                    "ids": batch_ids,
                    "platforms": list(catalog.PLATFORMS),
                    "decisions": list(rules.DECISIONS),
                    "sentiments": list(rules.SENTIMENTS),
                },
            ).fetchall()
            assert failing == [], table.relation


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class Landed:
    """A generated inbox after its load: the folder, the results, the log lines and the
    reason files' texts."""

    drop: Path
    results: list
    lines: list[str]
    reasons: dict[str, str]

    def result(self, entry: Entry):  # a BatchResult
        return {r.origin: r for r in self.results}[_shown(entry.name)]


def _land(warehouse, tmp_path_factory, entries: list[Entry]) -> Landed:
    root = tmp_path_factory.mktemp("inbox")
    drop, outside = root / "drop", root / "outside"
    drop.mkdir()
    outside.write_text(f"{SECRET}\nsecond line\n")
    _make(drop, outside, entries)
    lines = _Lines()
    logging.getLogger("social_crm").addHandler(lines)
    try:
        results = land_drop_folder(_connect(warehouse), drop)
    finally:
        logging.getLogger("social_crm").removeHandler(lines)
    for r in results:
        event(f"{r.status}, landed {min(r.landed, 1)}, quarantined {min(r.quarantined, 1)}")
    rejected = drop / "rejected"
    reasons = {p.name: p.read_text(encoding="utf-8") for p in rejected.glob("*.reason.txt")}
    return Landed(drop, results, lines.messages, reasons)


@budget(10)
@given(entries=inboxes())
def test_every_file_of_a_generated_inbox_is_landed_or_rejected_with_its_reason(
    warehouse, tmp_path_factory, entries
):
    landed = _land(warehouse, tmp_path_factory, entries)
    assert sorted(r.origin for r in landed.results) == sorted(_shown(e.name) for e in entries)
    assert [p for p in os.listdir(landed.drop) if not os.path.isdir(landed.drop / p)] == []
    failed = [r for r in landed.results if r.status == "failed"]
    assert sorted(landed.reasons.values()) == sorted(r.error + "\n" for r in failed)
    assert all(r.error.startswith(f"{r.origin}: ") for r in failed)
    assert all(landed.result(e).status == "failed" for e in entries if e.kind != "file")


@budget(10)
@given(entries=inboxes())
def test_every_row_of_a_generated_inbox_lands_or_is_quarantined_once(
    warehouse, tmp_path_factory, entries
):
    """Once if its file landed, never if it was rejected."""
    landed = _land(warehouse, tmp_path_factory, entries)
    with psycopg.connect(warehouse.libpq()) as conn:
        for entry in entries:
            result = landed.result(entry)
            for token in entry.tokens:
                found = _found(conn, result.batch_id, token) if result.batch_id else 0
                assert found == (1 if result.status == "committed" else 0), (token, result)


@budget(10)
@given(entries=inboxes())
def test_what_a_generated_inbox_lands_the_gates_accept(warehouse, tmp_path_factory, entries):
    landed = _land(warehouse, tmp_path_factory, entries)
    with psycopg.connect(warehouse.libpq()) as conn:
        _assert_gates_accept(conn, [r.batch_id for r in landed.results if r.status == "committed"])


@budget(10)
@given(entries=inboxes())
def test_a_generated_inbox_quotes_nothing_outside_it_and_forges_no_log_line(
    warehouse, tmp_path_factory, entries
):
    landed = _land(warehouse, tmp_path_factory, entries)
    with psycopg.connect(warehouse.libpq()) as conn:
        errors = [e for (e,) in conn.execute("select error from meta.load_batches") if e]
        quarantined = [
            f"{reason} {text}"
            for reason, text in conn.execute("select reason, raw_text from raw_quarantine.records")
        ]
    summaries = [r.summary() for r in landed.results]
    written = [*landed.reasons.values(), *landed.lines, *errors, *quarantined, *summaries]
    assert not [text for text in written if SECRET.lower() in text.lower()]
    assert not [line for line in [*landed.lines, *summaries] if re.search(r"[\n\r]", line)]
    assert all(text.count("\n") == 1 for text in landed.reasons.values())
