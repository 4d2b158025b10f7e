"""Under injected faults, after a killed load, with malformed input: still exact truth."""

import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from social_crm.load.landing import mark_abandoned_batches
from social_crm_dev.simulator.faults import FaultConfig
from tests.end_to_end.conftest import Pipeline, assert_matches_truth, truth_of

pytestmark = pytest.mark.integration


def test_fault_matrix_five_runs_reach_exact_truth(sim, db, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="social_crm.extract.http")
    pipeline = Pipeline(sim, db, read_timeout=0.2)
    sim.configure_faults(
        FaultConfig(
            rate_limit_every=10,
            error_rate=0.1,
            slow_rate=0.01,
            slow_seconds=0.4,
            truncate_rate=0.1,
            duplicate_items=True,
            seed=7,
        )
    )
    for _ in range(5):
        pipeline.run()
    assert_matches_truth(pipeline, truth_of(sim, tmp_path / "truth"))

    injected = sim.faults.injected
    assert injected["rate_limit"] > 5 and injected["server_error"] > 5
    assert injected["truncated"] > 5 and injected["slow"] > 0
    # no duplicates: the world did not change, so every record has exactly one version
    for table in ("facebook_comments", "facebook_reactions", "x_tweets", "x_followers"):
        extra_versions = f"select count(*) - count(distinct natural_key) from raw.{table}"  # noqa: S608
        assert pipeline.scalar(extra_versions) == 0, table
    waits = [r.getMessage() for r in caplog.records if "waiting" in r.getMessage()]
    assert any("rate limit" in w for w in waits)
    assert any("HTTP 50" in w for w in waits)
    assert any("not valid JSON" in w for w in waits)
    assert any("ReadTimeout" in w for w in waits)


class Boom(RuntimeError):
    pass


def test_load_failing_after_k_pages_lands_nothing_and_rerun_is_exact(sim, db, tmp_path):
    pipeline = Pipeline(sim, db)
    pages = pipeline.fb_client.graph_pages

    def failing_after(k):
        count = 0

        def wrapped(*args, **kwargs):
            nonlocal count
            for page in pages(*args, **kwargs):
                count += 1
                if count > k:
                    raise Boom(f"stopped after {k} pages")
                yield page

        return wrapped

    pipeline.fb_client.graph_pages = failing_after(7)
    with pytest.raises(Boom):
        pipeline.facebook.posts_with_activity("posts")
    assert pipeline.scalar("select count(*) from raw.facebook_comments") == 0
    failed = pipeline.scalar(
        "select count(*) from meta.load_batches where status = 'failed'"
        " and error like '%%stopped after 7 pages%%'"
    )
    assert failed == 3  # posts, comments and reactions batches
    assert pipeline.scalar("select count(*) from meta.watermarks") == 0

    pipeline.fb_client.graph_pages = pages
    pipeline.run()
    assert_matches_truth(pipeline, truth_of(sim, tmp_path / "truth"))


KILLED_RUN = """
import sys
from tests.end_to_end.conftest import FAST_RETRY, Pipeline
from social_crm.warehouse import WarehouseUrl

class Sim:
    url = sys.argv[1]

pipeline = Pipeline(Sim(), WarehouseUrl.parse(sys.argv[2]))
print("started", flush=True)
pipeline.run()
print("finished", flush=True)
"""


def test_load_killed_by_signal_then_rerun_is_exact(sim, db, tmp_path):
    sim.configure_faults(FaultConfig(slow_rate=0.5, slow_seconds=0.2, seed=1))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, sim.url, db.libpq()],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert proc.stdout.readline().strip() == "started"
    time.sleep(3)
    assert proc.poll() is None, "the load finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    pipeline = Pipeline(sim, db)
    assert pipeline.scalar("select count(*) from meta.load_batches where status = 'running'") > 0
    sim.configure_faults(FaultConfig())
    pipeline.run()
    assert pipeline.scalar("select count(*) from meta.load_batches where status = 'running'") == 0
    assert (
        pipeline.scalar("select count(*) from meta.load_batches where error like 'abandoned%%'") > 0
    )
    assert_matches_truth(pipeline, truth_of(sim, tmp_path / "truth"))


def test_malformed_records_are_quarantined_with_reasons_and_nothing_else_is_lost(sim, db, tmp_path):
    pipeline = Pipeline(sim, db)
    sim.configure_faults(FaultConfig(malformed_rate=0.05, seed=3))
    results = pipeline.run()
    quarantined = sum(r.quarantined for r in results)
    assert quarantined == sim.faults.injected["malformed"] > 0
    for r in results:
        assert r.records_in == r.landed + r.duplicate + r.quarantined
    reasons = {
        re.sub(r"'[^']*' is not", "'...' is not", row[0])
        for row in pipeline.rows("select distinct reason from raw_quarantine.records")
    }
    assert reasons <= {
        "missing or empty 'id'",
        "missing or non-numeric 'id'",
        "timestamp '...' is not ISO-8601 (Graph format)",
        "created_at '...' is not ISO-8601",
    }
    assert pipeline.scalar("select count(*) from raw_quarantine.records") == quarantined
    # every landed comment is a real one, and the rest arrive on the next clean run
    sim.configure_faults(FaultConfig())
    pipeline.run()
    assert_matches_truth(pipeline, truth_of(sim, tmp_path / "truth"))


def _running_batch(pipeline, entity: str) -> str:
    batch = str(uuid.uuid4())
    with pipeline.connect() as conn:
        conn.execute(
            "insert into meta.load_batches (batch_id, source, entity) values (%s, 'x', %s)",
            (batch, entity),
        )
    return batch


def test_the_janitor_fails_batches_a_killed_process_left_running(sim, db):
    pipeline = Pipeline(sim, db)
    batch = _running_batch(pipeline, "followers")
    with psycopg.connect(db.libpq(), autocommit=True) as conn:
        mark_abandoned_batches(conn)
    status, error = pipeline.rows(
        "select status, error from meta.load_batches where batch_id = %s", batch
    )[0]
    assert (status, error) == ("failed", "abandoned: the process ended before committing")


def test_the_janitor_leaves_a_batch_that_is_landing_now(sim, db):
    pipeline = Pipeline(sim, db)
    batch = _running_batch(pipeline, "users")
    with psycopg.connect(db.libpq(), autocommit=True) as landing:
        landing.execute("select pg_advisory_lock(hashtext('landing:x:users'))")
        with psycopg.connect(db.libpq(), autocommit=True) as conn:
            mark_abandoned_batches(conn)
        status = pipeline.scalar("select status from meta.load_batches where batch_id = %s", batch)
    assert status == "running"
