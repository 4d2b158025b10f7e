"""A plain client that walks every page of the simulator's endpoints (test helper)."""

from __future__ import annotations

import requests

from social_crm_dev.simulator.config import BRANDS, WORLD_START

FB_TOKEN = "sim-facebook-token"
X_HEADERS = {"Authorization": "Bearer sim-x-bearer-token"}


def graph_pages(
    base: str, path: str, limit: int, token: str = FB_TOKEN, **params: str
) -> list[dict]:
    items: list[dict] = []
    url: str | None = f"{base}/v24.0/{path}"
    query: dict | None = {"access_token": token, "limit": limit, **params}
    while url:
        body = requests.get(url, params=query, timeout=30).json()
        assert "error" not in body, body
        items.extend(body["data"])
        url, query = body.get("paging", {}).get("next"), None
    return items


def page_token(base: str, page_id: str) -> str:
    """The Page token the brand's token yields for a Page it manages (`/me/accounts`)."""
    accounts = graph_pages(base, "me/accounts", 100)
    return next(p["access_token"] for p in accounts if p["id"] == page_id)


def x_pages(base: str, path: str, limit: int, token_name: str, **params: str) -> list[dict]:
    items: list[dict] = []
    query = {"max_results": limit, **params}
    while True:
        body = requests.get(f"{base}/2/{path}", params=query, headers=X_HEADERS, timeout=30).json()
        assert "errors" not in body, body
        items.extend(body.get("data", []))
        token = body["meta"].get("next_token")
        if not token:
            return items
        query = {**query, token_name: token}


def walk_everything(base: str, graph_limit: int, x_limit: int) -> dict[str, list[dict]]:
    """Every post of every brand, and every visitor post, comment and reaction a Page token
    reads on the Pages the brand's token manages (with each one's Page token, from
    /me/accounts); every mention and brand reply on X."""
    seen: dict[str, list[dict]] = {
        k: [] for k in ("posts", "visitor_posts", "comments", "reactions", "tweets")
    }
    tokens = {p["id"]: p["access_token"] for p in graph_pages(base, "me/accounts", graph_limit)}
    for brand in BRANDS:
        token = tokens.get(brand.page_id)
        posts = graph_pages(base, f"{brand.page_id}/posts", graph_limit, token or FB_TOKEN)
        seen["posts"] += posts
        if token is None:  # a rival: its posts (and counts), no people
            posts = []
        feed = graph_pages(base, f"{brand.page_id}/feed", graph_limit, token) if token else []
        visitor = [p for p in feed if p["from"]["id"] != brand.page_id]  # not the Page's own
        seen["visitor_posts"] += visitor
        for post in posts + visitor:
            for comment in graph_pages(
                base, f"{post['id']}/comments", graph_limit, token, filter="stream"
            ):
                seen["comments"].append({**comment, "post_id": post["id"]})
            for reaction in graph_pages(base, f"{post['id']}/reactions", graph_limit, token):
                seen["reactions"].append({**reaction, "post_id": post["id"], "brand": brand.key})
        query = f"@{brand.x_handle} OR from:{brand.x_handle}"
        for tweet in x_pages(
            base,
            "tweets/search/all",  # full archive: recent search serves the last 7 days only
            x_limit,
            "next_token",
            query=query,
            start_time=WORLD_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **{"tweet.fields": "created_at,lang,referenced_tweets"},
        ):
            seen["tweets"].append({**tweet, "brand": brand.key})
    return seen
