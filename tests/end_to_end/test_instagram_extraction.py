"""Instagram extraction against the simulator (real HTTP) into a real PostgreSQL database:
one small world, extracted once for the module (the webhook `mentions` changes landed in
raw.webhook_events first, as the receiver lands them), compared with the simulator's truth;
then what a rerun, a deletion, a transient blip, the hashtag limit and a missing permission
do to it. Tests that change the simulator put it back."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from social_crm.extract import brands
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient
from social_crm.extract.instagram import (
    HASHTAG_LIMIT,
    InstagramAccount,
    InstagramExtractor,
    InstagramSettings,
    PermissionMissing,
)
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import WORLD_START
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.instagram import HASHTAGS
from social_crm_dev.simulator.instagram_api import IG_PERMISSIONS
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database, new_database
from tests.end_to_end.conftest import FAST_RETRY, WORLD, Truth, test_x_profile, truth_of

# the test world, with enough people's media that the last day has some for our hashtags
IG_WORLD = dataclasses.replace(WORLD, ig_people_media_per_day=600.0)
TRACKED = [b for b in brands.load() if b.instagram_user_id]
OURS = next(b for b in TRACKED if b.is_ours)
IG = OURS.instagram_user_id


class Instagram:
    """The Instagram extractor of the brand's token against `sim`, into `db`."""

    def __init__(self, sim: SimulatorServer, db, **settings) -> None:
        self.sim, self.db = sim, db
        self.settings = InstagramSettings(
            own=(InstagramAccount(IG, OURS.instagram_username),),
            rivals=tuple(
                InstagramAccount(b.instagram_user_id, b.instagram_username)
                for b in TRACKED
                if not b.is_ours
            ),
            **{"hashtags": HASHTAGS, "lookback_days": 60, "page_size": 25, **settings},
        )

    def extractor(self, **changes) -> InstagramExtractor:
        client = ApiClient(
            "instagram_graph",
            self.sim.url,
            self.sim.fb_token,
            policy=GraphPolicy(),
            api_version=GRAPH_API_VERSION,
            retry=FAST_RETRY,
        )
        return InstagramExtractor(client, self.connect, replace(self.settings, **changes))

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.db.libpq())

    def run(self, **changes) -> list:
        extractor = self.extractor(**changes)
        try:
            results = [extractor.accounts(), extractor.account_insights()]
            results += extractor.media()
            results.append(extractor.media_insights())
            results += extractor.rivals()
            results.append(extractor.hashtags())
            extractor.finish()
            return results
        finally:
            extractor.client.close()

    def alive(self, table: str, where: str = "true") -> set[str]:
        with self.connect() as conn:
            rows = conn.execute(
                f"select natural_key from (select distinct on (natural_key) * from raw.{table}"  # noqa: S608
                f" order by natural_key, ingest_seq desc) v where not is_deleted and {where}"
            ).fetchall()
        return {row[0] for row in rows}

    def scalar(self, query: str, *params):
        with self.connect() as conn:
            return conn.execute(query, params or None).fetchone()[0]


def land_webhook_changes(connect, world: World) -> int:
    """What the receiver lands for the world's Instagram changes: one raw.webhook_events row
    per change, keyed by the sha256 of its canonical (object, entry_id, field, value)."""
    changes = world.instagram_webhook_changes(0, world.clock + 1)
    with connect() as conn, LandingBatch(conn, "webhook", "events") as batch:
        for obj, entry_id, field, value, time in changes:
            canonical = json.dumps(
                [obj, entry_id, field, value], sort_keys=True, separators=(",", ":")
            )
            payload = {
                "object": obj,
                "entry_id": entry_id,
                "time": time,
                "field": field,
                "value": value,
            }
            batch.add(
                RawRecord(
                    hashlib.sha256(canonical.encode()).hexdigest(),
                    payload,
                    scope_key=f"{obj}:{entry_id}",
                    event_at=datetime.fromtimestamp(time, UTC),
                )
            )
    return len(changes)


@pytest.fixture(scope="module")
def world(warehouse_url, tmp_path_factory) -> Iterator[tuple[Instagram, Truth]]:
    with (
        SimulatorServer(World(IG_WORLD), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        instagram = Instagram(sim, db)
        land_webhook_changes(instagram.connect, sim.world)
        instagram.run()
        yield instagram, truth_of(sim, tmp_path_factory.mktemp("ig_truth"))


@contextmanager
def faults(sim: SimulatorServer, **config) -> Iterator[None]:
    sim.faults.configure(FaultConfig(**config))
    try:
        yield
    finally:
        sim.faults.configure(FaultConfig())


def _rows(truth: Truth, name: str, **equal) -> list[dict]:
    return [r for r in truth.rows(name) if all(r[k] == v for k, v in equal.items())]


def test_our_media_land_as_the_truth_has_them(world):
    instagram, truth = world
    expected = {r["media_id"] for r in _rows(truth, "instagram_media.csv", scope="own")}
    assert instagram.alive("instagram_media", f"scope_key = 'own:{IG}'") == expected != set()


def test_every_comment_and_reply_on_our_media_lands(world):
    instagram, truth = world
    expected = {
        r["comment_id"]
        for r in truth.rows("instagram_comments.csv")
        if r["kind"] in ("comment", "reply", "brand_reply")
    }
    landed = instagram.alive("instagram_comments", "scope_key not like 'mentions:%'")
    assert landed == expected != set()


def test_each_reply_names_its_media(world):
    instagram, truth = world
    with instagram.connect() as conn:
        rows = conn.execute(
            "select payload->>'media_id', scope_key from raw.instagram_comments"
            " where payload ? 'parent_id'"
        ).fetchall()
    assert rows and all(media == scope for media, scope in rows)


def test_the_comments_mentioning_us_land_without_an_author(world):
    instagram, truth = world
    expected = {
        r["comment_id"]
        for r in _rows(truth, "instagram_mentions.csv", brand=OURS.key, kind="comment")
    }
    landed = instagram.alive("instagram_comments", f"scope_key = 'mentions:{IG}'")
    assert landed == expected != set()
    assert not instagram.scalar(
        "select count(*) from raw.instagram_comments where scope_key like 'mentions:%'"
        " and (payload ? 'from' or payload ? 'username')"
    )


def test_the_media_tagging_or_mentioning_us_land(world):
    instagram, truth = world
    tagged = {r["media_id"] for r in _rows(truth, "instagram_tags.csv", brand=OURS.key)}
    captions = {
        r["media_id"]
        for r in _rows(truth, "instagram_mentions.csv", brand=OURS.key, kind="caption")
    }
    landed = instagram.alive("instagram_media", "scope_key ~ '^(tags|mentions):'")
    assert landed == tagged | captions and tagged and captions


def test_every_webhook_mention_is_read_once(world):
    instagram, _ = world
    changes = instagram.scalar(
        "select count(*) from raw.webhook_events where payload->>'field' = 'mentions'"
    )
    read = instagram.scalar(
        "select count(*) from meta.webhook_changes_read r join raw.webhook_events e"
        " using (natural_key) where e.payload->>'field' = 'mentions'"
    )
    assert read == changes > 0


def test_the_rivals_media_land_in_their_scope(world):
    instagram, truth = world
    for rival in (b for b in TRACKED if not b.is_ours):
        expected = {
            r["media_id"]
            for r in _rows(truth, "instagram_media.csv", scope="rival", brand=rival.key)
        }
        landed = instagram.alive(
            "instagram_media", f"scope_key = 'rival:{rival.instagram_user_id}'"
        )
        assert landed == expected != set(), rival.key


def test_the_last_days_media_of_our_hashtags_land(world):
    instagram, truth = world
    now = WORLD_START + timedelta(seconds=instagram.sim.world.clock)
    recent = {
        r["media_id"]
        for r in truth.rows("instagram_hashtag_media.csv")
        if r["hashtag"] in HASHTAGS
        and datetime.fromisoformat(r["created_at"]) > now - timedelta(days=1)
    }
    by_hashtag = instagram.alive("instagram_media", "scope_key like 'hashtag:%'")
    assert by_hashtag <= recent and recent <= instagram.alive("instagram_media")
    assert recent


def test_our_account_and_the_rivals_land_one_snapshot_each_today(world):
    instagram, _ = world
    day = (WORLD_START + timedelta(seconds=instagram.sim.world.clock)).date().isoformat()
    expected = {f"{b.instagram_user_id}:{day}" for b in TRACKED}
    assert instagram.alive("instagram_accounts") == expected


def _landed_values(instagram: Instagram, table: str) -> dict[tuple[str, str], int]:
    """(day or media id, metric) -> value of the live records of an insights table."""
    with instagram.connect() as conn:
        rows = conn.execute(
            f"select payload from (select distinct on (natural_key) * from raw.{table}"  # noqa: S608
            " order by natural_key, ingest_seq desc) v where not is_deleted"
        ).fetchall()
    return {
        (p.get("day") if table == "instagram_account_insights" else p["media_id"], p["metric"]): p[
            "value"
        ]
        for (p,) in rows
    }


def test_each_past_days_account_insights_land_with_the_truths_values(world):
    instagram, truth = world
    today = (WORLD_START + timedelta(seconds=instagram.sim.world.clock)).date().isoformat()
    landed = _landed_values(instagram, "instagram_account_insights")
    asked = {metric for _, metric in landed}
    expected = {
        (r["date"], r["metric"]): int(r["value"])
        for r in _rows(truth, "instagram_account_insights.csv", brand=OURS.key)
        if r["date"] < today and r["metric"] in asked
    }
    assert expected and {key: landed.get(key) for key in expected} == expected
    # days before the account had any activity answer zeros: nothing else lands
    assert all(value == 0 for key, value in landed.items() if key not in expected)


def test_our_media_insights_land_with_the_truths_values(world):
    instagram, truth = world
    landed = _landed_values(instagram, "instagram_media_insights")
    expected = {
        (r["media_id"], r["metric"]): int(r["value"])
        for r in truth.rows("instagram_media_insights.csv")
    }
    assert landed == {key: value for key, value in expected.items() if key in landed}
    assert {media for media, _ in landed} == {media for media, _ in expected} != set()


def test_nothing_was_quarantined(world):
    instagram, _ = world
    assert not instagram.scalar(
        "select count(*) from raw_quarantine.records where source = 'instagram'"
    )


def test_a_rerun_lands_nothing_new(world):
    instagram, _ = world
    results = instagram.run(recheck_hours=0)  # every media's comments walked again too
    assert {
        (r.entity, r.landed, r.tombstoned) for r in results if r.landed or r.tombstoned
    } == set()


def test_a_run_walks_no_comments_of_a_media_whose_count_did_not_move(world):
    instagram, _ = world
    walks = ("graph:/{id}/comments", "graph:/{id}/replies")
    before = {edge: instagram.sim.requests[edge] for edge in walks}
    instagram.extractor().media()  # re-walk points a day apart: none passed since the last
    assert {edge: instagram.sim.requests[edge] - before[edge] for edge in walks} == {
        edge: 0 for edge in walks
    }


def test_media_insights_are_read_once_a_day(world):
    instagram, _ = world
    extractor = instagram.extractor()
    before = extractor.client.calls
    assert extractor.media_insights().records_in == 0
    assert extractor.client.calls - before == 1  # /me/accounts: no media asked again today


def test_a_transient_empty_answer_deletes_nothing(world):
    instagram, _ = world
    before = instagram.alive("instagram_comments") | instagram.alive("instagram_media")
    with faults(instagram.sim, empty_rate=1.0):
        results = instagram.extractor(recheck_hours=0).media()
    assert sum(r.tombstoned for r in results) == 0
    assert instagram.alive("instagram_comments") | instagram.alive("instagram_media") == before


def test_a_deleted_comment_is_tombstoned_after_a_lookup_says_so(world):
    instagram, _ = world
    replied = "select payload->>'parent_id' from raw.instagram_comments where payload ? 'parent_id'"
    alone = f"not payload ? 'parent_id' and natural_key not in ({replied})"
    comment = sorted(instagram.alive("instagram_comments", alone))[0]
    instagram.sim.hide([comment])
    try:
        results = instagram.extractor(recheck_hours=0).media()
    finally:
        instagram.sim.hide([comment], hidden=False)
    assert [(r.entity, r.tombstoned) for r in results if r.tombstoned] == [("comments", 1)]
    assert comment not in instagram.alive("instagram_comments")
    instagram.extractor(recheck_hours=0).media()  # it came back: live again
    assert comment in instagram.alive("instagram_comments")


def test_a_deleted_media_is_tombstoned_with_its_comments_and_comes_back_with_them(world):
    instagram, _ = world
    with instagram.connect() as conn:
        media, comments = conn.execute(
            "select scope_key, array_agg(natural_key) from raw.instagram_comments"
            " where scope_key not like 'mentions:%%' group by 1 order by 1 limit 1"
        ).fetchone()
    instagram.sim.hide([media])
    try:
        results = instagram.extractor().media()
    finally:
        instagram.sim.hide([media], hidden=False)
    tombstoned = {(r.entity, r.tombstoned) for r in results if r.tombstoned}
    assert tombstoned == {("media", 1), ("comments", len(set(comments)))}
    assert media not in instagram.alive("instagram_media")
    assert not set(comments) & instagram.alive("instagram_comments")
    instagram.extractor().media()  # restored: it and its comments are walked at once
    assert media in instagram.alive("instagram_media")
    assert set(comments) <= instagram.alive("instagram_comments")


def test_the_hashtag_limit_is_never_exceeded(world):
    instagram, _ = world
    wanted = tuple(f"campaign{n}" for n in range(HASHTAG_LIMIT + 5))
    extractor = instagram.extractor(hashtags=wanted)
    extractor.hashtags()  # the simulator refuses a 31st unique hashtag: this would fail
    extractor.hashtags()
    queried = instagram.scalar(
        "select count(distinct hashtag) from meta.instagram_hashtag_queries where ig_user_id = %s",
        IG,
    )
    assert queried == HASHTAG_LIMIT


def test_the_usage_header_slows_the_extractor_before_the_limit(world):
    instagram, _ = world
    api = instagram.sim.instagram
    _, calls = api._calls.get(IG, (0, 0))  # this world hour's calls so far (its clock stands)
    instagram.sim.set_instagram_access(calls_per_hour=int(calls / 0.85) + 10)
    try:
        extractor = instagram.extractor()
        extractor.accounts()
    finally:
        instagram.sim.set_instagram_access(calls_per_hour=4800)
    paused = [seconds for reason, seconds in extractor.client.waits if reason == "usage near limit"]
    assert paused and max(extractor.client.usage.values()) >= 80
    assert not [reason for reason, _ in extractor.client.waits if reason == "rate limit"]


def test_a_token_without_instagram_manage_comments_fails_naming_it(world):
    instagram, _ = world
    instagram.sim.set_instagram_access(
        permissions=sorted(IG_PERMISSIONS - {"instagram_manage_comments"})
    )
    try:
        with pytest.raises(PermissionMissing, match="instagram_manage_comments"):
            instagram.extractor(recheck_hours=0).media()
    finally:
        instagram.sim.set_instagram_access(permissions=sorted(IG_PERMISSIONS))


@pytest.fixture
def instagram_env(world, monkeypatch):
    """The module's simulator and database as the deployment's connection (environment)."""
    instagram, _ = world
    monkeypatch.setenv("INSTAGRAM_GRAPH_URL", instagram.sim.url)
    monkeypatch.setenv("INSTAGRAM_GRAPH_TOKEN", instagram.sim.fb_token)
    monkeypatch.setenv("WAREHOUSE_URL", instagram.db.libpq())
    return instagram


def test_check_connections_says_in_one_line_each_permission_the_token_lacks(instagram_env):
    from social_crm import check_connections

    granted = IG_PERMISSIONS - {"instagram_manage_comments", "instagram_manage_insights"}
    instagram_env.sim.set_instagram_access(permissions=sorted(granted))
    try:
        findings = list(check_connections.check_instagram())
    finally:
        instagram_env.sim.set_instagram_access(permissions=sorted(IG_PERMISSIONS))
    failed = {f.what: f.detail for f in findings if not f.ok}
    assert set(failed) == {f"instagram account {IG} comments", f"instagram account {IG} insights"}
    assert "instagram_manage_comments" in failed[f"instagram account {IG} comments"]
    assert "instagram_manage_insights" in failed[f"instagram account {IG} insights"]
    assert any(f.ok and f.what == f"instagram account {IG}" for f in findings)


def test_the_extract_command_runs_every_instagram_group(instagram_env, capsys):
    from social_crm import cli
    from social_crm.orchestration import extraction

    code = cli.main(["extract", "instagram"])
    out = capsys.readouterr().out
    assert code == 0, out
    started = [line.split()[2] for line in out.splitlines() if line.startswith("extract instagram")]
    assert started == list(extraction.INSTAGRAM_GROUPS)


def test_a_run_dated_after_the_apis_clock_measures_its_window_on_the_apis_clock(
    world, warehouse_url
):
    """A DAG run on this machine's date against an API whose clock is earlier (a test or
    demo world) still reads the window the API serves."""
    instagram, _ = world
    later = WORLD_START + timedelta(seconds=instagram.sim.world.clock, days=365)
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        fresh = Instagram(instagram.sim, db)
        extractor = fresh.extractor()
        extractor.interval = (None, later)
        extractor.media()
        assert extractor.media_insights().landed > 0
