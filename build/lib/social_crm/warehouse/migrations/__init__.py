"""Schema bootstrap: ordered SQL files in `migrations/`, each applied once and recorded.

`meta.schema_migrations` holds the version, name and checksum of every applied file. Pending
files are applied in one transaction (all or nothing) under an advisory lock, so applying is
idempotent and safe to run from several processes at once.
An applied file whose text changed is an error: write a new migration instead of editing one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

_LOCK_KEY = 0x50C1A1C7  # advisory lock id shared by every migrating process
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """A migration failed or an applied migration was edited afterwards."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """The migrations shipped with the package, in order."""
    found = []
    for entry in resources.files(__name__).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(match[1], match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def apply(conn: psycopg.Connection) -> list[Migration]:
    """Apply every pending migration; return those applied now (empty when up to date)."""
    applied_now = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute("create schema if not exists meta")
        conn.execute(
            "create table if not exists meta.schema_migrations ("
            " version text primary key, name text not null, checksum text not null,"
            " applied_at timestamptz not null default now())"
        )
        done = {
            version: checksum
            for version, checksum in conn.execute(
                "select version, checksum from meta.schema_migrations"
            ).fetchall()
        }
        for migration in available():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version}_{migration.name} was edited after it was "
                        "applied; revert the edit and add a new migration file instead"
                    )
                continue
            try:
                conn.execute(migration.sql)
                conn.execute(
                    "insert into meta.schema_migrations (version, name, checksum)"
                    " values (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            except psycopg.Error as exc:
                raise MigrationError(
                    f"migration {migration.version}_{migration.name} failed: {exc}"
                ) from exc
            applied_now.append(migration)
    return applied_now
