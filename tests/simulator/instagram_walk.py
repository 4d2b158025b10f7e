"""A plain client for the simulator's Instagram endpoints (test helper): every page of a
listing by `paging.next`, business discovery by `.after(<cursor>)`."""

from __future__ import annotations

import requests

from social_crm_dev.simulator.config import BRANDS

FB_TOKEN = "sim-facebook-token"
OUR_IG = BRANDS[0].ig_user_id
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,shortcode,timestamp,username,"
    "like_count,comments_count"
)
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},like_count,parent_id,hidden"
DISCOVERY_MEDIA = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)


def get(base: str, path: str, token: str = FB_TOKEN, **params) -> requests.Response:
    return requests.get(
        f"{base}/v27.0/{path}", params={"access_token": token, **params}, timeout=30
    )


def our_page_token(base: str) -> str:
    accounts = get(base, "me/accounts", fields="id,access_token,instagram_business_account")
    return next(p["access_token"] for p in accounts.json()["data"] if p["id"] == BRANDS[0].page_id)


def pages(base: str, path: str, token: str, limit: int, **params) -> list[dict]:
    items: list[dict] = []
    answer = get(base, path, token, limit=limit, **params).json()
    while True:
        assert "error" not in answer, answer
        items.extend(answer["data"])
        url = answer.get("paging", {}).get("next")
        if not url:
            return items
        answer = requests.get(url, timeout=30).json()


def discovery_media(base: str, token: str, username: str, limit: int) -> list[dict]:
    items: list[dict] = []
    after = ""
    while True:
        media = f"media.limit({limit}){after}{{{DISCOVERY_MEDIA}}}"
        fields = f"business_discovery.username({username}){{id,username,media_count,{media}}}"
        answer = get(base, OUR_IG, token, fields=fields).json()
        assert "error" not in answer, answer
        listing = answer["business_discovery"]["media"]
        items.extend(listing["data"])
        cursor = listing.get("paging", {}).get("cursors", {}).get("after")
        if not cursor:
            return items
        after = f".after({cursor})"


def walk_instagram(base: str, limit: int) -> dict[str, list[dict]]:
    """Our media with every comment and reply, our tags, and each rival's media."""
    token = our_page_token(base)
    seen: dict[str, list[dict]] = {"media": [], "comments": [], "replies": [], "tags": []}
    seen["media"] = pages(base, f"{OUR_IG}/media", token, limit, fields=MEDIA_FIELDS)
    for media in seen["media"]:
        comments = pages(base, f"{media['id']}/comments", token, limit, fields=COMMENT_FIELDS)
        for comment in comments:
            comment["media_id"] = media["id"]
            replies = pages(base, f"{comment['id']}/replies", token, limit, fields=COMMENT_FIELDS)
            for reply in replies:
                reply["media_id"] = media["id"]
            seen["replies"].extend(replies)
        seen["comments"].extend(comments)
    seen["tags"] = pages(
        base, f"{OUR_IG}/tags", token, limit, fields=MEDIA_FIELDS.replace("shortcode,", "")
    )
    for brand in BRANDS[1:]:
        seen[f"rival:{brand.key}"] = discovery_media(base, token, brand.ig_username, limit)
    return seen
