"""Outsider attacks on the Instagram extraction (attack7b): real simulator over HTTP, real
PostgreSQL. Each test is one promise of docs/instagram.md, minimal, and failed on the code it
was written against."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from social_crm.warehouse import migrations
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import WORLD, test_x_profile
from tests.end_to_end.test_instagram_extraction import TRACKED, Instagram

pytestmark = pytest.mark.integration

SMALL = dataclasses.replace(WORLD, days=5)
RIVALS = [b for b in TRACKED if not b.is_ours]


@pytest.fixture
def instagram(warehouse_url):
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        yield Instagram(sim, db)


def test_a_rival_that_is_not_a_business_account_never_stops_the_other_rivals(instagram):
    """A rival in brands.csv that switched to a personal account (or a mistyped username):
    business discovery answers `(#110) Invalid user id` subcode 2207013 for it. The other
    rivals must still land (as a Facebook rival's Page that cannot be loaded does), and the
    step fail once naming it."""
    from social_crm.extract.instagram import InstagramAccount

    personal = InstagramAccount("17841499999999999", "went.personal")
    extractor = instagram.extractor(
        rivals=(*instagram.settings.rivals, personal)  # listed last: the others come first
    )
    try:
        with pytest.raises(Exception) as raised:
            extractor.rivals()
            extractor.finish()
    finally:
        extractor.client.close()
    with instagram.connect() as conn:
        scopes = {
            s
            for (s,) in conn.execute(
                "select distinct scope_key from raw.instagram_media where scope_key like 'rival:%'"
            )
        }
    assert scopes == {f"rival:{r.instagram_user_id}" for r in RIVALS}
    assert "went.personal" in str(raised.value)


def _delete_during_walk(sim: SimulatorServer, edge: str, pick) -> list[str]:
    """The world changes under the walk: right after the simulator answers `edge` (our media
    listing, or a media's comments), the item `pick` chooses of that answer is deleted at the
    source (the simulator's own admin `hidden` set), as a person deleting their comment, or the
    brand its post, while the run is reading. Returns the deleted ids."""
    api = sim.instagram
    original = getattr(api, edge)
    deleted: list[str] = []

    def answer(*args, **kwargs):
        response = original(*args, **kwargs)
        if not deleted:
            chosen = pick(response.body.get("data") or [])
            if chosen is not None:
                api.hidden.add(chosen)
                deleted.append(chosen)
        return response

    setattr(api, edge, answer)
    return deleted


def test_a_comment_deleted_between_the_comments_page_and_its_replies_walk_loses_nothing_else(
    instagram,
):
    """A person deletes their top-level comment after the comments page listed it and before
    its replies are asked (`GET /{comment}/replies` answers #100 subcode 33: it does not
    exist). Everything else of the run must land; the deleted comment is simply not there."""
    deleted = _delete_during_walk(
        instagram.sim,
        "_comments",
        lambda items: next((i["id"] for i in items if isinstance(i, dict)), None),
    )
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    assert deleted
    landed = instagram.alive("instagram_comments")
    assert len(landed) > 10
    assert instagram.alive("instagram_media", "scope_key like 'own:%'")


def test_a_media_deleted_between_the_listing_and_its_comments_walk_loses_nothing_else(instagram):
    """The brand deletes a post after the media listing returned it and before its comments
    are walked (`GET /{media}/comments` answers #100 subcode 33). Everything else of the run
    must land."""
    deleted = _delete_during_walk(
        instagram.sim,
        "_media",
        lambda items: next(
            (i["id"] for i in items if isinstance(i, dict) and i.get("comments_count")), None
        ),
    )
    extractor = instagram.extractor()
    try:
        extractor.media()
    finally:
        extractor.client.close()
    assert deleted
    assert len(instagram.alive("instagram_media", "scope_key like 'own:%'")) > 1
    assert len(instagram.alive("instagram_comments")) > 10
