"""When the marts are built: 02:00 UTC, and in between once a raw table was updated and the
marts are due (`social_crm_marts_due`, every SOCIAL_CRM_MARTS_EVERY_HOURS hours). Checked on
the DAGs as the scheduler reads them (the asset condition evaluated by Airflow's own
evaluator) and on the setting."""

from datetime import UTC, datetime, timedelta

import pytest
from croniter import croniter
from hypothesis import given
from hypothesis import strategies as st

from social_crm import catalog
from social_crm.orchestration.assets import MARTS_DUE_MINUTE, marts_due_cron
from social_crm.settings import SettingError

RAW = sorted(f"raw.{table.name}" for table in catalog.RAW_TABLES)
DIVISORS_OF_A_DAY = (1, 2, 3, 4, 6, 8, 12, 24)


@pytest.fixture(scope="module")
def nightly_condition(dagbag):
    """The nightly's asset condition as the scheduler holds it (the serialized DAG)."""
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags["social_crm_nightly"]))
    return dag.timetable.asset_condition


def _due(condition, updated: set[str]) -> bool:
    from airflow.assets.evaluation import AssetEvaluator

    statuses = {key: key.name in updated for key, _ in condition.iter_assets()}
    return AssetEvaluator(session=None).run(condition, statuses)


@given(updated=st.sets(st.sampled_from(RAW)), marts_due=st.booleans())
def test_the_build_starts_once_a_raw_table_and_marts_due_were_updated(
    nightly_condition, updated, marts_due
):
    events = updated | ({"marts_due"} if marts_due else set())
    assert _due(nightly_condition, events) == (bool(updated) and marts_due)


def test_marts_due_runs_on_the_setting(dagbag):
    assert dagbag.dags["social_crm_marts_due"].timetable.expression == marts_due_cron()


@pytest.mark.parametrize("hours", DIVISORS_OF_A_DAY)
def test_marts_are_due_every_period_of_the_setting_at_the_same_minute(hours):
    cron = marts_due_cron({"SOCIAL_CRM_MARTS_EVERY_HOURS": str(hours)})
    day = datetime(2026, 3, 2, tzinfo=UTC)
    times = croniter(cron, day - timedelta(seconds=1))
    fired = [times.get_next(datetime) for _ in range(24 // hours + 1)]
    assert all(t.minute == MARTS_DUE_MINUTE for t in fired)
    assert {b - a for a, b in zip(fired, fired[1:], strict=False)} == {timedelta(hours=hours)}


def test_marts_are_due_every_hour_by_default():
    assert marts_due_cron({}) == f"{MARTS_DUE_MINUTE} * * * *"


def _a_divisor_of_a_day(value: str) -> bool:
    value = value.strip()
    return value.isascii() and value.isdigit() and int(value) in DIVISORS_OF_A_DAY


@given(st.text(max_size=6).filter(lambda v: v.strip() and not _a_divisor_of_a_day(v)))
def test_a_period_that_does_not_divide_a_day_is_refused_naming_the_setting(value):
    with pytest.raises(SettingError, match="SOCIAL_CRM_MARTS_EVERY_HOURS"):
        marts_due_cron({"SOCIAL_CRM_MARTS_EVERY_HOURS": value})
