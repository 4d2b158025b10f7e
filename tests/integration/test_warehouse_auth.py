"""The embedded warehouse requires passwords (scram-sha-256): on a shared machine nobody logs
in as the superuser or as a BI user without the password."""

import dataclasses
import stat

import psycopg
import pytest

from social_crm.warehouse.bi_login import ensure_login
from social_crm_dev import embedded_postgres, local_warehouse

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded(warehouse_url):
    if not local_warehouse.is_embedded(warehouse_url):
        pytest.skip("WAREHOUSE_URL names another server: its authentication is its own")
    return warehouse_url


def _refused(url) -> str:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(url.libpq(), connect_timeout=5).close()
    return str(refused.value)


def test_a_wrong_password_is_refused(embedded):
    assert "password authentication failed" in _refused(
        dataclasses.replace(embedded, password="wrong")
    )


def test_the_superuser_cannot_log_in_without_a_password(embedded):
    assert "password" in _refused(dataclasses.replace(embedded, password=""))


def test_a_bi_login_cannot_log_in_without_its_password(embedded):
    with psycopg.connect(embedded.libpq(), autocommit=True) as conn:
        ensure_login(conn, "bi_auth_probe", "its-own-password")
    assert "password" in _refused(dataclasses.replace(embedded, user="bi_auth_probe", password=""))


def test_the_password_file_is_readable_by_its_owner_only(embedded):
    path = embedded_postgres.password_file(local_warehouse.data_dir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
