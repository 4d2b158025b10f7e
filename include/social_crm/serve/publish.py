"""Write-audit-publish, the publish step: bring the validated marts from `marts_build` into
`marts` in one transaction. BI reads `marts` only, so it sees the previous good build until the
new one is complete and validated, and never a half-published one.

A mart rebuilt in full is copied. An incremental mart is published by applying what changed in
`marts_build` since its last publish: the rows merged since then replace the published rows of
the same key, and the rows deleted since then (logged by a trigger, see migration 0011) leave.
It is copied instead when it was never published, when the build table is a new one (a full
refresh), or when so much changed that a copy is cheaper."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from social_crm import catalog
from social_crm.query_results import scalar
from social_crm.warehouse import relation_oid

log = logging.getLogger(__name__)

MARTS = tuple(mart.name for mart in catalog.MARTS)

# the incremental marts -> their unique key (changes are applied by it)
INCREMENTAL_MARTS = {mart.name: mart.key[0] for mart in catalog.MARTS if mart.incremental}
MART_BY_NAME = {mart.name: mart for mart in catalog.MARTS}

# applying changes costs a few index lookups a row; above this share of the build, copy
COPY_ABOVE_CHANGED_SHARE = 0.2

TRIGGER = "log_deletions_for_publish"


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class LastPublish:
    build_table: int
    published_at: datetime
    row_count: int


def publish(conn: psycopg.Connection, marts: tuple[str, ...] = MARTS) -> dict[str, int]:
    """Bring every table in `marts` up to its `marts_build` version, all or nothing. Returns
    the published row count of each."""
    published = {}
    how = {}
    with conn.transaction():
        conn.execute("create schema if not exists marts")
        started = scalar(conn.execute("select statement_timestamp()"))
        for name in marts:
            build_table = _build_table(conn, name)
            # without the trigger the table's deletions are not logged: it can only be copied
            tracked = build_table if _has_deletion_trigger(conn, build_table) else 0
            key = INCREMENTAL_MARTS.get(name)
            applied = _apply_changes(conn, name, key, tracked) if key and tracked else None
            if applied is None:
                published[name], how[name] = _copy(conn, name), "copied"
            else:
                published[name], how[name] = applied, "changes applied"
            _record(conn, name, tracked, started, published[name])
    log.info(
        "published %s",
        ", ".join(f"{k} ({v:,} rows, {how[k]})" for k, v in published.items()),
    )
    return published


def _build_table(conn: psycopg.Connection, name: str) -> int:
    oid = relation_oid(conn, f"marts_build.{name}")
    if oid is None:
        raise PublishError(f"marts_build.{name} does not exist: the build did not finish")
    return oid


def _copy(conn: psycopg.Connection, name: str) -> int:
    built = sql.Identifier("marts_build", name)
    staged = sql.Identifier("marts", f"{name}__publishing")
    live = sql.Identifier("marts", name)
    conn.execute(sql.SQL("drop table if exists {}").format(staged))
    conn.execute(sql.SQL("create table {} as table {}").format(staged, built))
    for columns, unique in _indexes(MART_BY_NAME.get(name)):
        conn.execute(
            sql.SQL("create {} index on {} ({})").format(
                sql.SQL("unique" if unique else ""),
                staged,
                sql.SQL(", ").join(map(sql.Identifier, columns)),
            )
        )
    conn.execute(sql.SQL("drop table if exists {}").format(live))
    conn.execute(sql.SQL("alter table {} rename to {}").format(staged, sql.Identifier(name)))
    conn.execute(sql.SQL("grant select on {} to bi_reader").format(live))
    return scalar(conn.execute(sql.SQL("select count(*) from {}").format(live)))


def _indexes(mart: catalog.Mart | None) -> list[tuple[tuple[str, ...], bool]]:
    """The published copy's indexes: unique on the mart's key (a BI lookup of one row, and
    the key incremental publishing applies changes by), and one on each column naming a
    person or profile that the key does not lead with (a customer's rows for BI, and
    erasure deleting an erased person's rows from the published copy), the lookup columns
    (a profile's person) included."""
    if mart is None:
        return []
    found = [(mart.key, True)]
    columns = (*mart.person_columns, *mart.profile_key_columns, *mart.lookup_columns)
    for column in dict.fromkeys(columns):
        if column != mart.key[0]:
            found.append(((column,), False))
    return found


def _published_indexes(conn: psycopg.Connection, name: str) -> set[tuple[tuple[str, ...], bool]]:
    """The indexes of the published `marts.<name>`, as `_indexes` gives them: (their columns in
    order, whether unique)."""
    return {
        (tuple(columns), unique)
        for columns, unique in conn.execute(
            "select array_agg(a.attname::text order by k.ord), i.indisunique from pg_index i"
            " cross join lateral unnest(i.indkey) with ordinality as k (attnum, ord)"
            " join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum"
            " where i.indrelid = %s::regclass group by i.indexrelid, i.indisunique",
            (f"marts.{name}",),
        )
    }


def _apply_changes(conn: psycopg.Connection, name: str, key: str, build_table: int) -> int | None:
    """Publish `name` by applying the rows merged and deleted since its last publish (from
    `build_table`, which has the deletion trigger); None when it must be copied instead."""
    last = _last_publish(conn, name)
    if (
        last is None
        or last.build_table != build_table
        or relation_oid(conn, f"marts.{name}") is None
        # published without its indexes (before they existed): copied once, indexed
        or not set(_indexes(MART_BY_NAME.get(name))) <= _published_indexes(conn, name)
    ):
        return None
    built = sql.Identifier("marts_build", name)
    live = sql.Identifier("marts", name)
    column = sql.Identifier(key)
    changed = conn.execute(
        sql.SQL(
            "create temp table changed_keys on commit drop as"
            " select {column}::text as record_id from {built} where merged_at > %(since)s"
            " union"
            " select record_id from meta.mart_deletions"
            " where relation = %(name)s and deleted_at > %(since)s"
        ).format(column=column, built=built),
        {"since": last.published_at, "name": name},
    ).rowcount
    build_rows = scalar(
        conn.execute("select greatest(reltuples, 1) from pg_class where oid = %s", (build_table,))
    )
    if changed > COPY_ABOVE_CHANGED_SHARE * build_rows:
        conn.execute("drop table changed_keys")
        return None
    conn.execute("analyze changed_keys")
    deleted = conn.execute(
        sql.SQL(
            "delete from {live} where {column}::text in (select record_id from changed_keys)"
        ).format(live=live, column=column)
    ).rowcount
    inserted = conn.execute(
        sql.SQL("insert into {live} select * from {built} where merged_at > %s").format(
            live=live, built=built
        ),
        (last.published_at,),
    ).rowcount
    conn.execute("drop table changed_keys")
    log.info(
        "%s: %d changed keys, %d rows replaced or deleted, %d inserted",
        name,
        changed,
        deleted,
        inserted,
    )
    return last.row_count - deleted + inserted


def _last_publish(conn: psycopg.Connection, name: str) -> LastPublish | None:
    row = conn.execute(
        "select build_table, published_at, row_count from meta.mart_publishes where relation = %s",
        (name,),
    ).fetchone()
    return LastPublish(int(row[0]), row[1], row[2]) if row else None


def _has_deletion_trigger(conn: psycopg.Connection, table: int) -> bool:
    return (
        conn.execute(
            "select 1 from pg_trigger where tgrelid = %s and tgname = %s", (table, TRIGGER)
        ).fetchone()
        is not None
    )


def _record(
    conn: psycopg.Connection, name: str, tracked: int, at: datetime, row_count: int
) -> None:
    """Remember this publish; the deletions it applied are no longer needed. `tracked` is the
    build table, or 0 for one without the deletion trigger, so its next publish copies it."""
    conn.execute(
        "insert into meta.mart_publishes (relation, build_table, published_at, row_count)"
        " values (%s, %s, %s, %s) on conflict (relation) do update set"
        " build_table = excluded.build_table, published_at = excluded.published_at,"
        " row_count = excluded.row_count",
        (name, tracked, at, row_count),
    )
    conn.execute(
        "delete from meta.mart_deletions where relation = %s and deleted_at <= %s", (name, at)
    )
