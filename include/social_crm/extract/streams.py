"""API sources as declarations, and the one small engine that walks them.

Each entity an API serves is a `Stream`: where it is read (path, parameters, paging), how an
answer's item becomes a raw record (key, scope, event time: the record builder), what it
hangs under (parent), how far it has been read (watermark), how a walk of it is proven
complete, when it is read again (re-walk), and how a deletion is confirmed. The platform
modules (`facebook_streams.py`, `x_streams.py`) hold the declarations; the extractors say in
what order to walk them and what the platform's own rules add (budgets, counts, re-walk
points). The engine does what every walk shares: paging, landing through
`load/landing.py` (new versions only, quarantine of items that fail their builder), the
items an answer carries for another stream (`includes`), and parent -> child fan-out with the
next children's pages fetched while one is landed.

See docs/sources.md for a walk-through.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Query

from social_crm.extract.http import ApiClient, Page
from social_crm.extract.read_ahead import PrefetchedPages
from social_crm.extract.records import land_or_quarantine
from social_crm.load.landing import (
    BatchResult,
    ConfirmGone,
    LandingBatch,
    RawRecord,
    read_watermark,
)

log = logging.getLogger(__name__)

# (item, scope) -> the raw record; raises records.InvalidRecord for an item that cannot land
Builder = Callable[[Any, str], RawRecord]

STREAMED_ROWS = 10_000  # the rows a server-side cursor of `streamed` holds at a time


def streamed(conn: psycopg.Connection, query: Query, params: Any = None) -> Iterator[tuple]:
    """The rows of `query`, read `STREAMED_ROWS` at a time through a server-side cursor: a
    look-up over raw as a whole (every Post of the look-back window) keeps one chunk in
    memory, not every row (as `fetchall()` does, and a plain cursor, whose result libpq
    holds whole). Inside a transaction of its own, or a savepoint of the caller's."""
    with conn.transaction(), conn.cursor(name=f"streamed_{uuid.uuid4().hex}") as cursor:
        cursor.itersize = STREAMED_ROWS
        cursor.execute(query, params)
        yield from cursor


@dataclass(frozen=True)
class Paging:
    """How an endpoint pages: `cursor` (Graph's `paging.next`, followed as given), `token`
    (X's `meta.next_token`, sent back as `token_param`), or `single` (one object, no list)."""

    kind: str
    token_param: str = ""


GRAPH_CURSOR = Paging("cursor")
NEXT_TOKEN = Paging("token", "next_token")
PAGINATION_TOKEN = Paging("token", "pagination_token")
SINGLE = Paging("single")


@dataclass(frozen=True)
class Include:
    """Items an answer carries for another stream (X's `includes.users`): landed with that
    stream's builder, in its batch."""

    stream: str  # the entity they land in
    select: Callable[[dict], list]  # where they are in an answer's body


@dataclass(frozen=True)
class Stream:
    """One API entity, declared. The descriptive fields (`key`, `scope`, `event_time`,
    `watermark`, `completeness`, `rewalk`, `deletions`) say in words what the builder and the
    extractor do, so a reader finds a source's rules in one place; `sources.describe` prints
    them."""

    source: str
    entity: str  # lands in raw.<source>_<entity>
    path: str  # "{scope}/posts", "{parent}/comments": filled in by the engine
    build: Builder
    params: Mapping[str, Any] = field(default_factory=dict)
    paging: Paging = SINGLE
    page_size_param: str | None = None  # the parameter the `page_size` setting is sent as
    select: Callable[[Page], list] = lambda page: page.items  # the items of an answer
    includes: tuple[Include, ...] = ()
    parent: str | None = None  # the entity whose records this one hangs under
    # a field expansion the parent's listing asks for, giving this stream's count per parent
    counted_by: str | None = None
    key: str = "id"
    scope: str = ""
    event_time: str | None = None
    watermark: str | None = None
    # one watermark per scope (`<entity>:<scope>`, a Page's posts), not one for the entity:
    # a scope read later than the others (added later, or refused for a while) keeps its own
    watermark_per_scope: bool = False
    completeness: str | None = None
    rewalk: str | None = None
    deletions: str = "never: a record missing from a walk stays as it was"
    gone_with_parent: bool = False  # tombstoned when its parent is

    @property
    def table(self) -> str:
        return f"raw.{self.source}_{self.entity}"

    def watermark_name(self, scope: str = "") -> str:
        """Its row in `meta.watermarks` for `scope`: `<entity>:<scope>` when it keeps one per
        scope, else the entity's."""
        if not self.watermark_per_scope:
            return self.entity
        if not scope:
            raise ValueError(f"{self.source} {self.entity}: a watermark per scope needs a scope")
        return f"{self.entity}:{scope}"

    def describe(self) -> list[tuple[str, str]]:
        """(what, how) for each declared property, in the order docs/sources.md lists them."""
        rows = [
            ("endpoint", self.path),
            ("paging", self.paging.kind),
            ("fields", str(self.params.get("fields") or self.params.get("tweet.fields") or "")),
            ("key", self.key),
            ("scope", self.scope),
            ("event time", self.event_time or "none"),
            ("watermark", self.watermark or "none"),
            ("parent", self.parent or "none"),
            ("complete when", self.completeness or "the walk ended without an error"),
            ("re-walk", self.rewalk or "every run"),
            ("deletions", self.deletions),
        ]
        return [(what, how) for what, how in rows if how]


@dataclass
class Walked:
    """What one walk of a stream landed: items read, whether every one parsed (a walk that
    quarantined one proves nothing about what is missing), the newest event time, the
    distinct keys read in order."""

    read: int = 0
    clean: bool = True
    newest_at: datetime | None = None

    def saw(self, record: RawRecord | None) -> None:
        if record is None:
            self.clean = False
            return
        self.read += 1
        if record.event_at is not None and (
            self.newest_at is None or record.event_at > self.newest_at
        ):
            self.newest_at = record.event_at


class Engine:
    """Walks declared streams for one extractor: its client, connections and data interval."""

    def __init__(
        self,
        client: ApiClient,
        connect: Callable[[], psycopg.Connection],
        interval: tuple[datetime | None, datetime | None] = (None, None),
        page_size: int = 100,
    ) -> None:
        self.client = client
        self.connect = connect
        self.interval = interval
        self.page_size = page_size

    def batch(
        self,
        conn: psycopg.Connection,
        stream: Stream,
        *,
        confirm_gone: ConfirmGone | None = None,
        watermark_entity: str | None = None,
    ) -> LandingBatch:
        """The landing batch of `stream` (`confirm_gone`: the lookup that decides which records
        missing from a complete walk are gone; without it no walk deletes anything)."""
        return LandingBatch(
            conn,
            stream.source,
            stream.entity,
            interval=self.interval,
            api_version=self.client.api_version,
            secrets=self.client.secrets_to_redact,
            confirm_gone=confirm_gone,
            watermark_entity=watermark_entity,
        )

    def watermark(
        self, conn: psycopg.Connection, stream: Stream, name: str | None = None, scope: str = ""
    ) -> dict[str, Any]:
        """How far `stream` has been read (`meta.watermarks`: cursor_value, since_id,
        last_event_at; {} before its first run): its own row, the row of `scope` (a stream
        with a watermark per scope), or the row `name` of one of its walks (an X search)."""
        return read_watermark(conn, stream.source, name or stream.watermark_name(scope))

    def pages(
        self,
        stream: Stream,
        scope: str = "",
        params: Mapping[str, Any] | None = None,
        *,
        parent: str = "",
    ) -> Iterator[Page]:
        """The answers of `stream`'s endpoint for `scope` (or `parent`), page by page as they
        come: `params` are added to the declared ones (None values dropped)."""
        path = stream.path.format(scope=scope, parent=parent)
        query = dict(stream.params)
        if stream.page_size_param:
            query[stream.page_size_param] = self.page_size
        query.update(params or {})
        query = {k: v for k, v in query.items() if v is not None}
        if stream.paging.kind == "cursor":
            return self.client.graph_pages(path, query)
        if stream.paging.kind == "token":
            return self.client.token_pages(path, query, stream.paging.token_param)
        body = self.client.get_json(path, query)
        return iter([Page([body], body, 1)])

    def land(
        self,
        stream: Stream,
        items: Iterable[Any],
        batch: LandingBatch,
        scope: str = "",
        walked: Walked | None = None,
        on_record: Callable[[Any, RawRecord], None] | None = None,
        stamp: datetime | None = None,
    ) -> Walked:
        """Land `items` with the stream's builder (an item it refuses is quarantined with the
        reason), counting them in `walked`; `on_record(item, record)` for each landed one.
        `stamp`: the event time of records that have none of their own (a snapshot's)."""
        walked = walked if walked is not None else Walked()

        def build(item: Any) -> RawRecord:
            record = stream.build(item, scope)
            if stamp is not None and record.event_at is None:
                return replace(record, event_at=stamp)
            return record

        for item in items:
            record = land_or_quarantine(batch, item, build)
            walked.saw(record)
            if record is not None and on_record is not None:
                on_record(item, record)
        return walked

    def land_page(
        self,
        stream: Stream,
        page: Page,
        batches: Mapping[str, LandingBatch],
        scope: str = "",
        walked: Walked | None = None,
        on_record: Callable[[Any, RawRecord], None] | None = None,
        streams: Mapping[str, Stream] | None = None,
    ) -> Walked:
        """Land a page's items in `batches[stream.entity]`, and what it includes for other
        streams (declared in `streams`) in theirs."""
        walked = self.land(
            stream, stream.select(page), batches[stream.entity], scope, walked, on_record
        )
        for include in stream.includes:
            other = (streams or {})[include.stream]
            self.land(other, include.select(page.body), batches[include.stream], scope)
        return walked

    def walk(
        self,
        stream: Stream,
        batch: LandingBatch,
        scope: str = "",
        params: Mapping[str, Any] | None = None,
        on_record: Callable[[Any, RawRecord], None] | None = None,
        stamp: datetime | None = None,
    ) -> Walked:
        """Walk every page of `stream` for `scope` and land it."""
        walked = Walked()
        for page in self.pages(stream, scope, params):
            self.land(stream, stream.select(page), batch, scope, walked, on_record, stamp)
        return walked

    def fan_out(
        self,
        children: Mapping[str, Stream],
        plans: Mapping[str, Mapping[str, tuple[Mapping[str, Any], int | None]]],
        ahead: int,
    ) -> Iterator[tuple[str, dict[str, PrefetchedPages]]]:
        """Parent -> child walks: for each parent key of `plans` (in order), the page walks of
        the child streams its plan names ({entity: (params, pages fetched ahead or None for
        all)}), with the walks of the next `ahead` parents already running, so the API works
        on them while one parent's children are landed. A walk not read to its end is
        stopped when the caller moves on or fails."""
        running: deque[tuple[str, dict[str, PrefetchedPages]]] = deque()
        try:
            for parent, plan in plans.items():
                running.append(
                    (
                        parent,
                        {
                            entity: PrefetchedPages(
                                self.pages(children[entity], params=params, parent=parent),
                                ahead=pages_ahead,
                            )
                            for entity, (params, pages_ahead) in plan.items()
                        },
                    )
                )
                if len(running) > ahead:
                    yield running[0]
                    running.popleft()  # only once landed: a failure leaves it to the finally
            while running:
                yield running[0]
                running.popleft()
        finally:
            for _, walks in running:
                for pages in walks.values():
                    pages.close()

    def cascade(
        self,
        parent: Stream,
        children: Iterable[Stream],
        forget: Callable[[LandingBatch, Stream, list[str]], None] | None = None,
    ) -> list[BatchResult]:
        """Tombstones for the live children (`gone_with_parent`) of every parent record whose
        latest version is a tombstone: an API serves no child of a parent that is gone, so no
        walk could confirm them gone one by one, and they would stay alive in raw. Found anew
        each run, not from the parents this run tombstoned: a cascade that failed (its batch
        busy, the process killed) is done by the next run. The parents' tombstones are the
        confirmation (each confirmed gone at the source when it landed). `forget(batch, child,
        parents)` adds, to each child batch's transaction, what must go with the children (the
        record of their last walk)."""
        results = []
        cascaded: dict[str, int] = {}
        for child in children:
            if not child.gone_with_parent:
                continue
            with self.connect() as conn:
                if not _orphans(conn, parent, child):  # no batch (and no lock) for nothing
                    continue
                with self.batch(conn, child) as batch:
                    orphans = _orphans(conn, parent, child)  # again, under the child's lock
                    parents = sorted({scope for _, scope in orphans})
                    batch.confirmed_gone({key for key, _ in orphans})
                    if forget is not None and parents:
                        forget(batch, child, parents)
            results.append(batch.result)
            cascaded[child.entity] = len(parents)
        if cascaded:
            log.info(
                "%s %s: deleted, their children with them: %s",
                parent.source,
                parent.entity,
                ", ".join(f"{entity} of {n} record(s)" for entity, n in cascaded.items()),
            )
        return results


def _orphans(conn: psycopg.Connection, parent: Stream, child: Stream) -> list[tuple[str, str]]:
    """(key, parent key) of the live `child` records whose parent's latest version is a
    tombstone."""
    return conn.execute(
        sql.SQL(
            "with gone as (select natural_key from (select distinct on (natural_key)"
            "   natural_key, is_deleted from {parent} order by natural_key, ingest_seq desc)"
            "   as p where is_deleted)"
            " select natural_key, scope_key from (select distinct on (c.natural_key)"
            "   c.natural_key, c.scope_key, c.is_deleted from {child} as c"
            "   where c.scope_key in (select natural_key from gone)"
            "   order by c.natural_key, c.ingest_seq desc) as latest"
            " where not is_deleted order by natural_key"
        ).format(parent=_table(parent), child=_table(child))
    ).fetchall()


def _table(stream: Stream) -> sql.Identifier:
    return sql.Identifier("raw", f"{stream.source}_{stream.entity}")


def listing_fields(base: str, children: Iterable[Stream]) -> str:
    """The `fields` of a parent listing: its own, and the count expansion of each child it
    walks (`counted_by`), so one listing tells which parents' children changed."""
    return ",".join([base, *(c.counted_by for c in children if c.counted_by)])
