"""When the CLV models are fitted, and what a night scores with: a fit once the observation end
moved SOCIAL_CRM_CLV_REFIT_DAYS past the last fit's, the last fit's parameters in between, and
a fit that fails never fails the nightly run: the customers are scored with the last good
parameters, and the fit record says so (real PostgreSQL; the staging orders view is stood in
for by a table of the same columns)."""

from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest

from social_crm.customer_value import run as scoring
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration
AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
REFIT = timedelta(days=7)  # SOCIAL_CRM_CLV_REFIT_DAYS' default


@pytest.fixture
def orders_db(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        conn.execute("create schema staging")
        conn.execute(
            "create table staging.stg_crm__orders"
            " (order_id text, customer_id text, ordered_at timestamptz, amount numeric)"
        )
        conn.commit()
        yield conn


def _land(conn, repeat_buyers: int, customers: int = 40) -> None:
    """Each customer's first order a year before AS_OF; the first `repeat_buyers` also buy
    again every few weeks."""
    rng = np.random.default_rng(1)
    conn.execute("truncate staging.stg_crm__orders")
    rows = []
    for c in range(customers):
        first = AS_OF - timedelta(days=int(rng.integers(200, 360)))
        days = [0] + (
            sorted(rng.choice(190, size=4, replace=False) + 1) if c < repeat_buyers else []
        )
        rows += [(f"O{c}-{d}", f"C{c}", first + timedelta(days=int(d)), 20 + c % 7) for d in days]
    with conn.cursor() as cur:
        cur.executemany("insert into staging.stg_crm__orders values (%s, %s, %s, %s)", rows)
    conn.commit()


def _fits(conn):
    return conn.execute("select count(*) from scoring.clv_fits").fetchone()[0]


def _parameters(conn):
    return dict(conn.execute("select parameter, value from scoring.clv_model").fetchall())


def _newest_fit(conn):
    return conn.execute(
        "select parameters_source, customers from scoring.clv_fits order by fitted_at desc limit 1"
    ).fetchone()


def test_a_failed_fit_scores_with_the_last_good_parameters(orders_db, caplog):
    _land(orders_db, repeat_buyers=30)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF)
    good = _parameters(orders_db)
    _land(orders_db, repeat_buyers=5)  # Gamma-Gamma needs 10 repeat buyers: its fit fails
    scored = scoring.score_clv(orders_db, datetime.now(UTC), AS_OF + REFIT)
    assert scored == 40
    assert _newest_fit(orders_db) == ("previous", 40)
    kept = _parameters(orders_db)
    assert kept == good
    assert "scoring with the last good parameters" in caplog.text


def test_a_first_fit_that_fails_scores_nobody_and_raises_nothing(orders_db):
    _land(orders_db, repeat_buyers=5)
    assert scoring.score_clv(orders_db, datetime.now(UTC), AS_OF) == 0
    assert orders_db.execute("select count(*) from scoring.clv_customers").fetchone()[0] == 0


def test_between_fits_every_customer_is_scored_with_the_last_fits_parameters(orders_db):
    _land(orders_db, repeat_buyers=30)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF)
    fitted = _parameters(orders_db)
    _land(orders_db, repeat_buyers=30, customers=45)  # five new customers
    assert scoring.score_clv(orders_db, datetime.now(UTC), AS_OF + timedelta(days=1)) == 45
    assert (_fits(orders_db), _parameters(orders_db)) == (1, fitted)
    assert orders_db.execute("select count(*) from scoring.clv_customers").fetchone()[0] == 45


def test_the_models_are_fitted_again_once_the_last_fit_is_refit_days_old(orders_db):
    _land(orders_db, repeat_buyers=30)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF + REFIT)
    assert _newest_fit(orders_db) == ("fitted", 40)
    assert _fits(orders_db) == 2


def test_a_run_replayed_for_an_earlier_day_fits_again(orders_db):
    _land(orders_db, repeat_buyers=30)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF)
    scoring.score_clv(orders_db, datetime.now(UTC), AS_OF - timedelta(days=1))
    assert _fits(orders_db) == 2
