"""The Graph version the pipeline calls: v27.0 unless the connection names another version Meta
still serves; anything else is refused before a call is made, naming the setting."""

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.orchestration import extraction
from social_crm.orchestration.extraction import (
    GRAPH_API_VERSION,
    GRAPH_VERSIONS_UNTIL,
    graph_version_in_service,
)
from social_crm.settings import SettingError

TODAY = date(2026, 12, 6)


def test_the_default_is_the_newest_version_in_service():
    newest = max(GRAPH_VERSIONS_UNTIL, key=lambda v: tuple(int(p) for p in v[1:].split(".")))
    assert GRAPH_API_VERSION == newest == "v27.0"
    graph_version_in_service("facebook_graph", GRAPH_API_VERSION, TODAY)


@given(st.text(max_size=12).filter(lambda v: v not in GRAPH_VERSIONS_UNTIL))
def test_a_version_meta_does_not_serve_is_refused_naming_the_setting(version):
    with pytest.raises(SettingError, match="connection 'facebook_graph': extra api_version"):
        graph_version_in_service("facebook_graph", version, TODAY)


@pytest.mark.parametrize(
    ("version", "day", "served"),
    [
        ("v20.0", date(2026, 9, 1), False),  # ended 2026-09-24: no longer listed
        ("v24.0", date(2028, 2, 17), True),
        ("v24.0", date(2028, 2, 18), False),
        ("v21.0", TODAY, True),
        ("v21.0", date(2027, 1, 21), False),
    ],
)
def test_a_version_is_served_until_the_day_meta_gave(version, day, served):
    if served:
        graph_version_in_service("facebook_graph", version, day)
    else:
        with pytest.raises(SettingError, match=version):
            graph_version_in_service("facebook_graph", version, day)


@pytest.mark.parametrize("version", ["../me", "v20.0", "27"])
def test_the_facebook_extractor_refuses_a_version_before_any_call(monkeypatch, version):
    connection = {
        "conn_type": "http",
        "host": "http://127.0.0.1:9",
        "password": "a-token",
        "extra": {"api_version": version},
    }
    monkeypatch.setenv("AIRFLOW_CONN_FACEBOOK_GRAPH", json.dumps(connection))
    with pytest.raises(SettingError, match="api_version"):
        extraction.facebook()
