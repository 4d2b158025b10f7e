"""Contract tests of what a token reads on each Page (docs/rivals.md): the Page tokens the
brand's token yields, a comment without `from`, a rival's Page read as public content, the
permission errors of one Page, and New Pages Experience's `visitor_posts`. Payloads written by
hand from the documentation (`payloads/*.json`, each naming its source); the extractors handle
them as documented, and the simulator answers the same calls with the same shapes.
"""

from __future__ import annotations

import pytest
import requests

from social_crm.extract import facebook, facebook_streams
from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.http import ApiAccessError, ApiAuthError, ApiError
from social_crm.extract.records import InvalidRecord
from social_crm_dev.simulator.config import BRANDS, WorldConfig
from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, SimulatorServer
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import XProfile
from tests.contract.test_contracts import PAGE, _shape_mismatches, load

RIVAL = BRANDS[1].page_id


@pytest.fixture(scope="module")
def sim():
    world = World(WorldConfig(seed=4, scale=0.05, days=30))
    with SimulatorServer(world, x_profile=XProfile(window_seconds=0)) as server:
        yield server


# --- the extractors handle the documented answers -------------------------------------------


def test_documented_comments_without_from_land_with_their_author_unknown(canned):
    comments = canned("graph_comments_without_from").answer()["data"]
    landed = [facebook_streams.comment_record(item, f"{PAGE}_0001901") for item in comments]
    assert [r.natural_key for r in landed] == ["10001901_1", "10001901_2"]
    assert all("from" not in r.payload for r in landed)
    assert facebook_streams.author_id(comments[0]) == ""  # no person to look up


def test_a_comment_whose_from_names_no_id_is_still_malformed():
    with pytest.raises(InvalidRecord, match="'from' that has no 'id'"):
        facebook_streams.comment_record(
            {"id": "1_2", "created_time": "2026-01-19T11:02:13+0000", "from": {"name": "A"}},
            f"{PAGE}_1",
        )


def test_documented_rival_posts_land_with_their_public_counts(canned):
    (item,) = canned("graph_rival_posts_public").answer()["data"]
    counts = facebook._counts_of(item)
    assert counts.seen == {"comments": 7, "reactions": 31}
    record = facebook_streams.post_record(item, RIVAL)
    assert record.natural_key == "104000000000002_0001901" and record.scope_key == RIVAL


def test_documented_rival_comments_have_no_id_to_land_by(canned):
    (item,) = canned("graph_rival_comments_public").answer()["data"]
    with pytest.raises(InvalidRecord):
        facebook_streams.comment_record(item, "104000000000002_0001901")


def test_documented_me_accounts_gives_our_pages_their_page_token(canned):
    server = canned("graph_me_accounts")
    client = server.client()
    settings = FacebookSettings((PAGE, RIVAL), own_page_ids=(PAGE,))
    access = FacebookExtractor(client, lambda: None, settings).page_access()
    assert (access.own, access.rivals, access.failed) == ({PAGE}, {RIVAL}, {})
    assert client._token_for(client.url(f"{PAGE}_0001901/comments")) == "EAAPpagetokenfromdocs"
    assert client._token_for(client.url(f"{RIVAL}/posts")) is None  # the brand's own token
    assert "EAAPpagetokenfromdocs" in client.secrets_to_redact()


def test_an_own_page_the_token_does_not_manage_is_failed_naming_what_to_grant(canned):
    client = canned("graph_me_accounts").client()
    settings = FacebookSettings((PAGE, RIVAL), own_page_ids=(PAGE, RIVAL))
    access = FacebookExtractor(client, lambda: None, settings).page_access()
    assert access.own == {PAGE}
    assert "MODERATE and ANALYZE tasks" in access.failed[RIVAL]


def test_documented_missing_public_content_access_is_a_permission_error(canned):
    server = canned("graph_no_public_content_access")
    with pytest.raises(ApiAccessError, match="Page Public Content Access"):
        server.answer()
    assert len(server.requests) == 1  # never retried


def test_documented_revoked_page_token_is_an_auth_error(canned):
    server = canned("graph_page_token_revoked")
    with pytest.raises(ApiAuthError):
        server.answer()
    assert len(server.requests) == 1


def test_documented_visitor_posts_error_is_why_visitor_posts_come_from_the_feed(canned):
    with pytest.raises(ApiError) as failure:
        canned("graph_visitor_posts_npe").answer()
    assert not isinstance(failure.value, ApiAuthError | ApiAccessError)
    assert facebook_streams.VISITOR_POSTS.path == "{scope}/feed"


# --- the simulator answers the same calls with the same shapes ------------------------------


def _get(sim, path: str, token: str = DEFAULT_FB_TOKEN, **params) -> requests.Response:
    return requests.get(
        f"{sim.url}/v24.0/{path}", params={"access_token": token, **params}, timeout=10
    )


def page_token(sim, page: str = PAGE) -> str:
    accounts = _get(sim, "me/accounts").json()["data"]
    return next(p["access_token"] for p in accounts if p["id"] == page)


def _post_with_a_reply(sim, brand: int) -> str:
    for post in sim.world.posts(brand, "post"):
        comments = sim.world.comments(post.id) or []
        if any(c.parent_id for c in comments) and len(comments) < 25:
            return post.id
    raise AssertionError("no post with a reply in the world")


def _comments(sim, brand: int) -> requests.Response:
    post = _post_with_a_reply(sim, brand)
    fields = "id,message,created_time,from,parent"
    return _get(sim, f"{post}/comments", filter="stream", fields=fields, limit=25)


def _documented_call(name: str, token: str = DEFAULT_FB_TOKEN) -> requests.Response:
    def call(sim) -> requests.Response:
        case = load(name)["call"]
        chosen = page_token(sim) if token == "page" else token
        return _get(sim, case["path"], chosen, **case["params"])

    return call


def _with_access(call, **access):
    def limited(sim) -> requests.Response:
        token = page_token(sim)
        kept = sim.state()["graph_access"]
        sim.set_graph_access(**access)
        try:
            return call(sim, token)
        finally:
            sim.set_graph_access(**kept)

    return limited


SIMULATOR_CALLS = {
    "graph_me_accounts": _documented_call("graph_me_accounts"),
    # (no simulator call for `graph_comments_without_from`: the brand's own token, which got
    # our Page's comments without `from`, now reads none of a New Pages Experience Page's
    # content: test_graph_page_refusal_contracts.py)
    "graph_rival_posts_public": _documented_call("graph_rival_posts_public"),
    "graph_rival_comments_public": lambda sim: _comments(sim, 1),
    "graph_no_public_content_access": _with_access(
        lambda sim, _: _documented_call("graph_no_public_content_access")(sim),
        public_content=False,
    ),
    "graph_page_token_revoked": _with_access(
        lambda sim, token: _get(sim, f"{PAGE}/posts", token, limit=25), managed=[], revoked=[PAGE]
    ),
    "graph_visitor_posts_npe": _documented_call("graph_visitor_posts_npe", "page"),
}


@pytest.mark.parametrize("name", sorted(SIMULATOR_CALLS))
def test_simulator_answers_page_token_calls_with_the_documented_shapes(sim, name):
    documented = load(name)
    answer = SIMULATOR_CALLS[name](sim)
    body = answer.json()
    assert answer.status_code == documented["status"], body
    assert _shape_mismatches(documented["body"], body) == []


def test_the_page_token_reads_who_commented_and_the_brands_token_does_not(sim):
    post = _post_with_a_reply(sim, 0)
    fields = "id,message,created_time,from,parent"
    by_page = _get(sim, f"{post}/comments", page_token(sim), filter="stream", fields=fields)
    by_brand = _get(sim, f"{post}/comments", filter="stream", fields=fields)
    assert by_page.json()["data"] and all("from" in c for c in by_page.json()["data"])
    # New Pages Experience: the brand's token reads none of our Page's content
    assert (by_brand.status_code, by_brand.json()["error"]["code"]) == (400, 190)


def test_no_token_reads_who_reacted_to_a_rivals_post(sim):
    post = _post_with_a_reply(sim, 1)
    for token in (DEFAULT_FB_TOKEN, page_token(sim)):
        answer = _get(sim, f"{post}/reactions", token)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, 10)


def test_a_rival_page_yields_no_page_token(sim):
    assert "access_token" not in _get(sim, RIVAL, fields="id,access_token").json()
    assert _get(sim, PAGE, fields="id,access_token").json()["access_token"] == page_token(sim)
