"""A small Instagram world written by hand from the Graph API reference's shapes (IG User,
IG Media, IG Comment, business discovery, Insights), landed through the landing code, with its
truth computed from the same records in Python: what the marts must show.

Shapes: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/
ig-user (business_discovery, mentioned_media, mentioned_comment, tags), ig-media, ig-comment
(`from` {id, username}, parent_id), ig-user/insights (total_value)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from social_crm.load.landing import LandingBatch, RawRecord

OURS, RIVAL_A, RIVAL_B = "17841400000000001", "17841400000000002", "17841400000000003"
USERNAMES = {OURS: "fjordbrew", RIVAL_A: "kaffeklubben", RIVAL_B: "beanandco"}
BRAND_OF = {OURS: "ours", RIVAL_A: "rival_a", RIVAL_B: "rival_b"}


def stamp(moment: datetime) -> str:
    """A timestamp as the Graph API writes it (ISO 8601, +0000)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class InstagramWorld:
    """Records by raw entity: (natural_key, scope_key, event_at, payload)."""

    records: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, entity: str, key: str, scope: str, at: datetime, payload: dict) -> None:
        self.records.setdefault(entity, []).append((key, scope, at, payload))

    def account(self, user_id: str, day: datetime, followers: int) -> None:
        payload = {
            "id": user_id,
            "username": USERNAMES[user_id],
            "followers_count": followers,
            "media_count": 30,
        }
        if user_id == OURS:
            payload["follows_count"] = 50
        self.add("accounts", f"{user_id}:{day.date()}", user_id, day, payload)

    def media(self, media_id: str, scope: str, at: datetime, **fields) -> None:
        payload = {
            "id": media_id,
            "media_type": "IMAGE",
            "permalink": f"https://www.instagram.com/p/S{media_id[-6:]}/",
            "timestamp": stamp(at),
            **fields,
        }
        self.add("media", media_id, scope, at, payload)

    def comment(
        self,
        comment_id: str,
        media_id: str,
        at: datetime,
        username: str | None,
        text: str,
        parent: str | None = None,
        scoped_id: str = "",
    ) -> None:
        payload = {
            "id": comment_id,
            "text": text,
            "timestamp": stamp(at),
            "like_count": 0,
            "hidden": False,
        }
        if username is not None:
            payload["username"] = username
            payload["from"] = {"id": scoped_id or f"9{comment_id[-8:]}", "username": username}
        if parent is not None:
            payload["parent_id"] = parent
            payload["media_id"] = media_id  # the walk's media: the extraction adds it
        self.add("comments", comment_id, media_id, at, payload)

    def mentioned_comment(self, comment_id: str, at: datetime, text: str) -> None:
        media = {
            "id": f"1{comment_id[1:]}",
            "permalink": "https://www.instagram.com/p/Other/",
            "username": "someone.else",
        }
        payload = {
            "id": comment_id,
            "text": text,
            "timestamp": stamp(at),
            "like_count": 0,
            "media": media,
        }
        self.add("comments", comment_id, f"mentions:{OURS}", at, payload)

    def views(self, day: datetime, value: int) -> None:
        payload = {
            "name": "views",
            "period": "day",
            "total_value": {"value": value},
            "id": f"{OURS}/insights/views/day",
        }
        self.add("account_insights", f"{OURS}:views:{day.date()}", OURS, day, payload)

    def land(self, connect) -> None:
        for entity, records in self.records.items():
            with connect() as conn, LandingBatch(conn, "instagram", entity) as batch:
                for key, scope, at, payload in records:
                    batch.add(RawRecord(key, payload, scope, at))

    # --- the truth --------------------------------------------------------------------

    def _all(self, entity: str) -> list[tuple]:
        return self.records.get(entity, [])

    def engagements_per_profile(self) -> Counter:
        """(profile, engagement type) -> count, what people did to our brand."""
        found: Counter = Counter()
        brands = set(USERNAMES.values())
        for _, scope, _, p in self._all("comments"):
            name = (p.get("from") or {}).get("username")
            if scope.startswith("mentions:"):
                found[(None, "mention")] += 1
            elif name and name.lower() not in brands:
                found[(name.lower(), "reply" if "parent_id" in p else "comment")] += 1
        for _, scope, _, p in self._all("media"):
            kind = scope.split(":")[0]
            if kind in ("tags", "mentions"):
                found[(p["username"].lower(), "tag" if kind == "tags" else "mention")] += 1
        return found

    def response_seconds(self) -> dict[str, int | None]:
        """Each message to our brand on Instagram -> seconds to our first answer (None: open).
        An answer is our reply in the comment's thread written after the message."""
        comments = [(k, p) for k, s, _, p in self._all("comments") if not s.startswith("m")]
        ours = [p for _, p in comments if p.get("username") == USERNAMES[OURS]]
        found: dict[str, int | None] = {}
        for key, p in comments:
            if p.get("username") == USERNAMES[OURS]:
                continue
            thread = p.get("parent_id") or key
            at = _parse(p["timestamp"])
            answers = [
                _parse(a["timestamp"])
                for a in ours
                if a.get("parent_id") == thread and _parse(a["timestamp"]) >= at
            ]
            found[key] = int((min(answers) - at).total_seconds()) if answers else None
        for key, scope, _, _ in self._all("comments"):
            if scope.startswith("mentions:"):
                found[key] = None
        for key, scope, _, _ in self._all("media"):
            if scope.startswith("mentions:"):
                found[key] = None
        return found

    def followers(self) -> dict[tuple[str, str], int]:
        """(brand, UTC day) -> followers."""
        return {
            (BRAND_OF[p["id"]], key.split(":")[1]): p["followers_count"]
            for key, _, _, p in self._all("accounts")
        }

    def share_of_voice(self) -> dict[tuple[str, str], float]:
        """(brand, UTC day) -> the brand's share of the likes and comments on the media every
        tracked brand published that day."""
        per: Counter = Counter()
        for _, scope, at, p in self._all("media"):
            kind, _, owner = scope.partition(":")
            if kind in ("own", "rival"):
                per[(BRAND_OF[owner], str(at.date()))] += p.get("like_count", 0) + p.get(
                    "comments_count", 0
                )
        days: Counter = Counter()
        for (_, day), n in per.items():
            days[day] += n
        return {
            (brand, day): round(per[(brand, day)] / total, 6)
            for day, total in days.items()
            if total
            for brand in BRAND_OF.values()
        }


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def small_world(start: datetime) -> InstagramWorld:
    """Two days of our account and the rivals': a thread answered, a thread not answered,
    a tag, a caption mention and a comment mention, counts and views per day."""
    w = InstagramWorld()
    for day in range(2):
        moment = start + timedelta(days=day)
        for n, user in enumerate((OURS, RIVAL_A, RIVAL_B)):
            w.account(user, moment, 1_000 * (3 - n) + 7 * day)
        w.views(moment, 500 + day)
    post = "18000000000000001"
    w.media(
        post,
        f"own:{OURS}",
        start,
        caption="New roast",
        username="fjordbrew",
        media_product_type="FEED",
        shortcode="Sabc",
        like_count=40,
        comments_count=4,
    )
    w.media(
        "18000000000000002",
        f"rival:{RIVAL_A}",
        start + timedelta(hours=1),
        caption="Rival roast",
        media_product_type="FEED",
        like_count=20,
        comments_count=5,
    )
    w.media(
        "18000000000000003",
        f"rival:{RIVAL_B}",
        start + timedelta(days=1, hours=1),
        caption="Beans",
        media_product_type="FEED",
        like_count=9,
        comments_count=1,
    )
    w.media(
        "18000000000000004",
        f"tags:{OURS}",
        start + timedelta(hours=2),
        caption="Morning",
        username="Kari.Nord",
        media_product_type="FEED",
        like_count=2,
        comments_count=0,
    )
    w.media(
        "18000000000000005",
        f"mentions:{OURS}",
        start + timedelta(hours=3),
        caption="Cold coffee again @fjordbrew?",
        username="ola_b",
        like_count=1,
        comments_count=0,
    )
    a, b, c = "17900000000000001", "17900000000000002", "17900000000000003"
    w.comment(a, post, start + timedelta(hours=1), "kari.nord", "Love it")
    w.comment(
        "17900000000000004",
        post,
        start + timedelta(hours=1, minutes=20),
        "fjordbrew",
        "Thanks!",
        parent=a,
    )
    w.comment(b, post, start + timedelta(hours=5), "Ola_B", "Where can I buy it?")
    w.comment(c, post, start + timedelta(hours=6), "per.s", "me too", parent=b)
    w.mentioned_comment("17900000000000005", start + timedelta(hours=7), "@fjordbrew look")
    return w
