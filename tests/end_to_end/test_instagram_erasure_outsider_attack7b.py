"""Outsider attack (attack7b) on erasure's reach into Instagram raw rows, landed by hand as the
API gives them (real PostgreSQL, no dbt build), as tests/end_to_end/test_instagram_erasure_raw.py
does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.privacy import erasure
from social_crm.warehouse import migrations
from tests.databases import new_database

pytestmark = pytest.mark.integration

ERASED = "C000001"
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
OUR_IG = "17841400000000001"
THEIR_MEDIA = "17900000000000077"


def test_a_comment_mentioning_us_on_an_erased_persons_media_keeps_nothing_naming_them(
    warehouse_url, tmp_path
):
    """Someone comments `@fjordbrew look!` on Mia's post; the `mentions` webhook is read with
    `mentioned_comment`, whose answer carries the media it is on: `media{id, permalink,
    username}` (docs/real-apis.md; the extractor asks for them). Mia asks to be erased: her
    username and the link to her post must not stay in that comment's row (it is another
    person's comment, so it may stay with her blanked, as a caption naming her does)."""
    with new_database(warehouse_url) as url:
        (tmp_path / "customers_2026-12-01.csv").write_text(
            "customer_id,email,marketing_opt_in,profiling_opt_out\n"
            f"{ERASED},mia@example.org,true,false\n"
        )
        (tmp_path / "customer_social_accounts_2026-12-01.csv").write_text(
            "customer_id,platform,account_id,handle,source,linked_at\n"
            f"{ERASED},instagram,,mia,social_login,2026-11-01T10:00:00Z\n"
        )
        (tmp_path / "erasure_requests_2026-12-01.csv").write_text(
            f"customer_id,requested_at\n{ERASED},2026-12-01T12:00:00Z\n"
        )
        connect = lambda: psycopg.connect(url.libpq())  # noqa: E731
        with connect() as conn:
            migrations.apply(conn)
        land_drop_folder(connect, tmp_path)
        with connect() as conn:
            with LandingBatch(conn, "instagram", "comments") as batch:
                batch.add(
                    RawRecord(
                        "18077700000000001",
                        {
                            "id": "18077700000000001",
                            "text": "@fjordbrew look at this!",
                            "timestamp": "2026-12-01T09:00:00+0000",
                            "like_count": 0,
                            "media": {
                                "id": THEIR_MEDIA,
                                "permalink": "https://www.instagram.com/p/MiasPost123/",
                                "username": "mia",
                            },
                        },
                        f"mentions:{OUR_IG}",
                        AT,
                    )
                )
            conn.execute("create schema if not exists intermediate")
            conn.execute(
                "create table intermediate.int_identity_links (customer_id text, profile_key text)"
            )
            conn.commit()
            erasure.erase_requested(conn, drop_dir=tmp_path)
            rows = [
                p for (p,) in conn.execute("select payload from raw.instagram_comments").fetchall()
            ]
    left = [p for p in rows if '"mia"' in json.dumps(p).lower()]
    assert left == [], left
