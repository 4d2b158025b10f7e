"""People a Page's token reads: a person's id is scoped to the Page they engaged with (a
PSID), so the simulator serves a person only to the token of a Page that was shown them (who
commented or reacted on its posts). Tests that read people find them as the extractor does."""

from __future__ import annotations

import requests

from social_crm_dev.simulator.config import OUR_BRAND
from social_crm_dev.simulator.graph_api import page_token


def our_page_token(sim) -> str:
    """The Page token `/me/accounts` gives for our Page."""
    return page_token(sim.fb_token, OUR_BRAND.page_id)


def people_of_our_page(sim, n: int, version: str = "v27.0") -> list[str]:
    """The ids of (up to) `n` people who reacted to our Page's posts, read with its token."""
    token = our_page_token(sim)
    people: list[str] = []
    for post in sim.world.posts(0, "post"):
        answer = requests.get(
            f"{sim.url}/{version}/{post.id}/reactions",
            params={"access_token": token, "limit": 100},
            timeout=10,
        ).json()
        people += [r["id"] for r in answer.get("data", []) if r["id"] not in people]
        if len(people) >= n:
            break
    return people[:n]
