"""Every request about one of our Pages carries that Page's token: people lookups and deletion
checks too.

The Graph API reads the people who engage with a Page, and (New Pages Experience) the Page's
content, only with the Page's own access token:
- developers.facebook.com/docs/graph-api/reference/user (as cited by docs/real-apis.md: "A Page
  token reads `id` and `name` of people who comment on or react to the Page's content");
- developers.facebook.com/docs/pages-api/overview and .../docs/pages/support/psid-api/: "For
  Pages that have been migrated to the New Page Experience, a Page access token is now
  required for all available endpoints" (a few listed exceptions).

The extractor sends its people lookups and deletion checks as Graph batch requests to the
root path (`POST /vNN.N/`): each batch carries the token of the Page whose objects or people
it reads. These tests watch the real simulator server (its `dispatch` is wrapped to record,
and then called unchanged)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
import requests

from social_crm.extract.facebook import FacebookExtractor, FacebookSettings, PagesUnreadable
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.graph_api import page_token
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import migrated_database
from tests.end_to_end.conftest import graph_client, test_x_profile

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
    client = graph_client(sim)
    return FacebookExtractor(
        client,
        lambda: psycopg.connect(db.libpq()),
        FacebookSettings(PAGES, lookback_days=60, page_size=50, own_page_ids=(OURS,)),
    )


def test_simulator_refuses_a_persons_profile_to_the_brands_user_token():
    """Kinder simulator: a person who commented on our Page is read (id, name) with the
    brand's user token, which the real Graph API gives to the Page's token only."""
    with SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim:
        base = f"{sim.url}/{GRAPH_API_VERSION}"
        own = {"Authorization": f"Bearer {page_token(sim.fb_token, OURS)}"}
        posts = requests.get(f"{base}/{OURS}/posts", headers=own, timeout=10).json()["data"]
        person = None
        for post in posts:
            answer = requests.get(
                f"{base}/{post['id']}/comments",
                params={"filter": "stream", "fields": "id,from"},
                headers=own,
                timeout=10,
            ).json()
            people = [c["from"]["id"] for c in answer.get("data", []) if "from" in c]
            people = [p for p in people if p not in PAGES]
            if people:
                person = people[0]
                break
        assert person is not None, "the world has a comment with an author on our Page"
        # the Page token reads the person: the documented way
        assert (
            requests.get(
                f"{base}/{person}", params={"fields": "id,name"}, headers=own, timeout=10
            ).status_code
            == 200
        )
        brand = {"Authorization": f"Bearer {sim.fb_token}"}
        answer = requests.get(
            f"{base}/{person}", params={"fields": "id,name"}, headers=brand, timeout=10
        )
    assert answer.status_code != 200, (
        f"the brand's user token read a person's profile: {answer.json()}"
    )


def test_people_lookups_are_sent_with_the_page_token(warehouse_url):
    """The users who commented on or reacted to our Page are looked up (batch of reads) with
    the brand's user token, not the Page's token that the real API requires."""
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        batches = _record_batches(sim)
        extractor = _extractor(sim, db)
        extractor.posts_with_activity("posts")
        people = [
            (token, node)
            for token, nodes in batches
            for node in nodes
            if node.isdigit() and node not in PAGES
        ]
    assert people, "the run looked people up"
    brand_token = [node for token, node in people if token == sim.fb_token]
    assert not brand_token, (
        f"{len(brand_token)} of {len(people)} person lookups sent with the brand's user token "
        "(the real Graph API reads a person who engaged only with the Page's token)"
    )


def test_deletion_checks_of_our_pages_posts_are_sent_with_the_page_token(warehouse_url):
    """A post of our Page missing from the walk is looked up (to confirm it is deleted) with
    the brand's user token, not the Page's: on a New Pages Experience Page a Page token is
    required for every endpoint."""
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        extractor = _extractor(sim, db)
        extractor.posts_with_activity("posts")
        with psycopg.connect(db.libpq()) as conn:
            (post_id,) = conn.execute(
                "select natural_key from raw.facebook_posts where scope_key = %s"
                " order by natural_key limit 1",
                (OURS,),
            ).fetchone()
        sim.hide([post_id])
        batches = _record_batches(sim)
        _extractor(sim, db).posts_with_activity("posts")
        checks = [(token, node) for token, nodes in batches for node in nodes if node == post_id]
    assert checks, "the deleted post was looked up"
    assert all(token == page_token(sim.fb_token, OURS) for token, _ in checks), (
        f"post {post_id} of our Page was looked up with the brand's user token"
    )


@pytest.mark.parametrize("read", ["posts", "post", "comments"])
def test_simulator_refuses_our_pages_content_to_the_brands_user_token(read):
    """On a New Pages Experience Page a Page token is required: our Page's posts, a post and
    its comments read with the brand's user token answer `(#190) This method must be called
    with a Page Access Token`; its Page token reads them."""
    with SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim:
        post = next(iter(sim.world.posts(0, "post"))).id
        path = {"posts": f"{OURS}/posts", "post": post, "comments": f"{post}/comments"}[read]
        url = f"{sim.url}/{GRAPH_API_VERSION}/{path}"
        own = requests.get(url, params={"access_token": page_token(sim.fb_token, OURS)}, timeout=10)
        brand = requests.get(url, params={"access_token": sim.fb_token}, timeout=10)
    assert own.status_code == 200
    assert brand.status_code == 400
    assert (brand.json()["error"]["code"], brand.json()["error"]["message"]) == (
        190,
        "(#190) This method must be called with a Page Access Token",
    )


def test_simulator_refuses_a_person_to_a_page_they_never_engaged_with():
    """A person's id is Page-scoped: the token of another Page of the brand's cannot load
    someone who engaged only with our first Page."""
    second = PAGES[1]
    with SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim:
        sim.set_graph_access(managed=[OURS, second])
        base = f"{sim.url}/{GRAPH_API_VERSION}"
        own = {"access_token": page_token(sim.fb_token, OURS)}
        person = None
        for post in sim.world.posts(0, "post"):
            answer = requests.get(f"{base}/{post.id}/reactions", params=own, timeout=10).json()
            if answer.get("data"):
                person = answer["data"][0]["id"]
                break
        assert person is not None, "the world has a reaction on our Page"
        other = {"access_token": page_token(sim.fb_token, second), "fields": "id,name"}
        refused = requests.get(f"{base}/{person}", params=other, timeout=10).json()
        served = requests.get(f"{base}/{person}", params={**own, "fields": "id,name"}, timeout=10)
    assert served.status_code == 200
    assert (refused["error"]["code"], refused["error"]["error_subcode"]) == (100, 33)


def test_a_page_token_revoked_mid_walk_sets_the_page_aside_without_looking_up_its_people(
    warehouse_url,
):
    """Our Page's token is revoked while its comments are walked: the Page is set aside
    (named in PagesUnreadable), and the people already seen there are not looked up with the
    refused token, which would fail the whole step as a connection error."""
    with (
        SimulatorServer(World(SMALL), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
    ):
        dispatch, walked = sim.dispatch, []

        def revoking(method, raw_path, headers, body):
            if "/comments" in raw_path:
                walked.append(raw_path)
                if len(walked) == 3:  # some people seen: the brand revokes the Page's token
                    sim.set_graph_access(managed=[], revoked=[OURS])
            return dispatch(method, raw_path, headers, body)

        sim.dispatch = revoking
        extractor = _extractor(sim, db)
        extractor.posts_with_activity("posts")
        with pytest.raises(PagesUnreadable, match=f"Page {OURS}: its Page token was refused"):
            extractor.finish()
    assert len(walked) >= 3
