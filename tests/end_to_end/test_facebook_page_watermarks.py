"""Each Facebook Page keeps its own watermark for its posts, visitor posts and insights
(`posts:<page id>` ... in meta.watermarks): a Page added to brands.csv later, or one whose
token was refused for longer than the look-back, gets its whole history read, whatever the
other Pages' walks reached. A warehouse from before keeps working (a migration): a Page with
posts landed goes on from where it was, a Page with none is read whole."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings, PagesUnreadable
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import graph_client, test_x_profile

pytestmark = pytest.mark.integration

PAGES = tuple(b.page_id for b in BRANDS)
OURS, RIVAL = PAGES[0], PAGES[1]
SMALL = WorldConfig(seed=5, scale=0.01, days=5)
# the migration that split the shared watermarks by Page (found by name: renumbered on merge)
PAGE_WATERMARKS = next(
    m.version for m in migrations.available() if m.name.endswith("facebook_page_watermarks")
)


def _extractor(sim, db, pages, lookback_days=30, own=(OURS,)) -> FacebookExtractor:
    client = graph_client(sim)
    return FacebookExtractor(
        client,
        lambda: psycopg.connect(db.libpq()),
        FacebookSettings(pages, lookback_days=lookback_days, page_size=50, own_page_ids=own),
    )


def _posts_run(sim, db, pages, lookback_days, recent_days=None) -> None:
    extractor = _extractor(sim, db, pages, lookback_days)
    extractor.posts_with_activity("posts", recent_days)
    try:
        extractor.finish()
    except PagesUnreadable:  # the refused Page is the point; the others landed
        pass


def _world_posts(sim, page_id: str) -> set[str]:
    brand = next(i for i, b in enumerate(BRANDS) if b.page_id == page_id)
    return {p.id for p in sim.world.posts(brand, "post") if p.created <= sim.world.clock}


def _landed_posts(db, page_id: str) -> set[str]:
    with psycopg.connect(db.libpq()) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select distinct natural_key from raw.facebook_posts where scope_key = %s",
                (page_id,),
            )
        }


def _insight_days(db, page_id: str) -> set[str]:
    with psycopg.connect(db.libpq()) as conn:
        return {
            str(r[0])
            for r in conn.execute(
                "select distinct event_at::date from raw.facebook_page_insights"
                " where scope_key = %s",
                (page_id,),
            )
        }


def _listing_starts(sim) -> dict[str, list[str | None]]:
    """The `since` of every /{page}/posts request the simulator receives, by Page."""
    seen: dict[str, list[str | None]] = {}
    dispatch = sim.dispatch

    def recording(method, raw_path, headers, body):
        split = urlsplit(raw_path)
        parts = [p for p in split.path.split("/") if p]
        params = dict(parse_qsl(split.query))
        if method == "GET" and len(parts) == 3 and parts[2] == "posts" and "after" not in params:
            seen.setdefault(parts[1], []).append(params.get("since"))
        return dispatch(method, raw_path, headers, body)

    sim.dispatch = recording
    return seen


@pytest.fixture
def world(warehouse_url):
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        yield sim, db


def test_a_page_whose_token_was_refused_for_a_run_gets_its_posts_once_restored(world):
    """Refused for a run (revoked, then granted again) while the rivals landed and moved
    their watermarks: once restored, our Page is listed from its own."""
    sim, db = world
    sim.set_graph_access(managed=[], revoked=[OURS])
    _posts_run(sim, db, PAGES, lookback_days=1)
    assert not _landed_posts(db, OURS)  # refused, set aside: the rivals landed
    sim.set_graph_access(managed=[OURS], revoked=[])
    _posts_run(sim, db, PAGES, lookback_days=1)
    missing = _world_posts(sim, OURS) - _landed_posts(db, OURS)
    assert not missing, f"{len(missing)} of our Page's posts never read once restored"


def test_a_rival_added_later_gets_its_history_read(world):
    sim, db = world
    _posts_run(sim, db, (OURS,), lookback_days=1)
    _posts_run(sim, db, (OURS, RIVAL), lookback_days=1)
    missing = _world_posts(sim, RIVAL) - _landed_posts(db, RIVAL)
    assert not missing, f"{len(missing)} of the new rival's posts never read"


def test_a_rival_added_later_gets_its_history_read_with_the_default_lookback(warehouse_url):
    """The default look-back (30 days) in a world of 45 days: the rival's first 15 days too."""
    with (
        SimulatorServer(
            World(WorldConfig(seed=5, scale=0.01, days=45)), x_profile=test_x_profile()
        ) as sim,
        migrated_database(warehouse_url) as db,
    ):
        _posts_run(sim, db, (OURS,), lookback_days=30)
        _posts_run(sim, db, (OURS, RIVAL), lookback_days=30)
        missing = _world_posts(sim, RIVAL) - _landed_posts(db, RIVAL)
    assert not missing, f"{len(missing)} of the new rival's posts never read"


def test_a_rival_first_read_by_the_live_walk_gets_its_history_read(world):
    """The live walk (the last day's posts, every few minutes) reaches a new Page before the
    full walk does: its window is not the watermark's, so the full walk still lists the Page
    whole."""
    sim, db = world
    _posts_run(sim, db, (OURS,), lookback_days=1)
    _posts_run(sim, db, (OURS, RIVAL), lookback_days=1, recent_days=1)
    _posts_run(sim, db, (OURS, RIVAL), lookback_days=1)
    missing = _world_posts(sim, RIVAL) - _landed_posts(db, RIVAL)
    assert not missing, f"{len(missing)} of the new rival's posts never read"


def test_a_second_page_of_ours_added_later_gets_its_insights_history(world):
    sim, db = world
    sim.set_graph_access(managed=[OURS, RIVAL])
    _extractor(sim, db, (OURS,), own=(OURS,)).insights()
    _extractor(sim, db, (OURS, RIVAL), own=(OURS, RIVAL)).insights()
    first, later = _insight_days(db, OURS), _insight_days(db, RIVAL)
    assert first - later == set(), f"insights days never read for the second Page: {first - later}"


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=48),  # hours since the run before
            st.sets(st.sampled_from(PAGES), min_size=1),  # the Pages brands.csv lists then
            st.booleans(),  # our Page's token refused for that run
            st.booleans(),  # the live walk (the last day) instead of the full one
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_every_page_gets_its_history_whatever_runs_came_before(warehouse_url, plan):
    """Runs hours apart, each over the Pages listed then, our Page refused in some, some of
    them live walks: once every Page is listed and readable, a full walk lands every post
    of every Page."""
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        for hours, pages, refused, live in plan:
            sim.world.advance(seconds=hours * 3600)
            sim.set_graph_access(
                managed=[] if refused else [OURS], revoked=[OURS] if refused else []
            )
            listed = tuple(p for p in PAGES if p in pages)
            _posts_run(sim, db, listed, lookback_days=1, recent_days=1 if live else None)
        sim.set_graph_access(managed=[OURS], revoked=[])
        _posts_run(sim, db, PAGES, lookback_days=1)
        missing = {p: _world_posts(sim, p) - _landed_posts(db, p) for p in PAGES}
    assert not any(missing.values()), {p: len(m) for p, m in missing.items() if m}


def _as_before_page_watermarks(db) -> None:
    """Rewrite meta.watermarks as extraction left them when all Pages shared one row per
    entity (the newest record of any Page), and apply the migration again: an upgrade."""
    with psycopg.connect(db.libpq()) as conn:
        conn.execute("delete from meta.watermarks where source = 'facebook'")
        conn.execute(
            "insert into meta.watermarks (source, entity, last_event_at)"
            " select 'facebook', 'posts', max(event_at) from raw.facebook_posts"
        )
        conn.execute("delete from meta.schema_migrations where version = %s", (PAGE_WATERMARKS,))
        conn.commit()
        assert [m.version for m in migrations.apply(conn)] == [PAGE_WATERMARKS]


def test_an_upgraded_warehouse_lists_a_page_with_posts_from_its_watermark(world):
    """No re-read of everything: our Page, landed under the shared watermark, is listed from
    its newest post minus the look-back."""
    sim, db = world
    _posts_run(sim, db, (OURS,), lookback_days=1)
    _as_before_page_watermarks(db)
    starts = _listing_starts(sim)
    _posts_run(sim, db, (OURS, RIVAL), lookback_days=1)
    assert starts[OURS] and all(since is not None for since in starts[OURS]), starts


def test_an_upgraded_warehouse_reads_a_page_without_posts_whole(world):
    sim, db = world
    _posts_run(sim, db, (OURS,), lookback_days=1)
    _as_before_page_watermarks(db)
    _posts_run(sim, db, (OURS, RIVAL), lookback_days=1)
    missing = _world_posts(sim, RIVAL) - _landed_posts(db, RIVAL)
    assert not missing, f"{len(missing)} of the rival's posts never read after the upgrade"
