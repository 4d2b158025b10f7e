"""CDNOW (Fader, Hardie & Lee 2005) as a CRM-only brand's export: loaded through the CRM drop
folder, built by the nightly run with the papers' calibration window as the observation end.
The fit reproduces the papers' parameters, and with no social source connected the customer
marts are published all the same."""

from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.orchestration import nightly
from social_crm.warehouse import migrations
from social_crm_dev import cdnow
from tests.databases import new_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cdnow_warehouse(warehouse_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdnow") / "crm"
    cdnow.write_crm_export(folder)
    with new_database(warehouse_url) as db, pytest.MonkeyPatch.context() as patch:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        land_drop_folder(lambda: psycopg.connect(db.libpq()), folder)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("SOCIAL_CRM_CLV_OBSERVATION_END", cdnow.CALIBRATION_END)
        nightly.run_all(as_of=datetime(1998, 7, 1, tzinfo=UTC))
        with psycopg.connect(db.libpq()) as conn:
            yield conn


def _parameters(conn, model):
    rows = conn.execute(
        "select parameter, value from scoring.clv_model where model = %s", (model,)
    ).fetchall()
    return dict(rows)


def test_bgnbd_from_the_crm_export_gives_the_papers_parameters(cdnow_warehouse):
    fitted = _parameters(cdnow_warehouse, "bg_nbd")
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert fitted == pytest.approx(published, rel=0.01)


def test_gamma_gamma_from_the_crm_export_gives_the_papers_parameters(cdnow_warehouse):
    fitted = _parameters(cdnow_warehouse, "gamma_gamma")
    assert fitted == pytest.approx({"p": 6.25, "q": 3.74, "gamma": 15.44}, rel=0.02)


def test_a_crm_only_brand_publishes_every_customers_lifetime_value(cdnow_warehouse):
    published = cdnow_warehouse.execute(
        "select count(*) from marts.customer_lifetime_value"
    ).fetchone()[0]
    assert published == 2357


def test_the_holdout_calibration_is_published_with_the_fit(cdnow_warehouse):
    buckets = cdnow_warehouse.execute(
        "select frequency_bucket, customers, actual_purchases, holdout_far_off"
        " from marts.clv_calibration_by_frequency order by bucket_order"
    ).fetchall()
    assert [b[0] for b in buckets][:3] == ["0", "1", "2"]
    assert sum(b[1] for b in buckets) > 2000  # first purchase before 1 July 1997: nearly all
    assert not any(b[3] for b in buckets)


def test_each_customers_clv_comes_with_its_ninety_percent_interval(cdnow_warehouse):
    outside = cdnow_warehouse.execute(
        "select count(*) from marts.customer_lifetime_value"
        " where not predicted_clv_low <= predicted_clv + 0.01"
        " or not predicted_clv <= predicted_clv_high + 0.01"
        " or not expected_purchases_low < expected_purchases_high"
    ).fetchone()[0]
    assert outside <= 2357 * 0.01
