"""What `make bench` sets up and reads in the warehouse: a week passed (`bench.a_week_passes`)
makes the weekly work of the next night due, as each step decides it; BI latency is timed over
keys that really are distinct (`bench.bi_keys`, `bench.bench_bi`)."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from social_crm import settings
from social_crm.sentiment import run as sentiment_run
from social_crm.warehouse import migrations
from social_crm_dev import bench

pytestmark = pytest.mark.integration


@pytest.fixture
def warehouse(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        yield conn


def test_after_a_week_the_next_sentiment_pass_reads_every_message(warehouse):
    warehouse.execute(
        "insert into meta.sentiment_passes (reads_from, scorer_version, messages_table,"
        " read_whole, finished_at) values (now(), 'v1', 1, true, now())"
    )
    before = sentiment_run._reads_from(warehouse, "v1", 1)
    bench.a_week_passes(warehouse)
    assert before is not None  # a pass of the same scorer a moment ago: reads what merged
    assert sentiment_run._reads_from(warehouse, "v1", 1) is None


def test_after_a_week_the_identity_model_is_old_enough_to_train_again(warehouse):
    warehouse.execute(
        "insert into scoring.identity_model (trained_at, profiles, customers, pairs_kept,"
        " parameters) values (now(), 1, 1, 1, '{}')"
    )
    bench.a_week_passes(warehouse)
    trained_at = warehouse.execute("select trained_at from scoring.identity_model").fetchone()[0]
    age = datetime.now(UTC) - trained_at
    assert age >= timedelta(days=settings.load().identity_retrain_days)


def test_after_a_week_the_last_clv_fit_is_due_again(warehouse):
    warehouse.execute(
        "insert into scoring.clv_fits (fitted_at, purchase_period, observed_until,"
        " horizon_weeks, customers, parameters_source, holdout_from, model_digest)"
        " values (now(), 'D', now(), 52, 10, 'fitted', now() - interval '13 weeks', 'd')"
    )
    bench.a_week_passes(warehouse)
    observed = warehouse.execute("select observed_until from scoring.clv_fits").fetchone()[0]
    assert datetime.now(UTC) - observed >= timedelta(days=settings.load().clv_refit_days)


def test_bi_keys_are_distinct_and_as_many_as_asked(warehouse):
    warehouse.execute(
        "create table bi_people as select g % 300 as id from generate_series(1, 900) g"
    )
    keys = bench.bi_keys(warehouse, "select id from bi_people", 120)
    assert len(keys) == 120 and len(set(keys)) == 120


def test_bi_keys_are_all_there_are_when_fewer_than_asked(warehouse):
    warehouse.execute("create table bi_brands as select g % 3 as id from generate_series(1, 90) g")
    assert sorted(bench.bi_keys(warehouse, "select id from bi_brands", 50)) == [0, 1, 2]


def test_bi_latency_is_timed_over_the_distinct_keys_cold_and_warm(warehouse, scratch_database):
    warehouse.execute("create table bi_people as select g as id from generate_series(1, 500) g")
    warehouse.commit()
    queries = {"lookup": ("select * from bi_people where id = %s", "select id from bi_people")}
    timed = bench.bench_bi(scratch_database.libpq(), queries, keys=40)["lookup"]
    assert timed["keys"] == 40
    assert {"cold_p50_ms", "cold_p95_ms", "p50_ms", "p95_ms"} <= set(timed)
