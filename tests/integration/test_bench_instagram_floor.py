"""The Instagram floor `make bench` sets an hourly run against (`bench.instagram_floor`): a
page per 50 new top-level comments of each media, a request per comment that got new replies,
a request per @mention read, and the listings the run made; nothing landed before the hour
counts."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.warehouse import migrations
from social_crm_dev.bench import instagram_floor

pytestmark = pytest.mark.integration


def _land(conn, scope: str, payloads: list[dict]) -> None:
    with LandingBatch(conn, "instagram", "comments") as batch:
        for payload in payloads:
            batch.add(RawRecord(payload["id"], payload, scope_key=scope))


def test_the_floor_counts_new_comment_pages_reply_parents_mentions_and_listings(
    scratch_database,
):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        _land(conn, "m1", [{"id": "old1"}])  # landed before the hour: not new
        conn.execute("update raw.instagram_comments set extracted_at = now() - interval '2 h'")
        began = datetime.now(UTC) - timedelta(minutes=1)
        # media m1: 51 new top-level comments (2 pages) and 3 replies under 2 comments
        _land(conn, "m1", [{"id": f"c{i}"} for i in range(51)])
        replies = [("r1", "c0"), ("r2", "c0"), ("r3", "c1")]
        _land(conn, "m1", [{"id": r, "parent_id": p, "media_id": "m1"} for r, p in replies])
        # media m2: one new top-level comment; a mention read by id (no author)
        _land(conn, "m2", [{"id": "d1"}])
        _land(conn, "mentions:17841400000000001", [{"id": "x1", "text": "@fjordbrew"}])
        calls = {"graph:/{id}/media": 2, "graph:/{id}/insights": 3, "graph:/{id}/comments": 9}
        floor = instagram_floor(conn, calls, began)

    assert floor["floor_by_part"] == {
        "listings": 1 + 2 + 2 + 3,  # our account, two rivals, media pages, insights
        "new_comments": 2 + 1,
        "new_replies": 2,
        "mentions": 1,
    }
