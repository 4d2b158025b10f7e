"""Connections created once in Airflow's database (compose's airflow-init) are what the pipeline
reads, and an edit made afterwards (the UI's) survives the next start and is read instead."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm import settings as app_settings
from social_crm.extract import credentials
from social_crm.extract.credentials import ApiCredentials
from social_crm.orchestration import connection_setup

tokens = st.text(st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1, max_size=60)


def _delete(*conn_ids: str) -> None:
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(Connection).where(Connection.conn_id.in_(conn_ids)))


def _edit_password(conn_id: str, password: str) -> None:
    """What saving the edit form does: the row's password replaced."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        session.scalar(select(Connection).where(Connection.conn_id == conn_id)).password = password


@pytest.fixture
def database_only(airflow_db, monkeypatch):
    """Airflow's database the only place connections come from (no AIRFLOW_CONN_*, no env
    credentials), read as a task's request for a connection is answered: the API server looks
    the connection up in the environment, then the database (the "server" chain of
    airflow.sdk.execution_time.supervisor.ensure_secrets_backend_loaded); our rows removed
    afterwards, as other tests expect none."""
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")
    for conn_id in app_settings.API_CONNECTIONS:
        for name in (f"AIRFLOW_CONN_{conn_id.upper()}", f"{conn_id.upper()}_URL"):
            monkeypatch.delenv(name, raising=False)
    _delete(*app_settings.API_CONNECTIONS)
    yield
    _delete(*app_settings.API_CONNECTIONS)


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=tokens, edited=tokens)
def test_a_connection_edited_after_creation_is_kept_and_read(database_only, first, edited):
    _delete(credentials.X)
    new = ApiCredentials(credentials.X, "https://api.x.com", first)
    assert connection_setup.create_missing([new]) == {credentials.X: True}
    assert credentials.resolve(credentials.X).token == first
    _edit_password(credentials.X, edited)
    # the next start: the .env token again, the edit kept
    assert connection_setup.create_missing([new]) == {credentials.X: False}
    assert credentials.resolve(credentials.X).token == edited


def test_created_connections_are_of_our_types_from_the_env_tokens(database_only, monkeypatch):
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    monkeypatch.setenv("FACEBOOK_GRAPH_URL", "https://graph.facebook.com")
    monkeypatch.setenv("FACEBOOK_GRAPH_TOKEN", "fb-token")
    monkeypatch.setenv("X_API_URL", "https://api.x.com")
    monkeypatch.setenv("X_API_TOKEN", "")  # not given: not created, the UI adds it
    found, without = connection_setup.from_settings()
    assert [c.connection_id for c in found] == [credentials.FACEBOOK]
    assert set(without) == {credentials.INSTAGRAM, credentials.X}
    connection_setup.create_missing(found)
    for name in ("FACEBOOK_GRAPH_URL", "X_API_URL"):  # only airflow-init's environment sets them
        monkeypatch.delenv(name)
    with create_session() as session:
        rows = session.execute(select(Connection.conn_id, Connection.conn_type)).all()
    assert {tuple(row) for row in rows} >= {(credentials.FACEBOOK, credentials.FACEBOOK)}
    assert credentials.resolve(credentials.FACEBOOK).base_url == "https://graph.facebook.com"
    assert not credentials.is_configured(credentials.X)
