"""What each Page's token reads, against the simulator's world: our Pages with their Page token
(who commented), rivals as public content (posts and counts), and a Page that cannot be read
(one of ours the token does not manage, a revoked Page token, a rival without Page Public
Content Access) failed for that Page alone, named with what to grant, the others landed."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings, PagesUnreadable
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.graph_api import page_token
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import FAST_RETRY, test_x_profile

pytestmark = pytest.mark.integration

PAGES = tuple(b.page_id for b in BRANDS)
SMALL = WorldConfig(seed=5, scale=0.01, days=5)


def _posts_by_page(conn) -> dict[str, int]:
    rows = conn.execute(
        "select scope_key, count(distinct natural_key) from raw.facebook_posts group by 1"
    ).fetchall()
    return dict(rows)


def _extract(sim, db, own: tuple[str, ...]) -> tuple[FacebookExtractor, list[str]]:
    from social_crm.extract.graph_policy import GraphPolicy
    from social_crm.extract.http import ApiClient

    client = ApiClient(
        "facebook_graph",
        sim.url,
        sim.fb_token,
        policy=GraphPolicy(),
        api_version="v24.0",
        retry=FAST_RETRY,
    )
    extractor = FacebookExtractor(
        client,
        lambda: psycopg.connect(db.libpq()),
        FacebookSettings(PAGES, lookback_days=60, page_size=50, own_page_ids=own),
    )
    extractor.page_snapshots()
    extractor.insights()
    extractor.posts_with_activity("posts")
    extractor.posts_with_activity("feed")
    try:
        extractor.finish()
    except PagesUnreadable as exc:
        return extractor, [str(exc)]
    return extractor, []


@st.composite
def access(draw):
    """Which Pages are ours, which the token manages, which Page tokens were revoked, and
    whether the app has Page Public Content Access."""
    own = draw(st.sets(st.sampled_from(PAGES), min_size=1))
    managed = draw(st.sets(st.sampled_from(PAGES)))
    revoked = draw(st.sets(st.sampled_from(sorted(managed)))) if managed else set()
    return own, managed - revoked, revoked, draw(st.booleans())  # revoked: listed, refused


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(choice=access())
def test_one_pages_permission_error_never_stops_another_page_from_landing(warehouse_url, choice):
    own, managed, revoked, public_content = choice
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        sim.set_graph_access(
            managed=sorted(managed), revoked=sorted(revoked), public_content=public_content
        )
        _, failures = _extract(sim, db, tuple(p for p in PAGES if p in own))
        readable = {p for p in own if p in managed}
        # a rival: public content; a Page the brand's token manages but the settings call a
        # rival is refused (New Pages Experience: its content needs its own Page token)
        readable |= {p for p in PAGES if p not in own and public_content and p not in managed}
        with psycopg.connect(db.libpq()) as conn:
            landed = _posts_by_page(conn)
            authors = conn.execute(
                "select count(*) from raw.facebook_comments where payload ? 'from'"
            ).fetchone()[0]
            unknown = conn.execute(
                "select count(*) from raw.facebook_comments where not payload ? 'from'"
            ).fetchone()[0]
            quarantined = conn.execute("select count(*) from raw_quarantine.records").fetchone()[0]
    posts = {
        b.page_id: sum(1 for p in sim.world.posts(i, "post") if p.created <= sim.world.clock)
        for i, b in enumerate(BRANDS)
    }
    assert landed == {p: posts[p] for p in readable}
    unreadable = set(PAGES) - readable
    for page in PAGES:
        assert any(f"Page {page}:" in f for f in failures) == (page in unreadable)
        assert not any(page_token(sim.fb_token, page) in f for f in failures)
    # who commented: read on our readable Pages only (with their Page token), never unknown
    if PAGES[0] in readable & own:
        assert authors > 0
    if not readable & own:
        assert authors == 0
    assert unknown == 0 and quarantined == 0


def test_the_failure_names_each_page_and_what_to_grant(warehouse_url):
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        sim.set_graph_access(managed=[], revoked=[PAGES[0]], public_content=False)
        _, failures = _extract(sim, db, (PAGES[0],))
    prefix = "facebook_graph: 3 Facebook Page(s) not read (the others landed): "
    assert len(failures) == 1 and failures[0].startswith(prefix)
    ours, *rivals = failures[0].removeprefix(prefix).split("; ")
    assert ours.startswith(f"Page {PAGES[0]}: its Page token was refused")
    assert "MODERATE and ANALYZE tasks on the Page again" in ours
    assert [r.split(":")[0] for r in rivals] == [f"Page {p}" for p in PAGES[1:]]
    assert all("the app needs the Page Public Content Access feature" in r for r in rivals)


def test_a_task_lands_every_step_of_the_readable_pages_then_fails_once(sim, db, monkeypatch):
    """The DAG's `page` task (snapshots, then insights): a rival's Page refused by the first
    step stops neither that step's other Pages nor the next step; the task then fails once,
    without retries, naming the Page."""
    from airflow.sdk.exceptions import AirflowFailException

    from social_crm.orchestration import extraction

    for name, value in {
        "FACEBOOK_GRAPH_URL": sim.url,
        "FACEBOOK_GRAPH_TOKEN": sim.fb_token,
        "WAREHOUSE_URL": db.libpq(),
    }.items():
        monkeypatch.setenv(name, value)
    sim.set_graph_access(public_content=False)
    with pytest.raises(AirflowFailException, match=f"Page {PAGES[1]}: a rival's Page"):
        extraction.run_facebook("page")
    with psycopg.connect(db.libpq()) as conn:
        snapshots = conn.execute("select natural_key from raw.facebook_page_snapshots").fetchall()
        insights = conn.execute("select count(*) from raw.facebook_page_insights").fetchone()[0]
    assert snapshots == [(PAGES[0],)] and insights > 0


def test_a_page_token_as_the_connections_token_is_refused_saying_which_token_to_set(sim):
    from social_crm.extract.graph_policy import GraphPolicy
    from social_crm.extract.http import ApiAccessError, ApiClient

    client = ApiClient(
        "facebook_graph",
        sim.url,
        page_token(sim.fb_token, PAGES[0]),
        policy=GraphPolicy(),
        api_version="v24.0",
        retry=FAST_RETRY,
    )
    extractor = FacebookExtractor(client, lambda: None, FacebookSettings(PAGES))
    with pytest.raises(ApiAccessError, match="system-user .* token .*, not a Page token"):
        extractor.page_access()
