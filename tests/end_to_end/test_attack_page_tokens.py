"""Outsider attacks on "every request about one of our Pages carries that Page's token".

The Graph API reads the people who engage with a Page, and (New Pages Experience) the Page's
content, only with the Page's own access token:
- developers.facebook.com/docs/graph-api/reference/user (as cited by docs/real-apis.md: "A Page
  token reads `id` and `name` of people who comment on or react to the Page's content");
- developers.facebook.com/docs/pages-api/overview and .../docs/pages/support/psid-api/: "For
  Pages that have been migrated to the New Page Experience, a Page access token is now
  required for all available endpoints" (a few listed exceptions).

The extractor sends its people lookups and deletion checks as Graph batch requests to the
root path (`POST /vNN.N/`), which `ApiClient.scope_token` never scopes: they carry the
brand's user / system-user token. The simulator serves those reads to any token, kinder than
the real API. These tests watch the real simulator server (its `dispatch` is wrapped to record,
and then called unchanged)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm.warehouse import migrations
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import FAST_RETRY, test_x_profile

pytestmark = pytest.mark.integration

PAGES = tuple(b.page_id for b in BRANDS)
OURS = PAGES[0]
SMALL = WorldConfig(seed=5, scale=0.01, days=5)


def _record_batches(sim: SimulatorServer) -> list[tuple[str | None, list[str]]]:
    """Every Graph batch the simulator receives: (its bearer token, the nodes it reads)."""
    seen: list[tuple[str | None, list[str]]] = []
    dispatch = sim.dispatch

    def recording(method, raw_path, headers, body):
        split = urlsplit(raw_path)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        params = {**dict(parse_qsl(split.query)), **form}
        if method == "POST" and "batch" in params:
            token = params.get("access_token")
            auth = headers.get("authorization", "")
            if not token and auth.lower().startswith("bearer "):
                token = auth.split(" ", 1)[1].strip()
            nodes = [
                urlsplit(str(r.get("relative_url"))).path.strip("/").split("/")[-1]
                for r in json.loads(params["batch"])
            ]
            seen.append((token, nodes))
        return dispatch(method, raw_path, headers, body)

    sim.dispatch = recording
    return seen


def _extractor(sim, db) -> FacebookExtractor:
    client = ApiClient(
        "facebook_graph",
        sim.url,
        sim.fb_token,
        policy=GraphPolicy(),
        api_version=GRAPH_API_VERSION,
        retry=FAST_RETRY,
    )
    return FacebookExtractor(
        client,
        lambda: psycopg.connect(db.libpq()),
        FacebookSettings(PAGES, lookback_days=60, page_size=50, own_page_ids=(OURS,)),
    )


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


def _posts_run(sim, db, pages: tuple[str, ...], lookback_days: int) -> None:
    client = ApiClient(
        "facebook_graph",
        sim.url,
        sim.fb_token,
        policy=GraphPolicy(),
        api_version=GRAPH_API_VERSION,
        retry=FAST_RETRY,
    )
    extractor = FacebookExtractor(
        client,
        lambda: psycopg.connect(db.libpq()),
        FacebookSettings(pages, lookback_days=lookback_days, page_size=50, own_page_ids=(OURS,)),
    )
    extractor.posts_with_activity("posts")
    try:
        extractor.finish()
    except Exception:
        pass


def test_a_page_whose_token_was_revoked_for_a_run_gets_its_posts_once_restored(warehouse_url):
    """Our Page's token is refused for one run (revoked, then granted again). That run lands
    the rivals and moves the posts watermark, which is one for all Pages, to their newest
    post; the next run, token restored, lists our Page only from (watermark - lookback): our
    posts older than that are never read."""
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        sim.set_graph_access(managed=[], revoked=[OURS])
        _posts_run(sim, db, PAGES, lookback_days=1)
        assert not _landed_posts(db, OURS)  # refused, set aside: the rivals landed
        sim.set_graph_access(managed=[OURS], revoked=[])
        _posts_run(sim, db, PAGES, lookback_days=1)
        missing = _world_posts(sim, OURS) - _landed_posts(db, OURS)
        total = len(_world_posts(sim, OURS))
    assert not missing, f"{len(missing)} of our Page's {total} posts never read once restored"


def test_a_rival_added_later_gets_its_history_read(warehouse_url):
    """A brand tracks a new rival (a row added to brands.csv): its first walk starts at the
    shared posts watermark minus the look-back, not at the beginning: its older posts are
    never read, although "the first run walks everything"."""
    rival = PAGES[1]
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        _posts_run(sim, db, (OURS,), lookback_days=1)
        _posts_run(sim, db, (OURS, rival), lookback_days=1)
        missing = _world_posts(sim, rival) - _landed_posts(db, rival)
        total = len(_world_posts(sim, rival))
    assert not missing, f"{len(missing)} of the new rival's {total} posts never read"


def test_a_rival_added_later_gets_its_history_read_with_the_default_lookback(warehouse_url):
    """The same with the default look-back (30 days) in a world of 45 days: the rival's posts
    of its first 15 days are never read."""
    rival = PAGES[1]
    with (
        SimulatorServer(World(WorldConfig(seed=5, scale=0.01, days=45)),
                        x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        _posts_run(sim, db, (OURS,), lookback_days=30)
        _posts_run(sim, db, (OURS, rival), lookback_days=30)
        missing = _world_posts(sim, rival) - _landed_posts(db, rival)
        total = len(_world_posts(sim, rival))
    assert not missing, f"{len(missing)} of the new rival's {total} posts never read"



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


def test_a_second_page_of_ours_added_later_gets_its_insights_history(warehouse_url):
    """The brand connects a second Page of its own (brands.csv, the token manages it): its
    first insights read starts at the shared insights watermark minus 2 days, so its daily
    insights before that are never read, while the first Page got its whole history."""
    second = PAGES[1]
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        sim.set_graph_access(managed=[OURS, second])

        def run(pages):
            client = ApiClient(
                "facebook_graph",
                sim.url,
                sim.fb_token,
                policy=GraphPolicy(),
                api_version=GRAPH_API_VERSION,
                retry=FAST_RETRY,
            )
            FacebookExtractor(
                client,
                lambda: psycopg.connect(db.libpq()),
                FacebookSettings(pages, own_page_ids=pages),
            ).insights()

        run((OURS,))
        run((OURS, second))
        first, later = _insight_days(db, OURS), _insight_days(db, second)
    assert first - later == set(), f"days of insights never read for the second Page: {sorted(first - later)}"
