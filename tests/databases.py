"""Scratch databases on the test warehouse server (real PostgreSQL), for any fixture scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def new_database(server, template: str | None = None) -> Iterator:
    """A new database on the warehouse server `server`, dropped afterwards: empty, or a copy
    of the database `template` (which nobody may be connected to meanwhile)."""
    import dataclasses

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = server.libpq()
    copying = f' template "{template}" strategy file_copy' if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"{copying}')
    try:
        yield dataclasses.replace(server, database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def migrated_database(server) -> Iterator:
    """A new database on the warehouse server `server` with the warehouse's migrations applied
    (the raw, meta and scoring tables, no dbt build), dropped afterwards: a template copy of a
    database migrated once (`migrated_template`). Applying the migrations took 1.6 s on the
    loaded 2-core machine, a copy 0.4 s; an extraction test pays it per test or example."""
    with new_database(server, template=migrated_template(server)) as db:
        yield db


def migrated_template(server) -> str:
    """The name of a database of `server` holding exactly what the migrations create, made
    the first time it is asked for and kept (its name says which migrations: a new or changed
    one makes another); nobody connects to it but to make it, so it can be copied."""
    import hashlib

    import psycopg

    from social_crm.warehouse import migrations

    digest = hashlib.sha256("".join(m.checksum for m in migrations.available()).encode())
    name = f"test_migrated_{digest.hexdigest()[:16]}"
    admin = server.libpq()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return name
    # made under another name and renamed when complete: a copy never starts from half of it
    with new_database(server) as draft:
        with psycopg.connect(draft.libpq()) as conn:
            migrations.apply(conn)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                (draft.database,),
            )
            try:
                conn.execute(f'alter database "{draft.database}" rename to "{name}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another process made it meanwhile: the draft is dropped
    return name


@contextmanager
def migrated_connection(server) -> Iterator:
    """An autocommit connection to a new database on `server` with the warehouse's migrations
    applied (the raw, meta and scoring tables, no dbt build), dropped afterwards."""
    import psycopg

    from social_crm.warehouse import migrations

    with new_database(server) as db, psycopg.connect(db.libpq(), autocommit=True) as conn:
        migrations.apply(conn)
        yield conn


def identity_links(conn, links: tuple[tuple[str, str], ...] = ()) -> None:
    """`intermediate.int_identity_links` as the nightly's dbt build leaves it before erasure
    runs, holding `links` (customer_id, profile_key): for erasure tests without a dbt build."""
    conn.execute("create schema if not exists intermediate")
    conn.execute(
        "create table if not exists intermediate.int_identity_links"
        " (customer_id text, profile_key text)"
    )
    for customer_id, profile_key in links:
        conn.execute(
            "insert into intermediate.int_identity_links values (%s, %s)",
            (customer_id, profile_key),
        )


@contextmanager
def crm_landed(server, drop, links: tuple[tuple[str, str], ...] = ()) -> Iterator:
    """A connection to a new migrated database on `server` where the CRM files of the folder
    `drop` have landed and `intermediate.int_identity_links` holds `links` (`identity_links`):
    where an erasure test without a dbt build starts."""
    import psycopg

    from social_crm.extract.crm import land_drop_folder
    from social_crm.warehouse import migrations

    with new_database(server) as db:
        connect = lambda: psycopg.connect(db.libpq())  # noqa: E731
        with connect() as conn:
            migrations.apply(conn)
        land_drop_folder(connect, drop)
        with connect() as conn:
            identity_links(conn, links)
            conn.commit()
            yield conn
