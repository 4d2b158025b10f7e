"""CDNOW (Fader, Hardie & Lee 2005) as a CRM-only brand's export, run as a cron user would:
`social-crm load crm` lands it from a drop folder, `social-crm nightly` builds with the papers'
calibration window as the observation end. The fit reproduces the papers' parameters, and
with no social source connected the customer marts are published all the same."""

import os
import re
import subprocess
import sys

import psycopg
import pytest

from social_crm.warehouse import migrations
from social_crm_dev import cdnow
from tests.databases import new_database

pytestmark = [pytest.mark.integration, pytest.mark.eval]  # quick: in `make test` too


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "social_crm.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def cdnow_warehouse(warehouse_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdnow") / "crm"
    cdnow.write_crm_export(folder)
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        env = {
            **os.environ,
            "WAREHOUSE_URL": db.libpq(),
            "SOCIAL_CRM_CLV_OBSERVATION_END": cdnow.CALIBRATION_END,
        }
        loaded = _cli("load", "crm", "--drop-dir", str(folder), env=env)
        built = _cli("nightly", env=env)
        with psycopg.connect(db.libpq()) as conn:
            yield conn, loaded.stdout, built.stdout


def _parameters(conn, model):
    rows = (
        conn[0]
        .execute("select parameter, value from scoring.clv_model where model = %s", (model,))
        .fetchall()
    )
    return dict(rows)


def test_bgnbd_from_the_crm_export_gives_the_papers_parameters(cdnow_warehouse):
    fitted = _parameters(cdnow_warehouse, "bg_nbd")
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert fitted == pytest.approx(published, rel=0.01)


def test_gamma_gamma_from_the_crm_export_gives_the_papers_parameters(cdnow_warehouse):
    fitted = _parameters(cdnow_warehouse, "gamma_gamma")
    assert fitted == pytest.approx({"p": 6.25, "q": 3.74, "gamma": 15.44}, rel=0.02)


def test_a_crm_only_brand_publishes_every_customers_lifetime_value(cdnow_warehouse):
    published = (
        cdnow_warehouse[0]
        .execute("select count(*) from marts.customer_lifetime_value")
        .fetchone()[0]
    )
    assert published == 2357


def test_the_holdout_calibration_is_published_with_the_fit(cdnow_warehouse):
    buckets = (
        cdnow_warehouse[0]
        .execute(
            "select frequency_bucket, customers, actual_purchases, holdout_far_off"
            " from marts.clv_calibration_by_frequency order by bucket_order"
        )
        .fetchall()
    )
    assert [b[0] for b in buckets][:3] == ["0", "1", "2"]
    assert sum(b[1] for b in buckets) > 2000  # first purchase before 1 July 1997: nearly all
    assert not any(b[3] for b in buckets)


def test_each_customers_clv_comes_with_its_ninety_percent_interval(cdnow_warehouse):
    outside = (
        cdnow_warehouse[0]
        .execute(
            "select count(*) from marts.customer_lifetime_value"
            " where not predicted_clv_low <= predicted_clv + 0.01"
            " or not predicted_clv <= predicted_clv_high + 0.01"
            " or not expected_purchases_low < expected_purchases_high"
        )
        .fetchone()[0]
    )
    assert outside <= 2357 * 0.01


def test_loading_prints_each_landed_file(cdnow_warehouse):
    lines = cdnow_warehouse[1].splitlines()
    assert any("customers" in line and "2357" in line.replace(",", "") for line in lines), lines
    assert any("orders" in line for line in lines), lines


def test_the_nightly_command_prints_every_step_as_it_ends(cdnow_warehouse):
    from social_crm.orchestration.pipelines import NIGHTLY

    # (dbt's own lines, one per model and test, come between ours)
    printed = re.findall(r"^\[(\w+)\] [\d.]+s: ", cdnow_warehouse[2], flags=re.MULTILINE)
    assert printed == NIGHTLY.names()
