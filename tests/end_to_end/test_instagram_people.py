"""Who a person is on Instagram, end to end: the simulator's test world (Facebook, X and
Instagram, its webhook changes landed as the receiver lands them), extracted, the CRM export
landed with one more erasure request and one more opt-out (two customers the CRM knows on
Instagram, with comments), one other person's comment @mentioning the erased customer, and
the nightly built once for the module.

- the erased customer's Instagram data is gone from raw (their comments and media, the
  webhook changes about them), the incremental models and the marts; others' texts naming
  them keep the text without their username; nothing of anyone else is erased;
- the opted-out customer's Instagram profile leaves the detail marts;
- the Instagram accounts the CRM knows link to their customers; the model's Instagram
  recall and precision are printed against the truth.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime

import pytest

from social_crm.extract import brands
from social_crm.extract.instagram import InstagramAccount, InstagramExtractor, InstagramSettings
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.receive.changes import change_record
from social_crm_dev import identity_quality
from tests.end_to_end.conftest import extracted_copy, land_crm_export, nightly_build, world_now

pytestmark = pytest.mark.integration

MENTION = "1899999999999999991"  # another person's comment @mentioning the erased customer


def _webhook_record(change: tuple) -> RawRecord:
    """A change as the webhook receiver lands it (receive/changes.py)."""
    obj, entry_id, field, value, at = change
    return change_record(
        {"object": obj, "entry_id": entry_id, "time": at, "field": field, "value": value}
    )


def _rewrite(path, change) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    fields, rows = change(fields, rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def _two_known_commenters(truth) -> tuple[dict, dict]:
    """The two customers the CRM knows on Instagram with the most comments, neither excluded
    by the world already: (the one to erase, the one to opt out), each a truth profile row."""
    crm = truth.folder / "crm"
    excluded = {r["customer_id"] for r in csv.DictReader(open(crm / "erasure_requests.csv"))}
    excluded |= {
        r["customer_id"]
        for r in csv.DictReader(open(crm / "customers.csv"))
        if r["profiling_opt_out"] == "true"
    }
    comments = Counter(r["username"].lower() for r in truth.rows("instagram_comments.csv"))
    known = [
        p
        for p in truth.rows("instagram_profiles.csv")
        if p["link_method"] == "known" and p["customer_id"] not in excluded
    ]
    known.sort(key=lambda p: (-comments[p["profile_id"]], p["profile_id"]))
    assert len(known) >= 2 and comments[known[1]["profile_id"]] > 0
    return known[0], known[1]


@pytest.fixture(scope="module")
def built(extracted_once, warehouse_url, tmp_path_factory):
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        now = world_now(pipeline.sim)
        world = pipeline.sim.world
        with pipeline.connect() as conn, LandingBatch(conn, "webhook", "events") as batch:
            for change in world.instagram_webhook_changes(0, world.clock + 1):
                batch.add(_webhook_record(change))
        tracked = [b for b in brands.load() if b.instagram_user_id]
        extractor = InstagramExtractor(
            pipeline.fb_client,
            pipeline.connect,
            InstagramSettings(
                own=tuple(
                    InstagramAccount(b.instagram_user_id, b.instagram_username)
                    for b in tracked
                    if b.is_ours
                ),
                rivals=tuple(
                    InstagramAccount(b.instagram_user_id, b.instagram_username)
                    for b in tracked
                    if not b.is_ours
                ),
                lookback_days=60,
                page_size=25,
            ),
        )
        extractor.accounts()
        extractor.media()
        extractor.rivals()
        erased, opted_out = _two_known_commenters(truth)
        # another person's comment naming the erased customer, and the webhook change of it
        other = next(
            r
            for r in truth.rows("instagram_comments.csv")
            if r["kind"] == "comment"
            and r["username"].lower() != erased["profile_id"]
            and r["customer_id"] not in (erased["customer_id"], opted_out["customer_id"])
        )
        at = datetime.fromisoformat(other["created_at"].replace("Z", "+00:00"))
        text = f"@{erased['username']} you have to try this, @{other['username']} agrees"
        payload = {
            "id": MENTION,
            "text": text,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "username": other["username"],
            "from": {"id": "6199999999999999", "username": other["username"]},
            "like_count": 0,
            "hidden": False,
        }
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            batch.add(RawRecord(MENTION, payload, other["media_id"], at))
        with pipeline.connect() as conn, LandingBatch(conn, "webhook", "events") as batch:
            batch.add(
                _webhook_record(
                    (
                        "instagram",
                        tracked[0].instagram_user_id,
                        "comments",
                        {
                            "id": MENTION,
                            "text": text,
                            "from": payload["from"],
                            "media": {"id": other["media_id"], "media_product_type": "FEED"},
                        },
                        int(at.timestamp()),
                    )
                )
            )
        crm = truth.folder / "crm"
        _rewrite(
            crm / "erasure_requests.csv",
            lambda f, rows: (
                f,
                [
                    *rows,
                    {
                        "customer_id": erased["customer_id"],
                        "requested_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                ],
            ),
        )
        _rewrite(
            crm / "customers.csv",
            lambda f, rows: (
                f,
                [
                    r | {"profiling_opt_out": "true"}
                    if r["customer_id"] == opted_out["customer_id"]
                    else r
                    for r in rows
                ],
            ),
        )
        with pipeline.connect() as conn:
            before = {
                k: p
                for k, p in conn.execute("select natural_key, payload from raw.instagram_comments")
            }
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly_build(as_of=now)
        yield pipeline, truth, erased, opted_out, before


def _ids_of(person: dict) -> tuple[str, str]:
    return person["profile_id"], person["ig_scoped_id"]


def test_the_erased_customers_instagram_rows_are_gone_from_raw(built):
    pipeline, _, erased, _, before = built
    username, igsid = _ids_of(erased)
    assert any((p.get("from") or {}).get("id") == igsid for p in before.values())
    left = pipeline.rows(
        "select 'comments', natural_key from raw.instagram_comments"
        " where lower(coalesce(payload -> 'from' ->> 'username', payload ->> 'username')) = %s"
        " or payload -> 'from' ->> 'id' = %s"
        " union all select 'media', natural_key from raw.instagram_media"
        " where lower(payload ->> 'username') = %s"
        " union all select 'webhook', natural_key from raw.webhook_events"
        " where lower(payload -> 'value' -> 'from' ->> 'username') = %s"
        " or payload -> 'value' -> 'from' ->> 'id' = %s",
        username,
        igsid,
        username,
        username,
        igsid,
    )
    assert left == []


def test_webhook_changes_about_the_erased_customers_items_are_gone(built):
    pipeline, _, erased, _, before = built
    username, igsid = _ids_of(erased)
    theirs = [
        k
        for k, p in before.items()
        if (p.get("from") or {}).get("id") == igsid or (p.get("username") or "").lower() == username
    ]
    assert theirs
    left = pipeline.rows(
        "select natural_key from raw.webhook_events where payload -> 'value' ->> 'id' = any(%s)"
        " or payload -> 'value' ->> 'comment_id' = any(%s)",
        theirs,
        theirs,
    )
    assert left == []


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("staging.stg_instagram__comments", "profile_id"),
        ("staging.stg_instagram__comments", "ig_scoped_id"),
        ("staging.stg_instagram__media", "profile_id"),
        ("intermediate.int_engagements_unified", "profile_id"),
        ("intermediate.int_people_profiles", "profile_id"),
        ("intermediate.int_social_profiles", "profile_id"),
    ],
)
def test_the_erased_customers_instagram_rows_are_gone_from_the_models(built, table, column):
    pipeline, _, erased, _, _ = built
    username, igsid = _ids_of(erased)
    assert (
        pipeline.rows(
            f"select 1 from {table} where {column} in (%s, %s)",  # noqa: S608
            username,
            igsid,
        )
        == []
    )


@pytest.mark.parametrize("schema", ["marts_build", "marts"])
@pytest.mark.parametrize(
    ("mart", "column"),
    [
        ("engagements", "customer_id"),
        ("people", "customer_id"),
        ("customer_messages", "person_id"),
        ("open_conversations", "customer_id"),
    ],
)
def test_the_erased_customer_is_in_no_mart(built, schema, mart, column):
    pipeline, _, erased, _, _ = built
    rows = pipeline.rows(
        f"select 1 from {schema}.{mart} where {column} in (%s, %s)",  # noqa: S608
        erased["customer_id"],
        f"prospect:instagram:{erased['profile_id']}",
    )
    assert rows == []


def test_another_persons_comment_naming_them_keeps_its_text_without_their_username(built):
    pipeline, _, erased, _, _ = built
    (raw,) = pipeline.rows(
        "select payload ->> 'text' from raw.instagram_comments where natural_key = %s", MENTION
    )
    (event,) = pipeline.rows(
        "select payload -> 'value' ->> 'text' from raw.webhook_events"
        " where payload -> 'value' ->> 'id' = %s",
        MENTION,
    )
    (staged,) = pipeline.rows(
        "select comment_text from staging.stg_instagram__comments where comment_id = %s", MENTION
    )
    kept = pipeline.rows(
        "select message_text from intermediate.int_engagements_unified where engagement_id = %s"
        " union all select message_text from intermediate.int_messages_answered"
        " where message_id = %s",
        MENTION,
        MENTION,
    )
    for text in (raw[0], event[0], staged[0], *(k[0] for k in kept)):
        assert text.startswith("@[erased] you have to try this, @")
        assert erased["username"].lower() not in text.lower()


def test_nothing_of_anyone_else_on_instagram_is_erased(built):
    """Every comment landed before the night is still there, but the erased people's (this
    request's and the world's), the brand's replies to them and what privacy counted as
    maybe theirs (the erasure log's profiles): measured, and none here."""
    pipeline, truth, _, _, before = built
    erased_customers = {r[0] for r in pipeline.rows("select customer_id from meta.erasure_log")}
    truth_owner = {r["comment_id"]: r["customer_id"] for r in truth.rows("instagram_comments.csv")}
    parents = {k: p.get("parent_id") for k, p in before.items()}
    after = {r[0] for r in pipeline.rows("select natural_key from raw.instagram_comments")}
    gone = set(before) - after
    others = {
        k
        for k in gone
        if truth_owner.get(k) not in erased_customers
        and truth_owner.get(parents.get(k) or "") not in erased_customers
    }
    print(f"instagram erasure: {len(gone)} comments erased, {len(others)} of other people")
    assert gone and others == set()


def test_the_opted_out_customers_instagram_profile_leaves_the_detail_marts(built):
    pipeline, _, _, opted_out, _ = built
    key = f"instagram:{opted_out['profile_id']}"
    (excluded,) = pipeline.rows(
        "select is_excluded_from_details from intermediate.int_people_profiles"
        " where profile_key = %s",
        key,
    )
    assert excluded == (True,)
    for mart, column in (("engagements", "customer_id"), ("people", "customer_id")):
        rows = pipeline.rows(
            f"select 1 from marts.{mart} where {column} in (%s, %s)",  # noqa: S608
            opted_out["customer_id"],
            f"prospect:{key}",
        )
        assert rows == [], mart


def test_the_instagram_accounts_the_crm_knows_link_to_their_customers(built):
    pipeline, truth, erased, _, _ = built
    seen = {
        r[0]
        for r in pipeline.rows(
            "select profile_id from intermediate.int_social_profiles where platform = 'instagram'"
        )
    }
    known = {
        f"instagram:{p['profile_id']}": p["customer_id"]
        for p in truth.rows("instagram_profiles.csv")
        if p["link_method"] == "known" and p["profile_id"] in seen
    }
    links = dict(
        pipeline.rows(
            "select profile_key, customer_id from intermediate.int_identity_links"
            " where match_method like 'known:%%' and profile_key like 'instagram:%%'"
        )
    )
    assert known and links == known


def test_the_models_instagram_recall_and_precision_against_the_truth(built):
    pipeline, truth, _, _, _ = built
    with pipeline.connect() as conn:
        instagram = identity_quality.measure(conn, truth.folder, platform="instagram")
        every = identity_quality.measure(conn, truth.folder)
    print("identity on instagram: " + "; ".join(instagram.lines()))
    print("identity on every platform: " + "; ".join(every.lines()))
    assert instagram.precision >= 0.98
    assert every.precision >= 0.98
