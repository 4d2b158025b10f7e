"""Scratch databases on the test warehouse server (real PostgreSQL), for any fixture scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def new_database(server) -> Iterator:
    """A new, empty database on the warehouse server `server`, dropped afterwards."""
    import dataclasses

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = server.libpq()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield dataclasses.replace(server, database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
