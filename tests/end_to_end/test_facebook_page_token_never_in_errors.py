"""Page tokens never appear in logs or errors.

Graph echoes a token it cannot parse in its error: `Malformed access token <the token>`
(OAuthException 190; github.com/facebookarchive/react-native-fbsdk/issues/220). When that
happens to one of our Pages' tokens, `FacebookExtractor._one_page` records the API's
`error_message` in the Page's failure, which is logged and raised in `PagesUnreadable`
(Airflow task log, alert): the transport redacts that message as it redacts its own, for
every token it knows. A real local HTTP server answers as Graph does."""

from __future__ import annotations

import logging

import psycopg
import pytest

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings, PagesUnreadable
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, RetryPolicy
from social_crm.warehouse import migrations
from tests.databases import new_database
from tests.json_server import serve

pytestmark = pytest.mark.integration

PAGE = "104000000000001"
BRAND_TOKEN = "EAABrandSystemUserToken0123456789"
PAGE_TOKEN = "EAAPpageTokenOfOurPage9876543210abcdef"
FAST = RetryPolicy(
    max_attempts=2, backoff_base=0.01, backoff_cap=0.02, rate_limit_wait=0.01, rate_limit_cap=0.02
)


def _graph(handler):
    auth = handler.headers.get("authorization", "")
    if handler.path.split("?")[0].endswith("/me/accounts"):
        item = {
            "id": PAGE,
            "name": "Ours",
            "access_token": PAGE_TOKEN,
            "category": "Cafe",
            "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        }
        return 200, {"data": [item], "paging": {}}, {}
    if PAGE_TOKEN in auth or PAGE_TOKEN in handler.path:
        error = {
            "message": f"Malformed access token {PAGE_TOKEN}",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "AbCdEf",
        }
        return 400, {"error": error}, {}
    return 400, {"error": {"message": "unexpected", "type": "OAuthException", "code": 100}}, {}


def test_a_page_token_echoed_by_graph_never_reaches_a_log_or_an_error(caplog, warehouse_url):
    server = serve(_graph)
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        caplog.set_level(logging.DEBUG)
        client = ApiClient(
            "facebook_graph",
            f"http://127.0.0.1:{server.server_port}",
            BRAND_TOKEN,
            policy=GraphPolicy(),
            api_version="v27.0",
            retry=FAST,
        )
        extractor = FacebookExtractor(
            client,
            lambda: psycopg.connect(db.libpq()),
            FacebookSettings((PAGE,), own_page_ids=(PAGE,)),
        )
        extractor.page_snapshots()
        with pytest.raises(PagesUnreadable) as failure:
            extractor.finish()
    server.shutdown()
    assert PAGE_TOKEN not in str(failure.value), str(failure.value)
    assert PAGE_TOKEN not in caplog.text
