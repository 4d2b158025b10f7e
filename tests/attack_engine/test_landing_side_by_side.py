"""Landing's promise for batches of one entity landing at once (each brand's mapped task has
its own): nothing lost, nothing duplicated; and a process killed between a batch's insert
and its commit lands nothing, leaves a batch the next one marks failed, and a retry lands
everything. Real PostgreSQL; the batches in threads and a forked process, as workers are.

Found: a batch looks deletions up at the source (`confirm_gone`) inside its commit, holding
the entity's commit lock, so another brand's batch of the same entity cannot commit until
those look-ups end (the last test)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load.landing import LandingBatch, RawRecord
from tests.attack_engine.conftest import at_once
from tests.databases import migrated_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database(warehouse_url) -> Iterator:
    with migrated_database(warehouse_url) as db:
        yield db


def _clear(db) -> None:
    with psycopg.connect(db.libpq(), autocommit=True) as conn:
        conn.execute("truncate raw.x_users")


def _land_in_step(db, batches: list[list[tuple[str, str]]]) -> None:
    """Each batch (natural keys and names) in its own thread, all committing together."""
    ready = threading.Barrier(len(batches), timeout=30)

    def land(records: list[tuple[str, str]]) -> None:
        with psycopg.connect(db.libpq()) as conn, LandingBatch(conn, "x", "users") as batch:
            for key, name in records:
                batch.add(RawRecord(key, {"id": key, "username": name}))
            batch._flush()
            ready.wait()  # every batch's rows copied: now all commit

    at_once(land, batches, timeout=60)


KEYS = st.lists(st.sampled_from([str(n) for n in range(1, 9)]), min_size=1, max_size=8)
NAMES = st.sampled_from(["anna", "bo"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=KEYS, second=KEYS, name=NAMES)
def test_two_batches_landing_one_version_at_once_land_it_once(database, first, second, name):
    _clear(database)
    _land_in_step(database, [[(k, name) for k in first], [(k, name) for k in second]])
    with psycopg.connect(database.libpq()) as conn:
        rows = conn.execute(
            "select natural_key, count(*) from raw.x_users group by natural_key"
        ).fetchall()
    assert dict(rows) == dict.fromkeys(set(first) | set(second), 1)


def _killed_at_commit(libpq: str, keys: list[str]) -> None:
    """A worker that dies (no cleanup, no except, no finally) right before its commit."""
    real_commit = psycopg.Connection.commit

    def die(self):
        os._exit(9)

    with psycopg.connect(libpq) as conn:
        batch = LandingBatch(conn, "x", "users")
        batch.__enter__()
        for key in keys:
            batch.add(RawRecord(key, {"id": key, "username": f"user{key}"}))
        psycopg.Connection.commit = die  # type: ignore[method-assign]
        batch._commit()
    psycopg.Connection.commit = real_commit  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def after_a_kill(database) -> dict:
    _clear(database)
    keys = [str(n) for n in range(100, 140)]
    child = multiprocessing.get_context("fork").Process(
        target=_killed_at_commit, args=(database.libpq(), keys)
    )
    child.start()
    child.join(timeout=60)
    with psycopg.connect(database.libpq(), autocommit=True) as conn:
        landed_by_killed = conn.execute("select count(*) from raw.x_users").fetchone()[0]
        with LandingBatch(conn, "x", "users") as retry:
            for key in keys:
                retry.add(RawRecord(key, {"id": key, "username": f"user{key}"}))
        statuses = dict(
            conn.execute(
                "select status, count(*) from meta.load_batches where entity = 'users'"
                " group by status"
            ).fetchall()
        )
        unnamed = conn.execute(
            "select count(*) from raw.x_users u where not exists (select 1 from"
            " meta.load_batches b where b.batch_id = u.batch_id and b.status = 'committed')"
        ).fetchone()[0]
        landed = conn.execute("select count(*) from raw.x_users").fetchone()[0]
    return {
        "exit": child.exitcode,
        "landed_by_killed": landed_by_killed,
        "statuses": statuses,
        "landed": landed,
        "keys": len(keys),
        "unnamed": unnamed,
    }


def test_a_batch_killed_before_its_commit_lands_nothing(after_a_kill):
    assert after_a_kill["exit"] == 9
    assert after_a_kill["landed_by_killed"] == 0


def test_the_batch_of_a_killed_worker_is_marked_failed_by_the_next(after_a_kill):
    assert after_a_kill["statuses"].get("running", 0) == 0, after_a_kill["statuses"]


def test_a_retry_after_a_kill_lands_every_record_once(after_a_kill):
    assert after_a_kill["landed"] == after_a_kill["keys"]


def test_every_landed_row_belongs_to_a_committed_batch(after_a_kill):
    assert after_a_kill["unnamed"] == 0


LOOKUP_SECONDS = 3.0  # what one brand's look-ups at the source take (retries, a rate limit)


def test_a_brands_commit_does_not_wait_on_another_brands_lookups(database):
    """Brand A's batch reconciles its scope: a Post missing from its walk is looked up at the
    source (`confirm_gone`, X's `GET /2/tweets`) inside `_commit`, after the entity's commit
    lock is taken; brand B's batch of the same entity, ready to commit meanwhile, waits for
    A's look-ups (a rate-limited look-up waits up to `RetryPolicy.rate_limit_cap`, 900 s,
    each of 8 attempts), one brand's API trouble
    stalling every other brand's landing."""
    _clear(database)
    with psycopg.connect(database.libpq(), autocommit=True) as conn:
        with LandingBatch(conn, "x", "users") as first:
            first.add(RawRecord("900", {"id": "900", "username": "gone_soon"}, scope_key="a"))
    looking_up = threading.Event()

    def slow_lookup(missing):
        looking_up.set()
        time.sleep(LOOKUP_SECONDS)
        return set()

    def brand_a() -> None:
        with psycopg.connect(database.libpq()) as conn:
            with LandingBatch(conn, "x", "users", confirm_gone=slow_lookup) as batch:
                batch.add(RawRecord("901", {"id": "901", "username": "a1"}, scope_key="a"))
                batch.reconcile("a")

    thread = threading.Thread(target=brand_a)
    thread.start()
    assert looking_up.wait(30)
    started = time.monotonic()
    with psycopg.connect(database.libpq()) as conn:
        with LandingBatch(conn, "x", "users") as batch:
            batch.add(RawRecord("902", {"id": "902", "username": "b1"}, scope_key="b"))
    waited = time.monotonic() - started
    thread.join(timeout=60)
    assert waited < LOOKUP_SECONDS / 2, f"brand B's commit waited {waited:.1f} s"


def test_a_record_landed_again_during_the_lookups_is_not_tombstoned(database):
    """The look-ups now run before the commit lock, so another batch may land the record they
    are asked about meanwhile: its newer version (seen alive by that walk) stays the latest,
    not tombstoned on an answer that predates it."""
    _clear(database)
    with psycopg.connect(database.libpq(), autocommit=True) as conn:
        with LandingBatch(conn, "x", "users") as first:
            first.add(RawRecord("910", {"id": "910", "username": "old"}, scope_key="a"))

    def gone_but_landed_again(missing):
        with psycopg.connect(database.libpq()) as conn:
            with LandingBatch(conn, "x", "users") as other:
                other.add(RawRecord("910", {"id": "910", "username": "new"}, scope_key="b"))
        return {m.natural_key for m in missing}

    with psycopg.connect(database.libpq()) as conn:
        with LandingBatch(conn, "x", "users", confirm_gone=gone_but_landed_again) as batch:
            batch.add(RawRecord("911", {"id": "911", "username": "a1"}, scope_key="a"))
            batch.reconcile("a")
    with psycopg.connect(database.libpq()) as conn:
        latest = conn.execute(
            "select is_deleted, payload->>'username' from raw.x_users where natural_key = '910'"
            " order by ingest_seq desc limit 1"
        ).fetchone()
    assert latest == (False, "new")
