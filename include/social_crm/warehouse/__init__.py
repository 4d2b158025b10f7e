"""The warehouse connection: the PostgreSQL that `WAREHOUSE_URL` names.

Everything (landing, dbt, Great Expectations, the CLI) asks this module where the warehouse is,
so one setting points the whole pipeline at a PostgreSQL. There is no fallback: a worker without
`WAREHOUSE_URL` fails naming it. The embedded PostgreSQL of the demo and the tests is started
only when asked for (`social-crm warehouse up`, `make demo`, `make test`), by the developer
tooling, which then sets `WAREHOUSE_URL` for its processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from social_crm import settings

if TYPE_CHECKING:
    import psycopg

URL_ENV = "WAREHOUSE_URL"
_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


class WarehouseConfigError(settings.SettingError):
    """WAREHOUSE_URL is not a PostgreSQL URL we can use."""


@dataclass(frozen=True)
class WarehouseUrl:
    """A PostgreSQL location in the forms each client wants. `str()` never shows the password."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def parse(cls, url: str) -> WarehouseUrl:
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


def resolve() -> WarehouseUrl:
    """Where the warehouse is, from `WAREHOUSE_URL`."""
    url = settings.load().warehouse_url
    if not url:
        raise WarehouseConfigError(
            f"{URL_ENV} is not set: point it at the warehouse"
            " (postgresql://user:password@host:5432/database); on a developer machine"
            " `social-crm warehouse up` starts the embedded one and prints the URL"
        )
    return WarehouseUrl.parse(url)


def connect() -> psycopg.Connection:
    """A psycopg 3 connection on the warehouse (for COPY and migrations)."""
    import psycopg

    return psycopg.connect(resolve().libpq())


def relation_oid(conn: psycopg.Connection, name: str) -> int | None:
    """The oid of table or view `name` ("schema.table"), None when it does not exist."""
    return conn.execute("select to_regclass(%s)::oid", (name,)).fetchone()[0]


def analyze(conn: psycopg.Connection, *tables: str) -> None:
    """Fresh planner statistics for tables a step has just rewritten. Autovacuum analyzes them
    later: a dbt model planned before that joins their new rows on the old estimates (at 10M
    events the engagements mart, planned on an empty sentiment table's, hashed 7.8M
    engagements by message id, most of them null, and spilled 30 GB of batches)."""
    for table in tables:
        conn.execute(f"analyze {table}")  # noqa: S608 - the callers' own table names


# how far back a reader starts when it cannot see when the other sessions' open transactions
# began (a role without pg_read_all_stats): no landing or merge lasts this long
HIDDEN_TRANSACTIONS_OVERLAP = timedelta(days=1)


def visibility_horizon(conn: psycopg.Connection) -> datetime:
    """Where a reader of rows stamped with their writing time (`merged_at`, a batch's
    `finished_at`) starts next, to miss nothing it cannot see now: the start of the oldest
    transaction open on this database (this session's own at the latest). A row this session
    cannot see was written by one of those or a later one, whose stamps (`now()`,
    `statement_timestamp()`) are that start or later. When another session's transaction is
    hidden from this role, HIDDEN_TRANSACTIONS_OVERLAP before now."""
    oldest, hidden, started = conn.execute(
        "select min(xact_start), bool_or(state is null), now() from pg_stat_activity"
        " where datname = current_database() and backend_type = 'client backend'"
    ).fetchone()
    if hidden or oldest is None:
        return started - HIDDEN_TRANSACTIONS_OVERLAP
    return min(oldest, started)


def bootstrap() -> list[str]:
    """Create or upgrade the warehouse schemas, and the BI login when one is configured;
    returns the migrations applied now."""
    from social_crm.serve import bi_access
    from social_crm.warehouse import migrations

    with connect() as conn:
        applied = [f"{m.version}_{m.name}" for m in migrations.apply(conn)]
        bi_access.ensure_login_from_settings(conn)
        return applied
