"""The work of the nightly build's Python steps: each function is called by one task of the
`social_crm_nightly` DAG; the order, and the dbt builds between them, are the step table
`pipelines.NIGHTLY`. `run_all` runs that table in one process (CLI, demo, tests, the
full-refresh DAG)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from social_crm import settings, warehouse
from social_crm.privacy import erasure
from social_crm.serve import publish
from social_crm.transform import dbt_docs, merge_log

if TYPE_CHECKING:
    import psycopg


def bootstrap() -> list[str]:
    """Apply pending warehouse migrations (no-op when up to date)."""
    return warehouse.bootstrap()


def check_source_freshness() -> dict[str, int]:
    """When each raw source last landed new data, one log line each, against the dbt sources'
    freshness rules (quality/freshness.py); a late one fails the step only when
    SOCIAL_CRM_LATE_SOURCES=fail. Returns the count of sources per status."""
    from social_crm.quality import freshness
    from social_crm.transform.dbt_manifest import load_manifest

    on_late = settings.load().late_sources
    with warehouse.connect() as conn:
        found = freshness.check(conn, freshness.rules(load_manifest()))
    return freshness.report(found, on_late)


def validate_raw(full_refresh: bool = False) -> int:
    """The marts build's first read of raw: records that a build started (what it will read
    is what was committed by now, `build_started`); then Great Expectations suites on the raw
    batches landed since the last passing gate (all of raw on a full refresh), raising naming
    every failed expectation."""
    from social_crm.orchestration.pipelines import NIGHTLY
    from social_crm.quality.gate import require_valid_raw

    with warehouse.connect() as conn, conn.transaction():
        build_started(conn)
    return require_valid_raw(warehouse.resolve(), everything=full_refresh, pipeline=NIGHTLY.dag_id)


def build_started(conn: psycopg.Connection) -> None:
    """A marts build starts reading raw now (meta.marts_builds; `publish_marts` marks it
    published): a batch committed later may not be in what it publishes."""
    conn.execute("insert into meta.marts_builds (started_at) values (clock_timestamp())")


def build_published(conn: psycopg.Connection) -> None:
    """The newest build that started and has not published has published now."""
    conn.execute(
        "update meta.marts_builds set published_at = clock_timestamp() where started_at ="
        " (select max(started_at) from meta.marts_builds where published_at is null)"
    )


def match_identities(full_refresh: bool = False) -> dict[str, int]:
    """Score profile-customer pairs into the scoring schema with the record linkage model
    (Splink): the new and changed profiles and customers, or all of them when the model is
    trained again (a week old, or `full_refresh`)."""
    from social_crm.identity import run as identity

    with warehouse.connect() as conn:
        return identity.run(conn, retrain=full_refresh)


def apply_erasure_requests() -> dict[str, int]:
    """Delete erased customers' CRM rows and linked social data from raw."""
    with warehouse.connect() as conn:
        return erasure.erase_requested(conn)


def score_sentiment() -> dict[str, int]:
    """Language, sentiment and intent of the messages that are new, edited, or scored by an
    older scorer, into the scoring schema."""
    from social_crm.sentiment import run as sentiment

    with warehouse.connect() as conn:
        return sentiment.run(conn)


def score(as_of: datetime | None = None) -> dict[str, int]:
    """Influence (interactions, reach, follow graph) and BG/NBD + Gamma-Gamma CLV into the
    scoring schema, as of `as_of` (the run's as-of time, transform/as_of.py; default: now),
    from which windows of time count back."""
    # imported here, as sentiment is: pandas and scipy cost every other task's process ~2 s
    from social_crm.customer_value import run as scoring

    with warehouse.connect() as conn:
        return scoring.run(conn, as_of=as_of)


def validate_marts() -> int:
    """Great Expectations suites on marts_build; raises naming every failed expectation."""
    from social_crm.orchestration.pipelines import NIGHTLY
    from social_crm.quality.gate import require_valid_marts

    return require_valid_marts(warehouse.resolve(), pipeline=NIGHTLY.dag_id)


def publish_marts() -> dict[str, int]:
    """Bring the validated marts from marts_build into marts (BI's schema), atomically; then
    prune the merge log of what every incremental table has merged past."""
    with warehouse.connect() as conn:
        published = publish.publish(conn)
        with conn.transaction():
            build_published(conn)
            merge_log.prune(conn)
    return published


def dbt_docs_dir() -> Path:
    """Where `dbt docs generate` writes the dbt docs site (index.html, manifest, catalog)."""
    return settings.load().dbt_docs_dir


def generate_dbt_docs() -> str:
    """`dbt docs generate --static` into `dbt_docs_dir()` (skipped when the project and the
    warehouse are those it was made for): `static_index.html` opens from disk without a web
    server. Returns its path."""
    return str(dbt_docs.generate(dbt_docs_dir()))


def run_all(
    full_refresh: bool = False,
    as_of: datetime | None = None,
    progress: Callable[[str, float, object], None] | None = None,
    until: str | None = None,
) -> dict[str, object]:
    """Every step of the nightly build (pipelines.NIGHTLY) in order, in this process, up to and
    including the step `until`; `full_refresh` rebuilds incremental models from scratch; `as_of`
    is the moment the marts describe (default: now); `progress(step, seconds, result)` is called
    as each step ends. Returns each step's result, under "step_seconds" how long each took and
    under "dbt_node_seconds" how long each dbt model, seed and test took."""
    from social_crm.orchestration import steps
    from social_crm.orchestration.pipelines import NIGHTLY

    inputs = steps.Inputs(as_of=as_of, full_refresh=full_refresh)
    return steps.run(NIGHTLY, inputs, progress=progress, until=until)
