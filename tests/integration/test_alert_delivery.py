"""Alerts are recorded once and delivered at least once: a webhook that is down keeps the alert
for the next cycles (up to MAX_DELIVERY_ATTEMPTS), a webhook that takes it marks it delivered."""

from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.alerts import run as alerts
from social_crm.warehouse import migrations
from tests.webhook import receiving_webhook

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(scratch_database):
    with psycopg.connect(scratch_database.libpq(), autocommit=True) as conn:
        migrations.apply(conn)
        yield conn


def record(conn, message_id="m1"):
    return alerts._record(
        conn, "sla_breach", "ours", "x", message_id, NOW, "waiting", {"message_url": "u"}, None
    )


def test_an_alert_is_recorded_once_per_message(conn):
    assert record(conn) is not None
    assert record(conn) is None
    assert conn.execute("select count(*) from meta.alerts").fetchone()[0] == 1


def test_an_alert_the_webhook_refused_is_delivered_on_a_later_cycle(conn, monkeypatch):
    record(conn)
    monkeypatch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", "http://127.0.0.1:9/down")
    assert alerts.deliver(conn) == (0, 1)
    with receiving_webhook() as (url, received):
        monkeypatch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", url)
        assert alerts.deliver(conn) == (1, 0)
        assert alerts.deliver(conn) == (0, 0)  # delivered: never posted again
    assert [body["alert"]["message_url"] for body in received] == ["u"]


def test_an_alert_is_not_retried_forever(conn, monkeypatch):
    record(conn)
    monkeypatch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", "http://127.0.0.1:9/down")
    for _ in range(alerts.MAX_DELIVERY_ATTEMPTS):
        alerts.deliver(conn)
    assert alerts.deliver(conn) == (0, 0)


def test_an_alert_deleted_while_the_cycle_posts_is_not_posted(conn, scratch_database, monkeypatch):
    """An erasure deletes the alerts about a person while the cycle is posting an earlier
    one: the deleted one is not posted after it."""
    first = record(conn, "m1")
    erased = record(conn, "m2")

    def erase_meanwhile(body):
        if body["alert"]["alert_id"] == first:
            with psycopg.connect(scratch_database.libpq(), autocommit=True) as other:
                other.execute("delete from meta.alerts where alert_id = %s", (erased,))

    with receiving_webhook(erase_meanwhile) as (url, received):
        monkeypatch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", url)
        alerts.deliver(conn)
    assert [body["alert"]["alert_id"] for body in received] == [first]
