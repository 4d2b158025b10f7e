"""The warehouse connection: `WAREHOUSE_URL` if set, else the embedded PostgreSQL in `.local/`.

Everything (landing, dbt, Great Expectations, the CLI) asks this module where the warehouse is,
so one environment variable points the whole pipeline at another PostgreSQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from social_crm import embedded_postgres
from social_crm.paths import local_dir

if TYPE_CHECKING:
    import psycopg

URL_ENV = "WAREHOUSE_URL"
_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


class WarehouseConfigError(ValueError):
    """WAREHOUSE_URL is not a PostgreSQL URL we can use."""


@dataclass(frozen=True)
class WarehouseUrl:
    """A PostgreSQL location in the forms each client wants. `str()` never shows the password."""

    host: str
    port: int
    user: str
    password: str
    database: str
    embedded: bool = False

    @classmethod
    def parse(cls, url: str, *, embedded: bool = False) -> WarehouseUrl:
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES:
            raise WarehouseConfigError(
                f"{URL_ENV} must start with postgresql:// (got scheme {parts.scheme!r})"
            )
        database = parts.path.lstrip("/")
        if not parts.hostname or not database:
            raise WarehouseConfigError(
                f"{URL_ENV} needs a host and a database, e.g. postgresql://user:pass@host:5432/db"
            )
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            database=database,
            embedded=embedded,
        )

    def libpq(self, *, hide_password: bool = False) -> str:
        """`postgresql://...` for psql and psycopg."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if hide_password else quote(self.password, safe=""))
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"

    def sqlalchemy(self, driver: str = "psycopg") -> str:
        """A SQLAlchemy URL with the given DBAPI driver (psycopg 3 by default)."""
        return self.libpq().replace("postgresql://", f"postgresql+{driver}://", 1)

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by dbt_project/profiles.yml."""
        return {
            "WAREHOUSE_HOST": self.host,
            "WAREHOUSE_PORT": str(self.port),
            "WAREHOUSE_USER": self.user,
            "WAREHOUSE_PASSWORD": self.password,
            "WAREHOUSE_DB": self.database,
        }

    def __str__(self) -> str:
        return self.libpq(hide_password=True)


def embedded_data_dir() -> Path:
    return local_dir() / "pgdata"


def resolve() -> WarehouseUrl:
    """Where the warehouse is; starts the embedded server when `WAREHOUSE_URL` is unset."""
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return WarehouseUrl.parse(url)
    server = embedded_postgres.ensure_running(embedded_data_dir())
    return WarehouseUrl.parse(server.url, embedded=True)


def connect() -> psycopg.Connection:
    """A psycopg 3 connection on the warehouse (for COPY and migrations)."""
    import psycopg

    return psycopg.connect(resolve().libpq())


def relation_oid(conn: psycopg.Connection, name: str) -> int | None:
    """The oid of table or view `name` ("schema.table"), None when it does not exist."""
    return conn.execute("select to_regclass(%s)::oid", (name,)).fetchone()[0]


def stop_embedded() -> bool:
    """Stop the embedded server (no-op when `WAREHOUSE_URL` points elsewhere)."""
    return embedded_postgres.stop(embedded_data_dir())


def bootstrap() -> list[str]:
    """Create or upgrade the warehouse schemas, and the BI login when one is configured;
    returns the migrations applied now."""
    from social_crm import bi_access, migrations

    with connect() as conn:
        applied = [f"{m.version}_{m.name}" for m in migrations.apply(conn)]
        bi_access.ensure_login_from_env(conn)
        return applied
