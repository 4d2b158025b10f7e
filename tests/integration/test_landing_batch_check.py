"""Every raw row names a batch of meta.load_batches, checked once per statement (migration
0047) instead of by a per-row foreign key: the guarantee the key gave still holds for every raw
table, for inserts and updates, and a batch that raw rows name cannot be deleted."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors, sql

from social_crm import catalog
from social_crm.load.landing import LandingBatch, RawRecord
from tests.databases import migrated_connection

pytestmark = pytest.mark.integration

RAW = [table.name for table in catalog.RAW_TABLES]


@pytest.fixture(scope="module")
def conn(warehouse_url):
    with migrated_connection(warehouse_url) as connection:
        yield connection


def _landed_batch(conn: psycopg.Connection, key: str) -> str:
    with LandingBatch(conn, "x", "users") as batch:
        batch.add(RawRecord(key, {"id": key}))
    conn.autocommit = True
    return batch.result.batch_id


def _insert(conn: psycopg.Connection, table: str, batch_id: object) -> None:
    conn.execute(
        sql.SQL(
            "insert into {} (natural_key, payload, payload_hash, extracted_at, batch_id)"
            " values ('k', '{{}}', 'h', now(), %s)"
        ).format(sql.Identifier("raw", table)),
        (batch_id,),
    )


@pytest.mark.parametrize("table", RAW)
def test_a_raw_row_naming_no_batch_is_refused(conn, table):
    with pytest.raises(errors.ForeignKeyViolation, match="not in meta.load_batches"):
        _insert(conn, table, uuid.uuid4())


@pytest.mark.parametrize("table", RAW)
def test_a_raw_row_naming_a_batch_is_stored(conn, table):
    batch_id = _landed_batch(conn, f"ok-{table}")
    with conn.transaction(force_rollback=True):
        _insert(conn, table, batch_id)
        stored = conn.execute(
            sql.SQL("select count(*) from {} where batch_id = %s and natural_key = 'k'").format(
                sql.Identifier("raw", table)
            ),
            (batch_id,),
        ).fetchone()
    assert stored == (1,)


def test_an_update_moving_raw_rows_to_no_batch_is_refused(conn):
    _landed_batch(conn, "moved")
    with pytest.raises(errors.ForeignKeyViolation):
        conn.execute(
            "update raw.x_users set batch_id = %s where natural_key = 'moved'", (uuid.uuid4(),)
        )


def test_a_batch_raw_rows_name_cannot_be_deleted(conn):
    batch_id = _landed_batch(conn, "kept")
    with pytest.raises(errors.ForeignKeyViolation, match="still named by raw.x_users"):
        conn.execute("delete from meta.load_batches where batch_id = %s", (batch_id,))


def test_a_batch_no_raw_row_names_can_be_deleted(conn):
    with LandingBatch(conn, "x", "users") as batch:
        pass  # nothing read: the batch lands no row
    conn.autocommit = True
    deleted = conn.execute(
        "delete from meta.load_batches where batch_id = %s", (batch.result.batch_id,)
    ).rowcount
    assert deleted == 1


@pytest.mark.parametrize("table", RAW)
def test_a_raw_table_checks_batch_ids_per_statement_not_per_row(conn, table):
    """No per-row foreign key (the cost 0047 removed), and the statement check in its place."""
    keys = conn.execute(
        "select count(*) from pg_constraint where contype = 'f'"
        " and conrelid = %s::regclass and confrelid = 'meta.load_batches'::regclass",
        (f"raw.{table}",),
    ).fetchone()
    triggers = conn.execute(
        "select array_agg(tgname::text order by tgname) from pg_trigger"
        " where tgrelid = %s::regclass and tgname like 'raw_rows_name_batches%%'",
        (f"raw.{table}",),
    ).fetchone()
    assert (keys, triggers) == (
        (0,),
        (["raw_rows_name_batches_insert", "raw_rows_name_batches_update"],),
    )
