"""Tokens never reach logs, errors, quarantine or batch records; a bad token fails at once
with one clear message naming the connection."""

import logging

import pytest

from social_crm.extract.http import ApiAuthError
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.graph_api import page_token
from tests.end_to_end.conftest import Pipeline

pytestmark = pytest.mark.integration

FB_TOKEN = "sim-facebook-token"
X_TOKEN = "sim-x-bearer-token"


def test_a_captured_run_never_shows_a_token(sim, db, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # includes urllib3's request lines
    sim.configure_faults(
        FaultConfig(
            rate_limit_every=7, error_rate=0.05, truncate_rate=0.05, malformed_rate=0.05, seed=2
        )
    )
    pipeline = Pipeline(sim, db)
    results = pipeline.run()
    out, err = capfd.readouterr()
    stored = pipeline.rows(
        "select coalesce(string_agg(raw_text || reason, ''), '') from raw_quarantine.records"
        " union all select coalesce(string_agg(coalesce(error, ''), ''), '')"
        " from meta.load_batches"
    )
    everything = "\n".join(
        [
            caplog.text,
            out,
            err,
            repr(results),
            *(r[0] for r in stored),
            *(r.summary() for r in results),
        ]
    )
    assert "waiting" in caplog.text and f"GET /{GRAPH_API_VERSION}" in caplog.text  # captured
    assert FB_TOKEN not in everything
    assert X_TOKEN not in everything
    assert page_token(FB_TOKEN, "104000000000001") not in everything  # our Page's own token


def test_graph_paging_urls_carry_the_token_but_requests_do_not(sim, db, caplog):
    caplog.set_level(logging.DEBUG, logger="urllib3")
    pipeline = Pipeline(sim, db)
    pipeline.facebook.page_access()  # our Page's posts are read with its Page token
    pages = list(pipeline.fb_client.graph_pages("104000000000001/posts", {"limit": 5}))
    assert len(pages) > 1
    token = page_token(FB_TOKEN, "104000000000001")
    assert token in pages[0].body["paging"]["next"]  # as the real Graph API does
    assert token not in caplog.text and FB_TOKEN not in caplog.text


@pytest.mark.parametrize("api", ["facebook", "x"])
def test_expired_token_fails_at_once_naming_the_connection(sim, db, api, caplog):
    pipeline = Pipeline(sim, db, fb_token="expired-token-123", x_token="expired-token-456")
    run = pipeline.facebook.page_snapshots if api == "facebook" else pipeline.x.tweets
    client = pipeline.fb_client if api == "facebook" else pipeline.x_client
    with pytest.raises(ApiAuthError) as failure:
        run()
    message = str(failure.value)
    connection = "facebook_graph" if api == "facebook" else "x_api"
    assert f"Airflow connection '{connection}'" in message
    assert "refused the credentials" in message
    assert "expired-token" not in message and "expired-token" not in caplog.text
    assert client.calls == 1  # no retries on an auth error
    assert failure.value.__cause__ is None and failure.value.__context__ is None
