"""The nightly build, step by step: each function is one task of the `social_crm_nightly` DAG;
`run_all` runs them in order (tests, CLI)."""

from __future__ import annotations

from social_crm import dbt_runner, erasure, publish, warehouse
from social_crm.scoring import run as scoring


def bootstrap() -> list[str]:
    """Apply pending warehouse migrations (no-op when up to date)."""
    return warehouse.bootstrap()


def build_staging_and_intermediate(full_refresh: bool = False) -> str:
    """`dbt build` of seeds, staging and intermediate models with their tests."""
    extra = ["--full-refresh"] if full_refresh else []
    return dbt_runner.run("build", "--exclude", "marts", *extra).summary()


def apply_erasure_requests() -> dict[str, int]:
    """Delete erased customers' CRM rows and linked social data from raw."""
    with warehouse.connect() as conn:
        return erasure.erase_requested(conn)


def score() -> dict[str, int]:
    """PageRank influence and BG/NBD + Gamma-Gamma CLV into the scoring schema."""
    with warehouse.connect() as conn:
        return scoring.run(conn)


def build_marts(full_refresh: bool = False) -> str:
    """`dbt build` of the intermediate models again (erasures applied) and the marts, with
    their tests: the audit before publishing."""
    extra = ["--full-refresh"] if full_refresh else []
    return dbt_runner.run("build", "--select", "intermediate", "marts", *extra).summary()


def validate_marts() -> int:
    """Great Expectations suites on marts_build; raises naming every failed expectation."""
    from social_crm.quality.gate import require_valid_marts

    return require_valid_marts(warehouse.resolve())


def publish_marts() -> dict[str, int]:
    """Copy the validated marts from marts_build into marts (BI's schema), atomically."""
    with warehouse.connect() as conn:
        return publish.publish(conn)


STEPS = (
    bootstrap,
    build_staging_and_intermediate,
    apply_erasure_requests,
    score,
    build_marts,
    publish_marts,
)


def run_all(full_refresh: bool = False) -> dict[str, object]:
    """Every step in order; `full_refresh` rebuilds incremental models from scratch."""
    results: dict[str, object] = {}
    for step in STEPS:
        if step in (build_staging_and_intermediate, build_marts):
            results[step.__name__] = step(full_refresh=full_refresh)
        else:
            results[step.__name__] = step()
    return results
