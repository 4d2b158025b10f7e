"""Landing into `raw.*`: COPY into a temp table, then one insert-select that skips versions
already landed, in the same transaction as the batch record and the watermark.

A batch is recorded as `running` (committed at once, so a crash leaves a trace), then all its
rows, quarantined records, tombstones, final counts and the watermark commit together or not at
all. A version lands when it differs from its record's latest version, so a rerun never
duplicates, and a record that comes back after a tombstone (or returns to an earlier payload
after one bad answer) is live again. A failed or killed batch lands nothing and is marked
failed, so retrying is safe. Records stream through COPY as they arrive: memory stays flat
however large the endpoint.

Deletions never rest on one answer: a record missing from a complete walk is only a candidate,
and the extractor's `confirm_gone` (a lookup by id at the source) decides which candidates are
really gone. An empty or truncated answer therefore deletes nothing.

Batches of one entity land side by side (each brand's mapped extraction task has its own): each
holds the entity's landing lock shared while it lands, so the janitor (which takes it alone)
knows it is alive, and takes the entity's commit lock alone only for its commit, the statement
that decides which versions are new: two batches never both land one record's version.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

import msgspec
import psycopg
from psycopg import sql

from social_crm import catalog
from social_crm.load import x_posts
from social_crm.query_results import scalar
from social_crm.redact import redact
from social_crm.warehouse.x_posts_backfill import DERIVED_COLUMNS

log = logging.getLogger(__name__)

RAW_TABLES = {(table.source, table.entity) for table in catalog.RAW_TABLES}
PROGRESS_EVERY = 10_000
# columns a raw table has besides the landing shape, filled from each payload as it is added
# (the payload is decoded here already): by source and entity, their names and SQL types and
# what computes their values
DERIVED: dict[tuple[str, str], tuple[tuple[str, ...], str, Callable[[Any], tuple]]] = {
    ("x", "tweets"): (DERIVED_COLUMNS[("x", "tweets")], "text[]", x_posts.derived),
}


class LandingError(RuntimeError):
    pass


class BatchBusy(LandingError):
    """The entity's landing lock is held alone (a process marking batches abandoned, or one
    landing the entity alone) longer than a batch waits for it."""


SHARED_LOCK_TRIES = 50  # a batch waits up to this many times SHARED_LOCK_PAUSE_S for its lock
SHARED_LOCK_PAUSE_S = 0.02


# The version hash is computed by PostgreSQL from the jsonb value, whose text form is canonical
# (keys sorted, one spelling of whitespace): two equal payloads hash the same whatever their key
# order, and Python does no per-record hashing (landing is bound by the database, not by us).
PAYLOAD_HASH_SQL = "encode(sha256(convert_to(payload::text, 'UTF8')), 'hex')"

_ENCODER = msgspec.json.Encoder()


def payload_json(payload: Any) -> str:
    """The JSON text a payload is landed as: msgspec's encoder (C; about six times faster than
    `json.dumps`, which was a third of landing's time), with `json.dumps`'s exact output kept
    where the two differ in what lands. msgspec writes a non-finite float as `null`; Python
    writes `NaN`/`Infinity`, which jsonb refuses, so the batch fails instead of landing a
    value the source never sent. Any `null` in the fast text (rare in Graph and X payloads,
    which leave absent fields out) sends the payload the old way, as does text msgspec
    cannot encode (a lone surrogate, refused by PostgreSQL either way)."""
    try:
        fast = _ENCODER.encode(payload)
    except (TypeError, UnicodeEncodeError):
        fast = b"null"
    if b"null" not in fast:
        return fast.decode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RawRecord:
    natural_key: str
    payload: dict[str, Any]
    scope_key: str | None = None
    event_at: datetime | None = None


@dataclass(frozen=True)
class Missing:
    """A record alive in raw that a complete walk of its scope did not return."""

    natural_key: str
    scope_key: str


ConfirmGone = Callable[[list[Missing]], set[str]]


@dataclass
class BatchResult:
    batch_id: str
    source: str
    entity: str
    records_in: int = 0
    landed: int = 0
    duplicate: int = 0
    quarantined: int = 0
    tombstoned: int = 0
    status: str = "running"
    # the watermarks this batch moves when it commits: {name in meta.watermarks: values}
    watermarks: dict[str, dict[str, Any]] = field(default_factory=dict)
    origin: str = ""  # what the batch read, when not an API walk (a CRM export file)
    error: str = ""  # why it failed (a rejected file)

    def summary(self) -> str:
        what = f"{self.source}/{self.entity}" + (f" {self.origin}" if self.origin else "")
        if self.status == "failed":
            return f"{what}: rejected, nothing landed: {self.error}"
        return (
            f"{what}: {self.records_in} read, {self.landed} new, "
            f"{self.duplicate} already landed, {self.quarantined} quarantined, "
            f"{self.tombstoned} deleted"
        )


class LandingBatch:
    """`with LandingBatch(conn, "facebook", "comments") as batch: batch.add(record) ...`"""

    def __init__(
        self,
        conn: psycopg.Connection,
        source: str,
        entity: str,
        *,
        interval: tuple[datetime | None, datetime | None] = (None, None),
        api_version: str | None = None,
        secrets: tuple[str, ...] | Callable[[], tuple[str, ...]] = (),
        confirm_gone: ConfirmGone | None = None,
        watermark_entity: str | None = None,
    ) -> None:
        if (source, entity) not in RAW_TABLES:
            raise LandingError(f"no raw table for {source}/{entity}")
        self.conn = conn
        self.table = sql.Identifier("raw", f"{source}_{entity}")
        self.interval = interval
        self.api_version = api_version
        # a callable is asked each time text is written: a client learns Page tokens after the
        # batch opens (`/me/accounts`), and those must be redacted too
        self._secrets = secrets
        self.confirm_gone = confirm_gone
        # the watermark's name: the entity's, or another walk's of the same table (live runs)
        self.watermark_entity = watermark_entity or entity
        self.result = BatchResult(str(uuid.uuid4()), source, entity)
        self._buffer: list[tuple] = []
        self._quarantine: list[tuple[str, str]] = []
        self._reconcile: list[tuple[str, datetime | None, datetime | None]] = []
        self._gone: set[str] = set()
        self._with_commit: list[tuple[str, tuple]] = []
        self._lock_key = _lock_key(source, entity)
        self._derived = DERIVED.get((source, entity))

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must not be written: every secret the client holds now."""
        return self._secrets() if callable(self._secrets) else self._secrets

    def __enter__(self) -> LandingBatch:
        conn, r = self.conn, self.result
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()  # end the caller's read-only look-ups (watermarks) before we start
        conn.autocommit = True
        # alone: no batch of the entity is landing, so its `running` ones were abandoned
        if scalar(conn.execute("select pg_try_advisory_lock(hashtext(%s))", (self._lock_key,))):
            try:
                _mark_abandoned(conn, r.source, r.entity)
            finally:
                conn.execute("select pg_advisory_unlock(hashtext(%s))", (self._lock_key,))
        for _ in range(SHARED_LOCK_TRIES):
            if scalar(
                conn.execute("select pg_try_advisory_lock_shared(hashtext(%s))", (self._lock_key,))
            ):
                break
            time.sleep(SHARED_LOCK_PAUSE_S)
        else:
            raise BatchBusy(f"another load of {r.source}/{r.entity} holds it alone; try later")
        conn.execute(
            "insert into meta.load_batches (batch_id, source, entity, interval_start,"
            " interval_end) values (%s, %s, %s, %s, %s)",
            (r.batch_id, r.source, r.entity, *self.interval),
        )
        conn.autocommit = False
        conn.execute(
            sql.SQL(
                "create temp table landing_rows (row_no bigint generated always as identity,"
                " natural_key text, scope_key text, event_at timestamptz, payload jsonb{derived})"
                " on commit drop"
            ).format(derived=self._derived_columns(typed=True))
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                try:
                    self._commit()
                except BaseException as failure:  # a lookup confirming deletions, the database
                    self.conn.rollback()
                    message = self._mark_failed(failure)
                    _raise_cleaned(failure, message)
                    raise
            else:
                self.conn.rollback()
                _raise_cleaned(exc, self._mark_failed(exc))
        finally:
            self.conn.autocommit = True
            self.conn.execute("select pg_advisory_unlock_shared(hashtext(%s))", (self._lock_key,))

    # --- feeding --------------------------------------------------------------------------

    def add(self, record: RawRecord) -> None:
        row: tuple = (
            record.natural_key,
            record.scope_key,
            record.event_at,
            payload_json(record.payload),
        )
        if self._derived is not None:
            row += self._derived[2](record.payload)
        self._buffer.append(row)
        self.result.records_in += 1
        if len(self._buffer) >= 5_000:
            self._flush()
        if self.result.records_in % PROGRESS_EVERY == 0:
            log.info(
                "%s/%s: %d records read",
                self.result.source,
                self.result.entity,
                self.result.records_in,
            )

    def quarantine(self, raw_text: str, reason: str) -> None:
        self._quarantine.append((raw_text, reason))
        self.result.records_in += 1
        self.result.quarantined += 1
        if len(self._quarantine) >= 1_000:
            self._flush_quarantine()

    def reconcile(
        self, scope_key: str, since: datetime | None = None, until: datetime | None = None
    ) -> None:
        """`scope_key` was walked completely for since <= event_at < until (either bound may be
        open): whatever is alive in raw there and was not seen now may have been deleted at
        the source; `confirm_gone` decides. A backfill of a past interval passes `until`, so
        newer records are left alone."""
        if self.confirm_gone is None:
            raise LandingError(
                f"{self.result.source}/{self.result.entity}: reconcile needs confirm_gone (a "
                "lookup at the source): a walk alone never proves a deletion"
            )
        self._reconcile.append((scope_key, since, until))

    def confirmed_gone(self, natural_keys: set[str]) -> None:
        """Records the source itself answered do not exist (a lookup by id said not found):
        tombstoned when this batch commits, unless this batch also saw them."""
        self._gone |= natural_keys

    def set_watermark(self, name: str | None = None, **values: Any) -> None:
        """Move a watermark when this batch commits: the entity's (or `watermark_entity`), or
        the row `name` (one of the entity's walks: a Page's posts)."""
        self.result.watermarks.setdefault(name or self.watermark_entity, {}).update(values)

    def with_commit(self, statement: str, params: tuple) -> None:
        """Run `statement` in the transaction that commits this batch (bookkeeping of what the
        walk saw, which must not outlive a batch that failed)."""
        self._with_commit.append((statement, params))

    # --- internals ------------------------------------------------------------------------

    def _derived_columns(self, typed: bool = False) -> sql.Composable:
        """`, column, ...` of this table's DERIVED columns (with their types when `typed`), or
        nothing."""
        if self._derived is None:
            return sql.SQL("")
        names, kind, _ = self._derived
        return sql.SQL("").join(
            sql.SQL(", {} {}").format(sql.Identifier(name), sql.SQL(kind if typed else ""))
            for name in names
        )

    def _flush(self) -> None:
        if not self._buffer:
            return
        with (
            self.conn.cursor() as cur,
            cur.copy(
                sql.SQL(
                    "copy landing_rows (natural_key, scope_key, event_at, payload{derived})"
                    " from stdin"
                ).format(derived=self._derived_columns())
            ) as copy,
        ):
            for row in self._buffer:
                copy.write_row(row)
        self._buffer.clear()

    def _flush_quarantine(self) -> None:
        if not self._quarantine:
            return
        r = self.result
        with self.conn.cursor() as cur:
            cur.executemany(
                "insert into raw_quarantine.records (source, entity, batch_id, reason, raw_text)"
                " values (%s, %s, %s, %s, %s)",
                [
                    (r.source, r.entity, r.batch_id, reason, redact(text, *self.secrets))
                    for text, reason in self._quarantine
                ],
            )
        self._quarantine.clear()

    def _commit(self) -> None:
        self._flush()
        self._flush_quarantine()
        r, conn = self.result, self.conn
        # the source looked up before the commit lock: another brand's batch of the entity
        # never waits on this one's look-ups (a rate-limited one waits minutes)
        missing = self._confirmed_missing() if self._reconcile else {}
        # the entity's commit lock, alone, to the end of this transaction: batches landing side
        # by side (each brand's) commit one after the other, each seeing the other's rows
        conn.execute(
            "select pg_advisory_xact_lock(hashtext(%s))", (_commit_lock_key(r.source, r.entity),)
        )
        # new versions only: each record's last row of this batch, when it differs from the
        # record's latest version in raw (none, a tombstone, or another payload). Safe without
        # a unique constraint because this batch holds the entity's commit lock. Decided in
        # a statement of its own, then inserted: a lookup into the table the same statement
        # inserts into reads every row inserted so far when the planner, seeing the table
        # empty, scans it instead of using its index (quadratic in the batch's size).
        conn.execute(
            sql.SQL(
                "create temp table landing_new on commit drop as"
                " select n.natural_key, n.scope_key, n.event_at, n.payload, n.version_hash"
                "{derived}"
                " from (select distinct on (natural_key) *, {version_hash} as version_hash"
                "       from landing_rows order by natural_key, row_no desc) as n"
                " left join lateral (select r.payload_hash from {table} as r"
                "   where r.natural_key = n.natural_key order by r.ingest_seq desc limit 1)"
                "   as latest on true"
                " where latest.payload_hash is distinct from n.version_hash"
            ).format(
                table=self.table,
                version_hash=sql.SQL(PAYLOAD_HASH_SQL),
                derived=self._derived_columns(),
            )
        )
        landed = conn.execute(
            sql.SQL(
                "insert into {table} (natural_key, scope_key, event_at, payload, payload_hash,"
                " extracted_at, batch_id, source_api_version{derived})"
                " select natural_key, scope_key, event_at, payload, version_hash, now(), %s, %s"
                "{derived} from landing_new order by natural_key"
            ).format(table=self.table, derived=self._derived_columns()),
            (r.batch_id, self.api_version),
        ).rowcount
        r.landed = landed
        r.duplicate = r.records_in - r.quarantined - landed
        r.tombstoned = self._tombstone(missing)
        # stamped as it commits, not when its transaction (the whole walk) began: a marts build
        # that started meanwhile does not hold it (extraction.unbuilt_tables); still no earlier
        # than that start, which readers since a visibility horizon rely on
        conn.execute(
            "update meta.load_batches set status = 'committed', finished_at = clock_timestamp(),"
            " records_in = %s, records_landed = %s, records_duplicate = %s,"
            " records_quarantined = %s, records_tombstoned = %s where batch_id = %s",
            (r.records_in, r.landed, r.duplicate, r.quarantined, r.tombstoned, r.batch_id),
        )
        for statement, params in self._with_commit:
            conn.execute(statement, params)
        for name, wm in r.watermarks.items():
            conn.execute(
                "insert into meta.watermarks (source, entity, cursor_value, since_id,"
                " last_event_at, batch_id, updated_at) values (%s, %s, %s, %s, %s, %s, now())"
                " on conflict (source, entity) do update set"
                " cursor_value = coalesce(excluded.cursor_value, meta.watermarks.cursor_value),"
                " since_id = coalesce(excluded.since_id, meta.watermarks.since_id),"
                " last_event_at = greatest(excluded.last_event_at,"
                "                          meta.watermarks.last_event_at),"
                " batch_id = excluded.batch_id, updated_at = now()",
                (
                    r.source,
                    name,
                    wm.get("cursor_value"),
                    wm.get("since_id"),
                    wm.get("last_event_at"),
                    r.batch_id,
                ),
            )
        conn.commit()
        r.status = "committed"
        log.info(r.summary())

    def _tombstone(self, missing: dict[str, int]) -> int:
        """Tombstones for the records alive in raw that the source answered are gone: those
        of `confirmed_gone`, and those of a reconciled scope that `_confirmed_missing` found
        gone at the source (`missing`: each with the version it saw latest; one another
        batch landed again since is left to the next walk)."""
        gone = self._gone | set(missing)
        if not gone:
            return 0
        r = self.result
        return self.conn.execute(
            sql.SQL(
                "insert into {table} (natural_key, scope_key, event_at, payload, payload_hash,"
                "   is_deleted, extracted_at, batch_id, source_api_version{derived})"
                " select natural_key, scope_key, event_at,"
                "   jsonb_build_object('id', natural_key, 'deleted', true),"
                "   'deleted:' || %(batch)s, true, now(), %(batch)s::uuid, %(version)s"
                "{nothing_derived}"
                " from (select distinct on (r.natural_key) r.* from {table} as r"
                "   where r.natural_key = any(%(gone)s)"
                "   order by r.natural_key, r.ingest_seq desc) as latest"
                " where not latest.is_deleted and not exists ("
                "   select 1 from landing_rows as n where n.natural_key = latest.natural_key)"
                " and not exists (select 1 from unnest(%(seen)s::text[], %(seqs)s::bigint[])"
                "   as s (natural_key, ingest_seq) where s.natural_key = latest.natural_key"
                "   and s.ingest_seq <> latest.ingest_seq)"
                " order by natural_key"
            ).format(
                table=self.table,
                derived=self._derived_columns(),
                # a tombstone's payload names nothing
                nothing_derived=sql.SQL("").join(
                    sql.SQL(", '{}'") for _ in (self._derived[0] if self._derived else ())
                ),
            ),
            {
                "gone": sorted(gone),
                "seen": list(missing),
                "seqs": list(missing.values()),
                "batch": r.batch_id,
                "version": self.api_version,
            },
        ).rowcount

    def _confirmed_missing(self) -> dict[str, int]:
        """The records alive in raw in a reconciled scope (since <= event_at < until) that
        this batch did not see and that `confirm_gone` confirms gone at the source, each with
        the `ingest_seq` of its latest version then. Run before the commit lock (the look-ups
        take the source's time). Candidates come from one statement for all scopes: one
        anti-join against the batch's rows (per scope, each would scan them all again:
        quadratic in a large batch)."""
        r = self.result
        scopes, sinces, untils = (list(column) for column in zip(*self._reconcile, strict=True))
        rows = self.conn.execute(
            sql.SQL(
                "with walked as ("
                "  select * from unnest(%(scopes)s::text[], %(sinces)s::timestamptz[],"
                "    %(untils)s::timestamptz[]) as w (scope_key, since, until)),"
                " latest as ("
                "  select distinct on (r.natural_key) r.natural_key, r.scope_key,"
                "    r.is_deleted, r.ingest_seq"
                "  from {table} as r inner join walked as w on r.scope_key = w.scope_key"
                "    and (w.since is null or r.event_at >= w.since)"
                "    and (w.until is null or r.event_at < w.until)"
                "  order by r.natural_key, r.ingest_seq desc)"
                " select l.natural_key, l.scope_key, l.ingest_seq from latest as l"
                " where not l.is_deleted and not exists ("
                "   select 1 from landing_rows as n where n.natural_key = l.natural_key)"
                " order by l.natural_key"
            ).format(table=self.table),
            {"scopes": scopes, "sinces": sinces, "untils": untils},
        ).fetchall()
        candidates = [Missing(key, scope) for key, scope, _ in rows]
        if not candidates:
            return {}
        assert self.confirm_gone is not None  # reconcile() refuses a batch without one
        gone = self.confirm_gone(candidates) & {c.natural_key for c in candidates}
        kept = len(candidates) - len(gone)
        if kept:
            log.info(
                "%s/%s: %d record(s) missing from the walk still exist at the source; kept",
                r.source,
                r.entity,
                kept,
            )
        return {key: seq for key, _, seq in rows if key in gone}

    def _mark_failed(self, exc: BaseException) -> str:
        """Record and log the batch as failed; returns the error text it recorded (cleaned
        of the rows, `_error_text`, and of secrets)."""
        r = self.result
        r.status = "failed"
        message = redact(_error_text(exc), *self.secrets)[:2000]
        try:
            self.conn.autocommit = True
            self.conn.execute(
                "update meta.load_batches set status = 'failed', finished_at = now(), error = %s"
                " where batch_id = %s",
                (message, r.batch_id),
            )
        except psycopg.Error:
            log.exception("%s/%s: could not mark batch %s failed", r.source, r.entity, r.batch_id)
        log.error(
            "%s/%s: batch %s failed, nothing landed: %s", r.source, r.entity, r.batch_id, message
        )
        return message


def _raise_cleaned(exc: BaseException, message: str) -> None:
    """Raise a warehouse error as the same class (callers tell a lost connection from a
    refusal by it) carrying only `message`: psycopg's own text, which reaches the task's
    log, quotes the row being copied in its DETAIL and CONTEXT. Neither the original nor
    its chain is attached (a traceback would print them). Anything else is left as is."""
    if isinstance(exc, psycopg.Error):
        raise type(exc)(message).with_traceback(exc.__traceback__) from None


def _error_text(exc: BaseException) -> str:
    """What a failed batch logs and records of its error: never the data it was landing. A
    warehouse error keeps its class, SQLSTATE and primary message (a value it quotes cut
    out), never its DETAIL or CONTEXT, which quote the row being copied (personal data that
    no erasure reaches in a log)."""
    if isinstance(exc, psycopg.Error):
        diag = exc.diag
        first = (diag.message_primary or str(exc)).strip().partition("\n")[0]
        primary = _QUOTED_VALUE.sub(': "…"', first)
        return f"{type(exc).__name__} (SQLSTATE {diag.sqlstate or '?'}): {primary}"
    return f"{type(exc).__name__}: {exc}"


# the value a PostgreSQL primary message may end by quoting (`invalid input syntax for type
# integer: "..."`)
_QUOTED_VALUE = re.compile(r':\s*".*"\s*$', re.DOTALL)


def _lock_key(source: str, entity: str) -> str:
    """The advisory lock a batch of this source and entity holds (shared) while it lands."""
    return f"landing:{source}:{entity}"


def _commit_lock_key(source: str, entity: str) -> str:
    """The advisory lock a batch of this source and entity holds alone while it commits."""
    return f"landing-commit:{source}:{entity}"


def _mark_abandoned(conn: psycopg.Connection, source: str, entity: str) -> int:
    """Mark the entity's `running` batches failed: the caller holds its lock, so no process
    is landing them (theirs ended before committing)."""
    abandoned = conn.execute(
        "update meta.load_batches set status = 'failed', finished_at = now(),"
        " error = 'abandoned: the process ended before committing'"
        " where source = %s and entity = %s and status = 'running'",
        (source, entity),
    ).rowcount
    if abandoned:
        log.warning("%s/%s: marked %d abandoned batch(es) failed", source, entity, abandoned)
    return abandoned


def mark_abandoned_batches(conn: psycopg.Connection) -> int:
    """The janitor: batches left `running` by a killed process (their entity's landing lock
    is free) are marked failed, whatever their entity. Batches still landing keep their
    lock and are left alone. `conn` in autocommit."""
    marked = 0
    running = conn.execute(
        "select distinct source, entity from meta.load_batches where status = 'running'"
    ).fetchall()
    for source, entity in running:
        key = _lock_key(source, entity)
        if not scalar(conn.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))):
            continue  # being landed now
        try:
            marked += _mark_abandoned(conn, source, entity)
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (key,))
    return marked


def read_watermark(conn: psycopg.Connection, source: str, entity: str) -> dict[str, Any]:
    row = conn.execute(
        "select cursor_value, since_id, last_event_at from meta.watermarks"
        " where source = %s and entity = %s",
        (source, entity),
    ).fetchone()
    if row is None:
        return {}
    return {"cursor_value": row[0], "since_id": row[1], "last_event_at": row[2]}
