"""Instagram in the marts, against the simulator's truth: one small world (Facebook, X and
Instagram) extracted through the real extractors (Instagram's @mentions announced by the
world's webhook changes, landed into raw.webhook_events as the receiver lands them), built and
published by the nightly run once per module; every Instagram figure of the marts compared
with the truth CSVs. The incremental test changes a copy."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from social_crm.extract import brands
from social_crm.extract.instagram import InstagramAccount, InstagramExtractor, InstagramSettings
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.orchestration import nightly
from tests.end_to_end.conftest import (
    copy_of,
    extracted_copy,
    land_crm_export,
    left_unchanged,
    nightly_build,
    world_now,
)

pytestmark = pytest.mark.integration

BRAND_OF_USERNAME = {b.instagram_username: b.key for b in brands.load()}
OUR_USERNAME, OUR_IG = "fjordbrew", "17841400000000001"


def land_webhook_changes(pipeline, start: int, end: int) -> int:
    """The world's Instagram webhook changes of [start, end) landed into raw.webhook_events as
    the receiver lands them (the spec's record: natural key the sha256 of the canonical JSON of
    object, entry id, field and value)."""
    changes = pipeline.sim.world.instagram_webhook_changes(start, end)
    with pipeline.connect() as conn, LandingBatch(conn, "webhook", "events") as batch:
        for obj, entry, field, value, at in changes:
            canonical = json.dumps(
                {"object": obj, "entry_id": entry, "field": field, "value": value},
                sort_keys=True,
                separators=(",", ":"),
            )
            payload = {"object": obj, "entry_id": entry, "time": at, "field": field}
            batch.add(
                RawRecord(
                    hashlib.sha256(canonical.encode()).hexdigest(),
                    {**payload, "value": value},
                    scope_key=f"{obj}:{entry}",
                    event_at=datetime.fromtimestamp(at, UTC),
                )
            )
    return len(changes)


def extract_instagram(pipeline) -> None:
    """Every Instagram entity the marts read, through the extractor, as the DAG runs it."""
    tracked = brands.load()
    settings = InstagramSettings(
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
        lookback_days=20,
        page_size=50,
    )
    extractor = InstagramExtractor(pipeline.fb_client, pipeline.connect, settings)
    extractor.accounts()
    extractor.account_insights()
    extractor.media()
    extractor.rivals()


@pytest.fixture(scope="module")
def instagram_built(extracted_once, warehouse_url, tmp_path_factory):
    """(pipeline, truth), everything extracted, built and published once."""
    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        land_webhook_changes(pipeline, 0, pipeline.sim.world.clock + 1)
        extract_instagram(pipeline)
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly_build(as_of=world_now(pipeline.sim))
        with left_unchanged(pipeline):
            yield pipeline, truth


class IgTruth:
    """The simulator's Instagram truth, read from its CSVs (truth.py: truth/instagram_*.csv),
    less what the nightly run erased: the messages and media of the profiles of erased
    customers (erasures.csv) and of every profile the erasure step logged as possibly theirs
    (meta.erasure_log; its own tests check that set). A comment mention names no author (the
    API gives none), so no erasure reaches it. A media that both tags and @mentions our
    account is both, a tag and a mention, whatever order the walks read it in."""

    def __init__(self, truth, erased_profiles: set[str]) -> None:
        self.truth = truth
        profiles = truth.rows("instagram_profiles.csv")
        erased_customers = {e["customer_id"] for e in truth.rows("erasures.csv")}
        erased_people = {
            p["person_id"]
            for p in profiles
            if p["customer_id"] in erased_customers or p["profile_id"] in erased_profiles
        }
        self.profile_of = {p["person_id"]: p["profile_id"] for p in profiles}
        self.comments = [
            c
            for c in truth.rows("instagram_comments.csv")
            if c["brand"] == "ours" and c["person_id"] not in erased_people
        ]
        self.mentions = [
            m
            for m in truth.rows("instagram_mentions.csv")
            if m["brand"] == "ours"
            and (m["kind"] == "comment" or m["person_id"] not in erased_people)
        ]
        self.tags = [
            t
            for t in truth.rows("instagram_tags.csv")
            if t["brand"] == "ours" and t["person_id"] not in erased_people
        ]

    def engagements_per_profile(self) -> Counter:
        """(profile id or None, engagement type) -> count: what people did to our brand."""
        found: Counter = Counter()
        for c in self.comments:
            if c["kind"] in ("comment", "reply"):
                found[(c["username"].lower(), c["kind"])] += 1
        for m in self.mentions:
            who = self.profile_of.get(m["person_id"]) if m["kind"] == "caption" else None
            found[(who, "mention")] += 1
        for t in self.tags:
            found[(self.profile_of[t["person_id"]], "tag")] += 1
        return found

    def messages(self) -> dict[str, tuple[datetime, int | None]]:
        """Each message to our brand -> (when written, seconds to our first answer or None)."""
        found = {
            c["comment_id"]: (
                _moment(c["created_at"]),
                int(c["first_response_seconds"]) if c["first_response_seconds"] else None,
            )
            for c in self.comments
            if c["kind"] in ("comment", "reply")
        }
        for m in self.mentions:
            key = m["comment_id"] if m["kind"] == "comment" else m["media_id"]
            found[key] = (_moment(m["created_at"]), None)
        return found

    def followers(self) -> dict[tuple[str, str], int]:
        return {
            (d["brand"], d["date"]): int(d["followers"])
            for d in self.truth.rows("instagram_account_days.csv")
        }

    def share_of_voice(self) -> dict[tuple[str, str], float]:
        """(brand, UTC day) -> its share of the likes and comments on the media the tracked
        brands published that day."""
        per: Counter = Counter()
        for m in self.truth.rows("instagram_media.csv"):
            if m["scope"] in ("own", "rival"):
                day = m["created_at"][:10]
                per[(m["brand"], day)] += int(m["like_count"]) + int(m["comments_count"])
        days: Counter = Counter()
        for (_, day), n in per.items():
            days[day] += n
        return {
            (brand, day): round(per[(brand, day)] / total, 6)
            for day, total in days.items()
            if total
            for brand in ("ours", "rival_a", "rival_b")
        }


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def ig_truth(instagram_built) -> IgTruth:
    pipeline, truth = instagram_built
    erased = pipeline.rows("select distinct unnest(profile_ids) from meta.erasure_log")
    return IgTruth(truth, {r[0] for r in erased})


def test_instagram_engagements_per_profile_equal_the_truth(instagram_built, ig_truth):
    pipeline, _ = instagram_built
    rows = pipeline.rows(
        "select profile_id, engagement_type, count(*) from intermediate.int_engagements_unified"
        " where platform = 'instagram' and brand_key = 'ours' group by 1, 2"
    )
    assert Counter({(p, t): n for p, t, n in rows}) == ig_truth.engagements_per_profile()


def test_the_engagements_mart_holds_every_instagram_engagement_of_a_person_in_view(
    instagram_built,
):
    """Each Instagram engagement of a profile not excluded from details (an opted-out or
    erased customer's is not; a comment mention names nobody), as its person's."""
    pipeline, _ = instagram_built
    expected = pipeline.rows(
        "select e.engagement_id, p.person_id from intermediate.int_engagements_unified as e"
        " inner join intermediate.int_people_profiles as p"
        "  on p.profile_key = 'instagram:' || e.profile_id"
        " where e.platform = 'instagram' and not p.is_excluded_from_details"
    )
    found = pipeline.rows(
        "select engagement_id, person_id from marts.engagements where platform = 'instagram'"
    )
    assert expected
    assert set(found) == set(expected)


def test_instagram_response_times_equal_the_truth(instagram_built, ig_truth):
    pipeline, _ = instagram_built
    rows = pipeline.rows(
        "select message_id, occurred_at, first_response_seconds"
        " from intermediate.int_messages_answered where platform = 'instagram'"
    )
    assert {m: (at, s) for m, at, s in rows} == ig_truth.messages()


def test_customer_messages_give_instagram_messages_their_truth_response_time(
    instagram_built, ig_truth
):
    pipeline, _ = instagram_built
    rows = pipeline.rows(
        "select message_id, first_response_seconds from marts.customer_messages"
        " where channel = 'instagram'"
    )
    truth = ig_truth.messages()
    assert rows
    assert {m: s for m, s in rows} == {m: truth[m][1] for m, _ in rows}


def test_open_conversations_hold_the_unanswered_instagram_messages_of_the_window(
    instagram_built, ig_truth
):
    pipeline, _ = instagram_built
    since = world_now(pipeline.sim) - timedelta(days=7)  # queue_max_age_days
    waiting = {m for m, (at, s) in ig_truth.messages().items() if s is None and at > since}
    rows = pipeline.rows(
        "select message_id from marts.open_conversations where channel = 'instagram'"
    )
    assert waiting
    assert {r[0] for r in rows} == waiting


def test_an_open_instagram_message_links_to_it_as_instagram_forms_links(instagram_built):
    """A comment: `<its media's permalink>c/<comment id>/`, a reply
    `<permalink>c/<its comment's id>/r/<reply id>/`; a caption mention: its media's permalink
    (the permalinks as the API gave them). A mention comment on an erased person's media links
    to Instagram alone: erasure took the link to their post."""
    pipeline, _ = instagram_built
    permalinks = dict(
        pipeline.rows("select natural_key, payload->>'permalink' from raw.instagram_media")
    )
    comments = {
        key: (payload, scope)
        for key, payload, scope in pipeline.rows(
            "select natural_key, payload, scope_key from raw.instagram_comments"
        )
    }

    def link(message: str) -> str:
        if message not in comments:
            return permalinks[message]
        payload, scope = comments[message]
        media = payload.get("media") or {}
        if scope.startswith("mentions:") and "permalink" not in media:
            return "https://www.instagram.com/"
        base = media.get("permalink") or permalinks[payload.get("media_id") or scope]
        parent = payload.get("parent_id")
        thread = f"c/{parent}/r/{message}/" if parent else f"c/{message}/"
        return f"{base.rstrip('/')}/{thread}"

    rows = pipeline.rows(
        "select message_id, message_url from marts.open_conversations where channel = 'instagram'"
    )
    assert any(m in comments for m, _ in rows) and any(m not in comments for m, _ in rows)
    assert dict(rows) == {m: link(m) for m, _ in rows}


def test_instagram_messages_per_local_day_equal_the_truth(instagram_built, ig_truth):
    pipeline, _ = instagram_built
    oslo = ZoneInfo("Europe/Oslo")  # our Instagram service hours' time zone (seed)
    expected = Counter(at.astimezone(oslo).date() for at, _ in ig_truth.messages().values())
    rows = pipeline.rows(
        "select message_date, sum(messages) from marts.brand_response_times_daily"
        " where channel = 'instagram' and brand_key = 'ours' group by 1"
    )
    assert Counter(dict(rows)) == expected


def test_instagram_followers_per_day_equal_the_truth(instagram_built, ig_truth):
    pipeline, _ = instagram_built
    rows = pipeline.rows(
        "select brand_key, metric_date::text, instagram_followers from marts.brand_daily_metrics"
        " where instagram_followers is not null"
    )
    truth = ig_truth.followers()
    assert len(rows) == 3  # each account read once: today
    assert {(b, d): n for b, d, n in rows} == {(b, d): truth[(b, d)] for b, d, _ in rows}


def test_instagram_share_of_voice_per_day_equals_the_truth(instagram_built, ig_truth):
    pipeline, _ = instagram_built
    rows = pipeline.rows(
        "select brand_key, metric_date::text, instagram_share_of_voice::float"
        " from marts.brand_daily_metrics where instagram_share_of_voice is not null"
    )
    assert {(b, d): s for b, d, s in rows} == ig_truth.share_of_voice()


INSTAGRAM_ROWS = {
    "engagements": "platform = 'instagram'",
    "customer_messages": "channel = 'instagram'",
    "open_conversations": "channel = 'instagram'",
    "brand_response_times_daily": "channel = 'instagram'",
    "brand_daily_metrics": "true",
}
RUN_COLUMNS = ["merged_at", "measured_at", "as_of"]
OURS = next(b.instagram_user_id for b in brands.load() if b.is_ours)
TAGGED = (
    "select engagement_id, engagement_type from intermediate.int_engagements_unified"
    " where split_part(engagement_id, ':', 1) = %s"
)


def _instagram_rows(pipeline) -> dict[str, set]:
    """Each mart's Instagram rows in marts_build, without the run's own columns."""
    found = {}
    for table, where in INSTAGRAM_ROWS.items():
        columns = [
            c
            for (c,) in pipeline.rows(
                "select column_name from information_schema.columns where table_schema ="
                " 'marts_build' and table_name = %s and column_name <> all(%s)"
                " order by ordinal_position",
                table,
                RUN_COLUMNS,
            )
        ]
        found[table] = set(
            pipeline.rows(f"select {', '.join(columns)} from marts_build.{table} where {where}")  # noqa: S608
        )
    return found


def test_an_incremental_build_equals_a_full_refresh_with_instagram_rows(
    instagram_built, warehouse_url, tmp_path
):
    """On a copy: our reply to an open comment, a new comment, a comment deleted at the source
    (confirmed by a lookup), merged by an incremental nightly run, give the rows a full
    refresh gives."""
    with copy_of(instagram_built, warehouse_url, tmp_path / "copy") as (pipeline, _):
        now = world_now(pipeline.sim)
        (open_id, media_id), (gone_id, _) = pipeline.rows(
            "select c.comment_id, c.media_id from staging.stg_instagram__comments as c"
            " inner join marts.open_conversations as o on o.message_id = c.comment_id"
            " where c.parent_comment_id is null and not c.is_mention"
            " order by c.comment_id limit 2"
        )
        stamp = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        reply = {
            "id": "18999999999999991",
            "text": "@you thanks!",
            "timestamp": stamp,
            "username": "fjordbrew",
            "from": {"id": "17841400000000001", "username": "fjordbrew"},
            "parent_id": open_id,
            "media": {"id": media_id},
        }
        new = {
            "id": "18999999999999992",
            "text": "Is the shop open on Sunday?",
            "timestamp": stamp,
            "username": "new.person",
            "from": {"id": "1899", "username": "new.person"},
            "media": {"id": media_id},
        }
        tagged = {
            "id": "18999999999999993",
            "caption": "Sunday coffee with @fjordbrew.",
            "media_type": "IMAGE",
            "media_product_type": "FEED",
            "permalink": "https://www.instagram.com/p/Tagged1/",
            "timestamp": stamp,
            "username": "new.person",
            "like_count": 3,
            "comments_count": 0,
        }
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            for payload in (reply, new):
                batch.add(RawRecord(payload["id"], payload, media_id, now - timedelta(minutes=5)))
            batch.confirmed_gone({gone_id})
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "media") as batch:
            batch.add(RawRecord(tagged["id"], tagged, f"tags:{OURS}", now - timedelta(minutes=5)))
        nightly.run_all(as_of=now, until="dbt_marts")  # what the marts_build tables hold
        # a media read as a tag whose caption @mentions us: a tag and a mention
        assert set(pipeline.rows(TAGGED, tagged["id"])) == {
            ("18999999999999993", "tag"),
            ("18999999999999993:mention", "mention"),
        }
        # the next night it is gone at the source: both leave
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "media") as batch:
            batch.confirmed_gone({tagged["id"]})
        nightly.run_all(as_of=now, until="dbt_marts")
        assert pipeline.rows(TAGGED, tagged["id"]) == []
        incremental = _instagram_rows(pipeline)
        nightly.run_all(as_of=now, full_refresh=True, until="dbt_marts")
        assert _instagram_rows(pipeline) == incremental
        messages = {m for m, *_ in incremental["customer_messages"]} | {
            m for m, *_ in incremental["open_conversations"]
        }
        assert open_id not in {m for m, *_ in incremental["open_conversations"]}
        assert gone_id not in messages
        assert "18999999999999992" in {m for m, *_ in incremental["open_conversations"]}


# --- what the real API does that the simulator's world never does (outside attacks) -----


def test_a_persons_reply_the_brand_answers_in_its_thread_is_answered(
    instagram_built, warehouse_url, tmp_path
):
    """Instagram threads are one level deep: "You can only reply to top-level comments;
    replies to a reply will be added to the top-level comment" (developers.facebook.com/docs/
    instagram-platform/instagram-graph-api/reference/ig-comment/replies). A person replies in a
    thread; the brand answers them there, as everyone does: `@<them> ...`, whose `parent_id` is
    the thread's top-level comment. The simulator's brand answers top-level comments only
    (kinder). int_messages_answered reads an answer's parent as what it answers: the person's
    reply stays unanswered (in the open conversations queue, without a response time)."""
    with copy_of(instagram_built, warehouse_url, tmp_path / "copy") as (pipeline, _):
        as_of = world_now(pipeline.sim)
        # a person's reply in a thread, in the engagements (so: a message of a person in view)
        reply, author, top, media, at = pipeline.rows(
            "select c.comment_id, c.author_username, c.parent_comment_id, c.media_id,"
            " c.created_at from staging.stg_instagram__comments c"
            " join intermediate.int_messages_answered a on a.message_id = c.comment_id"
            " where c.parent_comment_id is not null and not c.is_by_brand"
            " and a.answered_at is null and c.created_at < %s"
            " order by c.created_at desc limit 1",
            as_of - timedelta(hours=2),
        )[0]
        answer_at: datetime = at + timedelta(minutes=20)
        answer = "18999999999999999"
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            batch.add(
                RawRecord(
                    answer,
                    {
                        "id": answer,
                        "text": f"@{author} thanks, we'll send you a new one!",
                        "timestamp": answer_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "username": OUR_USERNAME,
                        "from": {"id": OUR_IG, "username": OUR_USERNAME},
                        "like_count": 0,
                        "parent_id": top,  # the API's: the thread's top-level comment
                        "hidden": False,
                        "media_id": media,
                    },
                    media,
                    answer_at,
                )
            )
        nightly_build(as_of=as_of)
        # the brand's answer is staged as the brand's, in the person's thread
        assert pipeline.rows(
            "select is_by_brand, parent_comment_id from staging.stg_instagram__comments"
            " where comment_id = %s",
            answer,
        ) == [(True, top)]
        ((answered,),) = pipeline.rows(
            "select answered_at from intermediate.int_messages_answered where message_id = %s",
            reply,
        )
        assert answered == answer_at


def test_an_opted_out_customer_who_renamed_stays_out_of_the_detail_marts(
    instagram_built, warehouse_url, tmp_path
):
    """A customer the CRM knows on Instagram opts out of profiling; later they rename their
    account (Instagram lets anyone, the IGSID stays: docs/real-apis.md; the simulator's worlds
    have no renames) and comment again. Erasure follows the IGSID to the new username
    (privacy/erasure.py); the opt-out does not: their new comment is in marts.engagements.
    (A new name like `<old>.new` is caught by the record linkage model's name similarity; a
    new name with nothing of the old one is not.)"""
    from tests.end_to_end.test_instagram_people import _rewrite, _two_known_commenters

    with copy_of(instagram_built, warehouse_url, tmp_path / "copy") as (pipeline, truth):
        _, opted_out = _two_known_commenters(truth)
        old = opted_out["profile_id"]
        igsid, media, at = pipeline.rows(
            "select payload -> 'from' ->> 'id', scope_key, event_at from raw.instagram_comments"
            " where lower(payload ->> 'username') = %s and payload ? 'from'"
            " order by event_at desc limit 1",
            old,
        )[0]
        new = "qwxz_8842"  # a new name with nothing of the old one
        _rewrite(
            truth.folder / "crm" / "customers.csv",
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
        comment = "18999999999999998"
        later = at + timedelta(minutes=5)
        with pipeline.connect() as conn, LandingBatch(conn, "instagram", "comments") as batch:
            batch.add(
                RawRecord(
                    comment,
                    {
                        "id": comment,
                        "text": "still my favourite roast",
                        "timestamp": later.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "username": new,
                        "from": {"id": igsid, "username": new},
                        "like_count": 0,
                        "hidden": False,
                    },
                    media,
                    later,
                )
            )
        land_crm_export(pipeline.connect, truth)
        nightly_build(as_of=world_now(pipeline.sim))
        in_details = {
            e
            for (e,) in pipeline.rows(
                "select e.engagement_id from marts.engagements e"
                " join staging.stg_instagram__comments c on c.comment_id = e.engagement_id"
                " where c.ig_scoped_id = %s",
                igsid,
            )
        }
        # their comments under the old username are out (the opt-out works) ...
        assert (
            pipeline.rows(
                "select count(*) from staging.stg_instagram__comments where ig_scoped_id = %s",
                igsid,
            )[0][0]
            > 1
        )
        # ... and so must be the one under their new username
        assert in_details == set()
