"""Backfill of a past interval: a run for an old logical date (what `airflow backfill create`
schedules for each interval) fetches that interval again, lands nothing twice, and leaves
records newer than the interval alone (they were not walked, so they are not "deleted")."""

from datetime import UTC, datetime

import psycopg
import pytest

from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import BRANDS

pytestmark = pytest.mark.integration

PAST = datetime(2026, 1, 6, tzinfo=UTC)  # inside the simulated world's ten days


def _raw_state(url, table):
    with psycopg.connect(url.libpq()) as conn:
        return conn.execute(
            f"select count(*), count(*) filter (where is_deleted) from raw.{table}"  # noqa: S608
        ).fetchone()


@pytest.mark.parametrize(
    ("dag_id", "source", "entity"),
    [("extract_x", "x", "tweets"), ("extract_facebook", "facebook", "posts")],
)
def test_backfilling_a_past_interval_is_safe_and_idempotent(extraction_env, dag_id, source, entity):
    table = f"{source}_{entity}"
    assert dag_runs.run_in_process(dag_id).state == "success"
    rows, deleted = _raw_state(extraction_env, table)
    assert rows > 0 and deleted == 0

    for attempt in (1, 2):  # the backfill, then a retry of it
        outcome = dag_runs.run_in_process(dag_id, logical_date=PAST)
        assert outcome.state == "success", (attempt, outcome)
        assert _raw_state(extraction_env, table) == (rows, 0), attempt

    with psycopg.connect(extraction_env.libpq()) as conn:
        batches = conn.execute(
            "select records_in, records_landed, records_tombstoned from meta.load_batches"
            " where source = %s and entity = %s and interval_end = %s and status = 'committed'",
            (source, entity, PAST),
        ).fetchall()
        newer = conn.execute(
            f"select count(*) from raw.{table} where event_at >= %s",  # noqa: S608
            (PAST,),
        ).fetchone()[0]
    assert len(batches) == 2 * len(BRANDS)  # the backfill and its retry, a batch a brand
    assert all(seen > 0 and landed == 0 and tombstoned == 0 for seen, landed, tombstoned in batches)
    assert newer > 0  # there were newer records to wrongly tombstone
