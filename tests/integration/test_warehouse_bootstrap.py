"""Schema bootstrap and the embedded server, on a real PostgreSQL."""

import os
import subprocess
import sys

import psycopg
import pytest

from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration


def _tables(conn):
    return set(
        conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('raw', 'raw_quarantine', 'meta')"
        ).fetchall()
    )


def test_bootstrap_twice_second_run_is_a_noop(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        first = migrations.apply(conn)
        tables_after_first = _tables(conn)
        second = migrations.apply(conn)
        recorded = conn.execute(
            "select version from meta.schema_migrations order by version"
        ).fetchall()

    assert [m.version for m in first] == [m.version for m in migrations.available()]
    assert second == []
    assert [v for (v,) in recorded] == [m.version for m in migrations.available()]
    assert {
        ("meta.load_batches",),
        ("meta.watermarks",),
        ("meta.schema_migrations",),
        ("raw_quarantine.records",),
    } <= tables_after_first
    schemas = {
        s
        for (s,) in psycopg.connect(scratch_database.libpq())
        .execute("select nspname from pg_namespace")
        .fetchall()
    }
    assert {"raw", "raw_quarantine", "meta"} <= schemas


def test_edited_migration_is_refused(scratch_database, monkeypatch):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        shipped = migrations.available()
        edited = [
            migrations.Migration(shipped[0].version, shipped[0].name, shipped[0].sql + "\n-- x"),
            *shipped[1:],
        ]
        monkeypatch.setattr(migrations, "available", lambda: edited)
        with pytest.raises(migrations.MigrationError, match="was edited after it was applied"):
            migrations.apply(conn)


def test_failed_migration_applies_nothing(scratch_database, monkeypatch):
    broken = [*migrations.available(), migrations.Migration("9999", "broken", "select from;")]
    monkeypatch.setattr(migrations, "available", lambda: broken)
    with psycopg.connect(scratch_database.libpq()) as conn:
        with pytest.raises(migrations.MigrationError, match="9999_broken failed"):
            migrations.apply(conn)
        conn.rollback()
        count = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta'"
        ).fetchone()[0]
    assert count == 0


def test_a_second_process_reuses_the_running_embedded_server(warehouse_url):
    from social_crm_dev import local_warehouse

    if not local_warehouse.is_embedded(warehouse_url):
        pytest.skip("WAREHOUSE_URL points at an external server")
    code = "from social_crm_dev import local_warehouse; print(local_warehouse.use().libpq())"
    env = {k: v for k, v in os.environ.items() if k != "WAREHOUSE_URL"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert other == warehouse_url.libpq()
    with psycopg.connect(other) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_embedded_server_keeps_data_across_restart(tmp_path):
    from social_crm_dev import embedded_postgres

    data_dir = tmp_path / "pgdata"
    server = embedded_postgres.ensure_running(data_dir)
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("create table kept (v int); insert into kept values (42)")
        assert embedded_postgres.stop(data_dir) is True
        assert embedded_postgres.read_running(data_dir) is None
        assert embedded_postgres.stop(data_dir) is False

        again = embedded_postgres.ensure_running(data_dir)
        with psycopg.connect(again.url) as conn:
            assert conn.execute("select v from kept").fetchone() == (42,)
    finally:
        embedded_postgres.stop(data_dir)


def test_bootstrap_creates_the_bi_login_reading_marts_only(scratch_database, monkeypatch):
    import dataclasses

    from social_crm import warehouse

    monkeypatch.setenv("WAREHOUSE_URL", scratch_database.libpq())
    monkeypatch.setenv("BI_READER_USER", "test_bi_login")
    monkeypatch.setenv("BI_READER_PASSWORD", "first-secret")
    warehouse.bootstrap()
    first_hash = _password_hash("test_bi_login", scratch_database)
    monkeypatch.setenv("BI_READER_PASSWORD", "rotated-secret")
    warehouse.bootstrap()  # a second bootstrap re-passwords the login (password rotation)
    assert _password_hash("test_bi_login", scratch_database) not in (None, first_hash)
    with psycopg.connect(scratch_database.libpq()) as conn:
        conn.execute("create table marts.probe as select 1 as x")

    as_bi = dataclasses.replace(scratch_database, user="test_bi_login", password="rotated-secret")
    with psycopg.connect(as_bi.libpq()) as conn:
        assert conn.execute("select x from marts.probe").fetchone() == (1,)
    with (
        psycopg.connect(as_bi.libpq()) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select 1 from raw.crm_customers")


def _password_hash(user, url):
    with psycopg.connect(url.libpq()) as conn:
        return conn.execute(
            "select rolpassword from pg_authid where rolname = %s", (user,)
        ).fetchone()[0]


def test_upgrade_drops_the_tables_that_became_incremental(scratch_database, monkeypatch):
    shipped = migrations.available()
    before = [m for m in shipped if m.version < "0010"]
    monkeypatch.setattr(migrations, "available", lambda: before)
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        # what an older nightly left: tables without merged_at, and a published mart
        for schema in ("intermediate", "marts_build", "marts"):
            conn.execute(f"create schema if not exists {schema}")
        conn.execute("create table intermediate.int_engagements_unified (engagement_id text)")
        conn.execute("create table marts_build.fct_social_engagements (engagement_id text)")
        conn.execute("create table marts.fct_social_engagements (engagement_id text)")
        conn.commit()
        monkeypatch.setattr(migrations, "available", lambda: shipped)
        migrations.apply(conn)
        left = {
            f"{s}.{t}"
            for s, t in conn.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_name in"
                " ('int_engagements_unified', 'fct_social_engagements', 'engagements')"
            ).fetchall()
        }
    # BI keeps the last published build, under the mart's new name (migration 0014)
    assert left == {"marts.engagements"}


def test_upgrade_renames_the_marts_keeping_their_rows_and_publish_state(
    scratch_database, monkeypatch
):
    shipped = migrations.available()
    monkeypatch.setattr(migrations, "available", lambda: [m for m in shipped if m.version < "0014"])
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        for schema in ("marts_build", "marts"):
            conn.execute(f"create schema if not exists {schema}")
            conn.execute(f"create table {schema}.dim_customers as select 'c1' as person_id")
        conn.execute("insert into meta.mart_publishes values ('dim_customers', 1, now(), 1)")
        conn.execute("insert into meta.mart_deletions values ('response_times', 'm1', now())")
        conn.commit()
        monkeypatch.setattr(migrations, "available", lambda: shipped)
        migrations.apply(conn)
        rows = [
            conn.execute(f"select person_id from {schema}.people").fetchall()  # noqa: S608
            for schema in ("marts_build", "marts")
        ]
        bookkept = conn.execute(
            "select relation from meta.mart_publishes union all"
            " select relation from meta.mart_deletions order by 1"
        ).fetchall()
    assert rows == [[("c1",)], [("c1",)]]
    assert bookkept == [("customer_messages",), ("people",)]
