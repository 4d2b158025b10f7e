"""The nightly's source freshness check (quality/freshness.py, the step
`check_source_freshness`) on a real warehouse: landing batches written as the landing code
writes them, ages on the warehouse's clock, the rules of the dbt project's sources."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.orchestration import nightly
from social_crm.quality import freshness
from social_crm.transform.dbt_manifest import load_manifest
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration


@pytest.fixture
def warehouse(scratch_database, monkeypatch):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
    monkeypatch.setenv("WAREHOUSE_URL", scratch_database.libpq())
    monkeypatch.delenv("SOCIAL_CRM_LATE_SOURCES", raising=False)
    with psycopg.connect(scratch_database.libpq(), autocommit=True) as conn:
        yield conn


def _landed(conn, table: str, ago: timedelta, new_rows: int = 1) -> None:
    """A committed landing batch of raw `table` (`<source>_<entity>`), finished `ago`."""
    source, _, entity = table.partition("_")
    conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, started_at, finished_at,"
        " status, records_in, records_landed) values (%s, %s, %s, now() - %s, now() - %s,"
        " 'committed', %s, %s)",
        (uuid.uuid4(), source, entity, ago, ago, new_rows, new_rows),
    )


def _status(conn, table: str) -> str:
    found = freshness.check(conn, freshness.rules(load_manifest()))
    return next(item for item in found if item.table == f"raw.{table}").status


# x_tweets: warn after 6 hours, late after 26 (dbt_project/models/staging/x/_x__sources.yml)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(minutes=st.integers(min_value=0, max_value=5 * 24 * 60))
def test_a_source_is_late_exactly_when_its_newest_landing_is_past_its_limit(warehouse, minutes):
    warehouse.execute("delete from meta.load_batches")
    _landed(warehouse, "x_tweets", timedelta(minutes=minutes))
    expected = "late" if minutes > 26 * 60 else "warn" if minutes > 6 * 60 else "ok"
    # a minute's margin each side of a limit: the check's now() is a moment later
    if min(abs(minutes - 6 * 60), abs(minutes - 26 * 60)) > 1:
        assert _status(warehouse, "x_tweets") == expected


def test_a_source_that_never_landed_is_late(warehouse):
    assert _status(warehouse, "x_tweets") == "late"


def test_an_event_sources_reads_that_found_nothing_new_do_not_make_it_fresh(warehouse):
    _landed(warehouse, "x_tweets", timedelta(days=3))
    _landed(warehouse, "x_tweets", timedelta(minutes=5), new_rows=0)
    assert _status(warehouse, "x_tweets") == "late"


def test_a_snapshot_read_that_found_nothing_changed_keeps_it_fresh(warehouse):
    _landed(warehouse, "facebook_page_snapshots", timedelta(days=3))
    _landed(warehouse, "facebook_page_snapshots", timedelta(minutes=5), new_rows=0)
    assert _status(warehouse, "facebook_page_snapshots") == "ok"


def test_a_source_without_a_rule_is_shown_not_judged(warehouse):
    _landed(warehouse, "crm_erasure_requests", timedelta(days=40))
    assert _status(warehouse, "crm_erasure_requests") == "not checked"


def test_a_late_source_is_a_warning_line_and_the_step_passes_by_default(warehouse, caplog):
    _landed(warehouse, "x_tweets", timedelta(days=2))
    with caplog.at_level(logging.INFO, logger=freshness.__name__):
        counts = nightly.check_source_freshness()
    assert counts["late"] >= 1
    lines = [r for r in caplog.records if r.getMessage().startswith("raw.x_tweets: ")]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert "last landed new data" in lines[0].getMessage()
    assert "2d ago" in lines[0].getMessage() and "; LATE (" in lines[0].getMessage()


def test_a_late_source_fails_the_step_when_the_setting_says_fail(warehouse, monkeypatch):
    for table in freshness.rules(load_manifest()):
        _landed(warehouse, table.removeprefix("raw."), timedelta(minutes=1))
    _landed(warehouse, "x_tweets", timedelta(days=2))
    warehouse.execute(
        "delete from meta.load_batches where source = 'x' and entity = 'tweets'"
        " and finished_at > now() - interval '1 hour'"
    )
    monkeypatch.setenv("SOCIAL_CRM_LATE_SOURCES", "fail")
    with pytest.raises(freshness.SourcesLate, match=r"1 raw sources are late.*raw\.x_tweets"):
        nightly.check_source_freshness()


def test_fresh_sources_pass_the_step_when_the_setting_says_fail(warehouse, monkeypatch):
    for table in freshness.rules(load_manifest()):
        _landed(warehouse, table.removeprefix("raw."), timedelta(minutes=1))
    monkeypatch.setenv("SOCIAL_CRM_LATE_SOURCES", "fail")
    assert "late" not in nightly.check_source_freshness()


def test_landing_times_are_logged_in_utc_whatever_the_sessions_time_zone(warehouse):
    _landed(warehouse, "x_tweets", timedelta(minutes=30))
    warehouse.execute("set time zone 'America/Los_Angeles'")
    found = freshness.check(warehouse, freshness.rules(load_manifest()))
    item = next(f for f in found if f.table == "raw.x_tweets")
    assert item.last_landed.utcoffset() != timedelta(0)  # the session's zone, not UTC
    utc = item.last_landed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"last landed new data {utc}, 30m ago" in item.line()
