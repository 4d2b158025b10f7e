"""Write-audit-publish, the publish step: copy the validated marts from `marts_build` into
`marts` in one transaction. BI reads `marts` only, so it sees the previous good build until the
new one is complete and validated, and never a half-published one."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

MARTS = (
    "dim_customers",
    "fct_social_engagements",
    "customer_segments",
    "customer_lifetime_value",
    "brand_daily_metrics",
    "response_times",
)


class PublishError(RuntimeError):
    pass


def publish(conn: psycopg.Connection, marts: tuple[str, ...] = MARTS) -> dict[str, int]:
    """Replace every table in `marts` with its `marts_build` version, all or nothing."""
    published = {}
    with conn.transaction():
        conn.execute("create schema if not exists marts")
        for name in marts:
            built = sql.Identifier("marts_build", name)
            staged = sql.Identifier("marts", f"{name}__publishing")
            live = sql.Identifier("marts", name)
            exists = conn.execute("select to_regclass(%s)", (f"marts_build.{name}",)).fetchone()[0]
            if exists is None:
                raise PublishError(f"marts_build.{name} does not exist: the build did not finish")
            conn.execute(sql.SQL("drop table if exists {}").format(staged))
            conn.execute(sql.SQL("create table {} as table {}").format(staged, built))
            conn.execute(sql.SQL("drop table if exists {}").format(live))
            conn.execute(
                sql.SQL("alter table {} rename to {}").format(staged, sql.Identifier(name))
            )
            conn.execute(sql.SQL("grant select on {} to bi_reader").format(live))
            published[name] = conn.execute(
                sql.SQL("select count(*) from {}").format(live)
            ).fetchone()[0]
    log.info("published %s", ", ".join(f"{k} ({v:,} rows)" for k, v in published.items()))
    return published
