"""A rival's Page that Graph cannot load never stops our Page, or the other rivals, from
landing: it is set aside for the run and named, like a Page refused with code 10."""

from __future__ import annotations

import psycopg
import pytest

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings, PagesUnreadable
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import graph_client, test_x_profile

pytestmark = pytest.mark.integration

PAGES = tuple(b.page_id for b in BRANDS)
OURS = PAGES[0]
SMALL = WorldConfig(seed=5, scale=0.01, days=5)


def test_a_rival_page_that_cannot_be_loaded_never_stops_our_page_from_landing(warehouse_url):
    """A rival's Page that Graph cannot load (unpublished, age- or country-restricted, or a
    mistyped id in brands.csv) answers `(#100) Unsupported get request. Object with ID ... does
    not exist, cannot be loaded due to missing permissions` subcode 33 (the simulator's answer
    for a Page it does not know; the real text: github.com/restfb/restfb/issues/1075). Graph
    answers a restricted public Page so (github.com/hasadna/kikar-hamedina/issues/303), and a
    Page read without Page Public Content Access too: "(#100) Object does not exist, cannot be
    loaded due to missing permission or reviewable feature ... requires ... the 'Page Public
    Content Access' feature" (github.com/strohne/Facepager/issues/174). `_one_page` sets aside
    only ApiAccessError (code 10) and, for our Pages, ApiAuthError: listed first, the rival
    stops every other Page from landing."""
    gone = "999999999999999"  # a rival Page id Graph cannot load
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        client = graph_client(sim)
        extractor = FacebookExtractor(
            client,
            lambda: psycopg.connect(db.libpq()),
            FacebookSettings((gone, *PAGES), lookback_days=60, page_size=50, own_page_ids=(OURS,)),
        )
        errors = []
        for step in (extractor.page_snapshots, lambda: extractor.posts_with_activity("posts")):
            try:
                step()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        with psycopg.connect(db.libpq()) as conn:
            snapshots = {
                r[0] for r in conn.execute("select natural_key from raw.facebook_page_snapshots")
            }
            posts = {
                r[0] for r in conn.execute("select distinct scope_key from raw.facebook_posts")
            }
    assert not errors, f"one rival's Page stopped the step: {errors}"
    assert OURS in snapshots and OURS in posts
    assert all(r in posts for r in PAGES[1:]), "the other rivals landed"
    with pytest.raises(PagesUnreadable, match=f"Page {gone}: Graph cannot load this Page"):
        extractor.finish()
