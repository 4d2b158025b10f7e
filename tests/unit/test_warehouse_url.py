import pytest

from social_crm.warehouse import WarehouseConfigError, WarehouseUrl


def test_parse_full_url_and_render_for_each_client():
    url = WarehouseUrl.parse("postgresql://loader:s%40cret@db.example:6543/crm")
    assert (url.host, url.port, url.user, url.password, url.database) == (
        "db.example",
        6543,
        "loader",
        "s@cret",
        "crm",
    )
    assert url.libpq() == "postgresql://loader:s%40cret@db.example:6543/crm"
    assert WarehouseUrl.parse(url.libpq()) == url
    assert url.sqlalchemy().startswith("postgresql+psycopg://loader:")
    assert url.dbt_env()["WAREHOUSE_PORT"] == "6543"
    assert url.dbt_env()["WAREHOUSE_PASSWORD"] == "s@cret"


def test_password_never_in_str_or_repr_of_hidden_form():
    url = WarehouseUrl.parse("postgres://u:topsecret@h/db")
    assert "topsecret" not in str(url)
    assert "topsecret" not in url.libpq(hide_password=True)
    assert url.port == 5432


def test_password_never_in_the_repr_a_log_or_a_failing_test_prints():
    assert "topsecret" not in repr(WarehouseUrl.parse("postgres://u:topsecret@h/db"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://u@h/db", "must start with postgresql://"),
        ("postgresql://h:5432/", "needs a host and a database"),
        ("postgresql:///db", "needs a host and a database"),
    ],
)
def test_bad_urls_get_clear_errors(raw, message):
    with pytest.raises(WarehouseConfigError, match=message):
        WarehouseUrl.parse(raw)
