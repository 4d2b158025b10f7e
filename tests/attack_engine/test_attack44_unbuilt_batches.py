"""Outside attack on issue 44's schedule (promise 3): what lands is built within the period,
not left for 02:00. `social_crm_marts_due` announces the raw tables with batches committed
since the last published build started (`extraction.unbuilt_tables`): the rows no task
announced (a task that failed after landing, the live walks) are built in the period too.

A batch lands in one transaction that spans its whole walk (`LandingBatch`: API pages are
landed as they arrive, the commit comes at the end). A marts build that starts during a walk
does not see the batch (not committed yet); the batch commits after the build started and is
still unbuilt once the build publishes. Real embedded PostgreSQL, the landing and build
bookkeeping functions the DAG tasks call."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.orchestration import nightly
from social_crm.orchestration.extraction import unbuilt_tables

pytestmark = pytest.mark.integration


def _comment(key: str) -> RawRecord:
    return RawRecord(
        key,
        {"id": key, "message": "cold coffee again", "created_time": "2026-12-01T10:00:00+0000"},
        scope_key="104000000000001_1",
        event_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
    )


def test_a_batch_committed_after_a_build_started_is_announced_after_it_publishes(db, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
    with psycopg.connect(db.libpq()) as walk, psycopg.connect(db.libpq()) as build:
        with LandingBatch(walk, "facebook", "comments") as batch:
            batch.add(_comment("104000000000001_1_1"))
            # a marts build starts and publishes while the walk is still reading pages
            with build.transaction():
                nightly.build_started(build)
            with build.transaction():
                nightly.build_published(build)
        landed = walk.execute(
            "select count(*) from raw.facebook_comments where natural_key = '104000000000001_1_1'"
        ).fetchone()
        assert landed == (1,)  # precondition: the batch committed, after the build started
        assert "facebook_comments" in unbuilt_tables().tables
