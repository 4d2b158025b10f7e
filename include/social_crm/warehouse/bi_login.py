"""The BI tool's login: a warehouse user in role `bi_reader` (SELECT on `marts` only), made
here beside the migrations that create the role.

Created or updated, idempotently, whenever the warehouse is bootstrapped with
`BI_READER_USER` and `BI_READER_PASSWORD` set (docker-compose sets them for Superset). The
password is sent to PostgreSQL as a literal inside one statement and is never logged.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from social_crm import settings

log = logging.getLogger(__name__)
USER_ENV = "BI_READER_USER"
PASSWORD_ENV = "BI_READER_PASSWORD"


class BiAccessError(ValueError):
    pass


def ensure_login(conn: psycopg.Connection, user: str, password: str) -> None:
    """Create (or re-password) `user` as a login role that is a member of `bi_reader`."""
    if not user or not password:
        raise BiAccessError(f"{USER_ENV} and {PASSWORD_ENV} must both be set and non-empty")
    if user in {"bi_reader", "loader", "transformer"}:
        raise BiAccessError(f"{USER_ENV} must not be the group role {user!r} itself")
    with conn.transaction():
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (user,)).fetchone()
        verb = "alter" if exists else "create"
        conn.execute(
            sql.SQL(verb + " role {} login password {}").format(
                sql.Identifier(user), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("grant bi_reader to {}").format(sql.Identifier(user)))
    log.info("BI login %s is a member of bi_reader", user)


def ensure_login_from_settings(conn: psycopg.Connection) -> str | None:
    """`ensure_login` with BI_READER_USER and BI_READER_PASSWORD; None when they are not set."""
    loaded = settings.load()
    user, password = loaded.bi_reader_user, loaded.bi_reader_password
    if not user or not password:
        return None
    ensure_login(conn, user, password)
    return user
