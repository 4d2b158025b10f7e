"""The nightly build, step by step: each function is one task (or, for the dbt steps, one
Cosmos task group) of the `social_crm_nightly` DAG; `run_all` runs them in order in one
process (CLI, demo, tests, the full-refresh DAG)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from social_crm import settings, warehouse
from social_crm.privacy import erasure
from social_crm.serve import publish
from social_crm.transform import dbt_docs, dbt_runner, merge_log
from social_crm.transform.dbt_selections import (
    IDENTITY_SELECT,
    INDIRECT_SELECTION,
    MARTS_EXCLUDE,
    MARTS_SELECT,
    STAGING_SELECT,
)

log = logging.getLogger(__name__)


def _build(
    select: tuple[str, ...],
    full_refresh: bool,
    as_of: datetime | None = None,
    exclude: tuple[str, ...] = (),
) -> dbt_runner.DbtResult:
    args = ["--select", *select, "--indirect-selection", INDIRECT_SELECTION]
    if exclude:
        args += ["--exclude", *exclude]
    if full_refresh:
        args.append("--full-refresh")
    return dbt_runner.run("build", *args, env=dbt_runner.as_of_env(as_of))


def bootstrap() -> list[str]:
    """Apply pending warehouse migrations (no-op when up to date)."""
    return warehouse.bootstrap()


def validate_raw(full_refresh: bool = False) -> int:
    """Great Expectations suites on the raw batches landed since the last passing gate (all of
    raw on a full refresh); raises naming every failed expectation."""
    from social_crm.quality.gate import require_valid_raw

    return require_valid_raw(warehouse.resolve(), everything=full_refresh)


def build_staging(full_refresh: bool = False) -> dbt_runner.DbtResult:
    """`dbt build` of seeds, staging models (incremental tables for Facebook and X, views for
    the CRM) and the social profiles, with their tests."""
    return _build(STAGING_SELECT, full_refresh)


def match_identities(full_refresh: bool = False) -> dict[str, int]:
    """Score profile-customer pairs into the scoring schema with the record linkage model
    (Splink): the new and changed profiles and customers, or all of them when the model is
    trained again (a week old, or `full_refresh`)."""
    from social_crm.identity import run as identity

    with warehouse.connect() as conn:
        return identity.run(conn, retrain=full_refresh)


def build_identity_links(full_refresh: bool = False) -> dbt_runner.DbtResult:
    """`dbt build` of the identity links (known accounts, staff decisions, the model's
    confident pairs), with their tests."""
    return _build(IDENTITY_SELECT, full_refresh)


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
    scoring schema; `as_of` as for build_marts."""
    # imported here, as sentiment is: pandas and scipy cost every other task's process ~2 s
    from social_crm.customer_value import run as scoring

    with warehouse.connect() as conn:
        return scoring.run(conn, as_of=as_of)


def build_marts(full_refresh: bool = False, as_of: datetime | None = None) -> dbt_runner.DbtResult:
    """`dbt build` of the intermediate models (erasures applied) and the marts in marts_build,
    with their tests: the audit before publishing. `as_of`: the moment the marts describe (the
    DAG run's data interval end; default: now), from which windows of time count back."""
    return _build(MARTS_SELECT, full_refresh, as_of, exclude=MARTS_EXCLUDE)


def validate_marts() -> int:
    """Great Expectations suites on marts_build; raises naming every failed expectation."""
    from social_crm.quality.gate import require_valid_marts

    return require_valid_marts(warehouse.resolve())


def publish_marts() -> dict[str, int]:
    """Bring the validated marts from marts_build into marts (BI's schema), atomically; then
    prune the merge log of what every incremental table has merged past."""
    with warehouse.connect() as conn:
        published = publish.publish(conn)
        with conn.transaction():
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


STEPS = (
    bootstrap,
    validate_raw,
    build_staging,
    match_identities,
    build_identity_links,
    apply_erasure_requests,
    score_sentiment,
    score,
    build_marts,
    validate_marts,
    publish_marts,
    generate_dbt_docs,
)
FULL_REFRESH_STEPS = (
    validate_raw,
    build_staging,
    match_identities,
    build_identity_links,
    build_marts,
)


def run_all(
    full_refresh: bool = False,
    as_of: datetime | None = None,
    progress: Callable[[str, float, object], None] | None = None,
) -> dict[str, object]:
    """Every step in order; `full_refresh` rebuilds incremental models from scratch; `as_of`
    is the moment the marts describe (default: now); `progress(step, seconds, result)` is
    called as each step ends. Returns each step's result, under "step_seconds" how long each
    took and under "dbt_node_seconds" how long each dbt model, seed and test took."""
    results: dict[str, object] = {}
    seconds: dict[str, float] = {}
    node_seconds: dict[str, float] = {}
    for step in STEPS:
        began = time.monotonic()
        kwargs: dict[str, object] = {}
        if step in FULL_REFRESH_STEPS:
            kwargs["full_refresh"] = full_refresh
        if step in (score, build_marts):
            kwargs["as_of"] = as_of
        result = step(**kwargs)
        if isinstance(result, dbt_runner.DbtResult):
            node_seconds.update(result.seconds)
            result = result.summary()
        results[step.__name__] = result
        seconds[step.__name__] = round(time.monotonic() - began, 2)
        log.info("nightly step %s: %.1fs", step.__name__, seconds[step.__name__])
        if progress is not None:
            progress(step.__name__, seconds[step.__name__], result)
    results["step_seconds"] = seconds
    results["dbt_node_seconds"] = node_seconds
    return results
