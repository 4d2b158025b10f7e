"""Extraction mapped per brand: `extract_x` and `extract_facebook` expand their per-brand tasks
over the tracked brands (brands.csv's `brand_key`), each instance named by its brand, landing in
batches of its own; a brand that fails leaves the others' data landed; brands read at once
neither race a watermark nor lose a read from the month's budget."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.x_budget import ReadBudget
from social_crm.orchestration import extraction
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import BRANDS, agency_brands, agency_project

pytestmark = pytest.mark.integration

KEYS = [b.key for b in BRANDS]  # the test world's brands, as brands.csv lists them
OURS = [b.key for b in BRANDS[:1]]


@pytest.fixture
def world(extraction_env):
    return extraction_env


def _rows(database, sql: str, *params) -> list[tuple]:
    with psycopg.connect(database.libpq()) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_listed_brands_are_the_brands_csv_keys():
    assert extraction.tracked_brands("x") == KEYS


def test_only_our_brands_are_listed_when_asked():
    assert extraction.tracked_brands("facebook", ours=True) == OURS


def test_extract_x_maps_mentions_over_every_brand_named_by_it(world):
    outcome = dag_runs.run_in_process("extract_x")
    assert outcome.mapped == {"mentions_and_replies": dict.fromkeys(KEYS, "success")}, outcome


def test_each_brand_lands_its_posts_in_a_batch_of_its_own(world):
    dag_runs.run_in_process("extract_x")
    batches = _rows(
        world,
        "select count(*) from meta.load_batches where source = 'x' and entity = 'tweets'"
        " and status = 'committed'",
    )
    assert batches == [(len(KEYS),)]


def test_each_brand_keeps_its_own_recheck_watermark(world):
    dag_runs.run_in_process("extract_x")
    marks = _rows(
        world,
        "select entity from meta.watermarks where source = 'x' and entity like 'tweets%%'"
        " order by entity",
    )
    assert [m for (m,) in marks] == sorted(f"tweets:{key}" for key in KEYS)


def test_extract_facebook_maps_each_step_and_visitor_posts_over_ours_only(world):
    outcome = dag_runs.run_in_process("extract_facebook")
    every = dict.fromkeys(KEYS, "success")
    assert outcome.mapped == {
        "page_snapshot_and_insights": every,
        "posts_comments_reactions": every,
        "visitor_posts": dict.fromkeys(OURS, "success"),
    }, outcome


def test_a_brand_that_fails_leaves_the_other_brands_landed(world, tmp_path, monkeypatch):
    """An agency brands.csv with a fourth brand whose Page Graph cannot load (the simulator's
    world has three): that brand's instances fail, every other brand's land and commit."""
    project = agency_project(tmp_path, agency_brands(len(BRANDS) + 1))
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    lost = agency_brands(len(BRANDS) + 1)[-1]
    outcome = dag_runs.run_in_process("extract_facebook")
    assert outcome.mapped["posts_comments_reactions"] == {
        **dict.fromkeys(KEYS, "success"),
        lost.key: "failed",
    }
    pages = _rows(world, "select distinct scope_key from raw.facebook_posts order by 1")
    assert [p for (p,) in pages] == sorted(b.page_id for b in BRANDS)


def test_brands_read_at_once_each_move_only_their_own_watermarks(world):
    """Every brand's tweets at once, twice (a first run, then a steady one that re-checks):
    all batches commit and each brand has its own re-check mark; none is the shared row."""
    for _ in range(2):
        with ThreadPoolExecutor(len(KEYS)) as pool:
            list(pool.map(lambda key: extraction.run_x("tweets", brand=key), KEYS))
    failed = _rows(world, "select count(*) from meta.load_batches where status <> 'committed'")
    marks = _rows(
        world, "select entity from meta.watermarks where entity like 'tweets%%' order by 1"
    )
    assert (failed, [m for (m,) in marks]) == ([(0,)], sorted(f"tweets:{k}" for k in KEYS))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    first=st.lists(st.integers(1, 500), min_size=1, max_size=6),
    second=st.lists(st.integers(1, 500), min_size=1, max_size=6),
)
def test_two_tasks_spending_one_budget_lose_no_read(world, first, second):
    """Two brands' tasks meter the month's reads of one connection at once: the month's row
    counts every read of both (each adds its own; neither overwrites the other's total)."""
    extractors = [extraction.x(brand=key) for key in KEYS[:2]]
    try:
        start = _reads_used(world)
        budgets = [ReadBudget(e, e.client.server_now()) for e in extractors]
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda job: [job[0].spend(n) for n in job[1]],
                    [(budgets[0], first), (budgets[1], second)],
                )
            )
        assert _reads_used(world) - start == sum(first) + sum(second)
    finally:
        for e in extractors:
            e.client.close()


def _reads_used(database) -> int:
    rows = _rows(database, "select coalesce(sum(reads_used), 0) from meta.api_read_budget")
    return int(rows[0][0])
