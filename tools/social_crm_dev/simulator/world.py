"""The world at a clock: what each API shows now, generated on demand from seeded streams.

`World(config)` holds only the population (people, profiles, follow graph) and small plans
(ideas, erasures, fan counts, incidents). Posts, comments, reactions and mentions are generated
per day or per post when asked for. `advance(days, seconds=)` moves the clock: new items appear,
edits and deletions that were due become visible.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from social_crm_dev.simulator import population as population_mod
from social_crm_dev.simulator.activity import (
    MAX_COMMENT_DELAY,
    MAX_REPLY_DELAY,
    ActivityGenerator,
    Message,
    Post,
    Sampler,
)
from social_crm_dev.simulator.config import BRANDS, DAY, WorldConfig
from social_crm_dev.simulator.incidents import Crisis, Incidents, ReplyOutage
from social_crm_dev.simulator.instagram import InstagramWorld
from social_crm_dev.simulator.orders import Order, customer_orders
from social_crm_dev.simulator.rng import rng_for
from social_crm_dev.simulator.texts import LANGUAGES, train_texts


@dataclass(frozen=True)
class Idea:
    number: int
    person: int
    brand: int
    platform: str
    created: int
    product_id: str
    product_name: str
    launch_at: int


@dataclass(frozen=True)
class Erasure:
    person: int
    requested_at: int


class World:
    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.population = population_mod.build(config)
        self.clock = config.days * DAY
        self.incidents = Incidents(config)
        self.activity = ActivityGenerator(self)
        self._samplers: dict[tuple[str, int], Sampler] = {}
        self._posts: OrderedDict[tuple[int, int, str], list] = OrderedDict()
        self._filled: OrderedDict[str, Post] = OrderedDict()
        self.ideas = self._plan_ideas()
        self.erasures = self._plan_erasures()
        pop = self.population
        order = np.argsort(pop.follows_dst, kind="stable")
        self._followers_sorted = pop.follows_src[order]
        self._followers_dst = pop.follows_dst[order]
        self._following_counts = np.bincount(pop.follows_src, minlength=pop.n)
        self._fb_index = {int(v): i for i, v in enumerate(pop.fb_id) if v}
        self._x_index = {int(v): i for i, v in enumerate(pop.x_id) if v}
        self._fans: dict[int, np.ndarray] = {}
        self.instagram = InstagramWorld(self)
        if config.real_texts:
            # the train texts read now, once: read by the first request that draws a text,
            # they cost more than a client's read timeout on a loaded machine, and each retry
            # of it started reading them again beside the first (run of 2026-12-07)
            for lang in LANGUAGES:
                train_texts(lang)

    # --- clock ----------------------------------------------------------------------------

    def advance(self, days: int = 0, *, seconds: int = 0) -> None:
        """Move the clock forward by `days` and `seconds` (at least one second in all)."""
        if days < 0 or seconds < 0 or days * DAY + seconds < 1:
            raise ValueError("advance the clock forward, by at least one second")
        self.clock += days * DAY + seconds

    def start_crisis(self, brand: int, hours: float, multiplier: float = 10.0) -> Crisis:
        """A crisis of the brand's X mentions from now on (the demo's and tests' injected
        one); its day's mentions are generated again with it."""
        crisis = self.incidents.add_crisis(brand, self.clock, int(hours * 3600), multiplier)
        for day in range(crisis.start // DAY, crisis.end // DAY + 1):
            for kind in ("mentions", "tweets", "reposts"):
                self._posts.pop((brand, day, kind), None)
            # a brand reply (or a repost) days later lives in the cache of its own day
            for later in range(day, day + MAX_REPLY_DELAY // DAY + 2):
                self._posts.pop((brand, later, "tweets"), None)
                self._posts.pop((brand, later, "reposts"), None)
        return crisis

    def start_outage(self, brand: int, hours: float) -> ReplyOutage:
        """From now on, for `hours`, the brand answers nobody; the answers due then come once
        it is over. Answers already given stay as they were."""
        outage = self.incidents.add_outage(brand, self.clock, int(hours * 3600))
        self._posts.clear()  # answers are planned when a day or post is generated
        self._filled.clear()
        self.instagram = InstagramWorld(self)
        return outage

    @property
    def last_day(self) -> int:
        return self.clock // DAY

    # --- people ---------------------------------------------------------------------------

    def fb_sampler(self, brand: int) -> Sampler:
        return self._sampler("fb", brand, self.population.fb_id)

    def x_sampler(self, brand: int) -> Sampler:
        return self._sampler("x", brand, self.population.x_id)

    def _sampler(self, platform: str, brand: int, ids: np.ndarray) -> Sampler:
        key = (platform, brand)
        if key not in self._samplers:
            pop = self.population
            weights = pop.activity * pop.affinity[:, brand]
            self._samplers[key] = Sampler(np.flatnonzero(ids), weights)
        return self._samplers[key]

    def person_by_fb_id(self, fb_id: int) -> int | None:
        return self._fb_index.get(fb_id)

    def person_by_x_id(self, x_id: int) -> int | None:
        return self._x_index.get(x_id)

    def x_followers(self, person: int) -> np.ndarray:
        lo = np.searchsorted(self._followers_dst, person, side="left")
        hi = np.searchsorted(self._followers_dst, person, side="right")
        return np.sort(self._followers_sorted[lo:hi])

    def x_follower_count(self, person: int) -> int:
        return int(
            np.searchsorted(self._followers_dst, person, side="right")
            - np.searchsorted(self._followers_dst, person, side="left")
        )

    def x_following_count(self, person: int) -> int:
        return int(self._following_counts[person])

    # --- plans ----------------------------------------------------------------------------

    def _plan_ideas(self) -> list[Idea]:
        rng = rng_for(self.config.seed, "ideas")
        pop = self.population
        candidates = np.flatnonzero(
            ((pop.fb_id > 0) | (pop.x_id > 0)) & (np.arange(pop.n) < pop.n_customers)
        )
        n = max(3, round(12 * math.sqrt(self.config.scale)))
        ideas = []
        for number in range(1, n + 1):
            person = int(candidates[int(rng.integers(len(candidates)))])
            platform = "facebook" if pop.fb_id[person] and rng.random() < 0.6 else "x"
            if not pop.x_id[person]:
                platform = "facebook"
            created = int(rng.integers(0, int(self.config.days * 0.6) * DAY))
            ideas.append(
                Idea(
                    number,
                    person,
                    0,
                    platform,
                    created,
                    f"PI{number:03d}",
                    f"idea product {number}",
                    created + int(rng.integers(14 * DAY, 45 * DAY)),
                )
            )
        return ideas

    def ideas_on(self, brand: int, day: int, platform: str) -> list[Idea]:
        return [
            i
            for i in self.ideas
            if i.brand == brand and i.platform == platform and i.created // DAY == day
        ]

    def idea_launches(self) -> list[tuple[int, str]]:
        return sorted((i.launch_at, i.product_id) for i in self.ideas)

    def _plan_erasures(self) -> list[Erasure]:
        rng = rng_for(self.config.seed, "erasures")
        pop = self.population
        chosen = np.flatnonzero(rng.random(pop.n_customers) < 0.01)
        times = rng.integers(0, self.config.days * DAY, len(chosen))
        return [Erasure(int(p), int(t)) for p, t in zip(chosen, times, strict=True)]

    def erasures_visible(self) -> list[Erasure]:
        return [e for e in self.erasures if e.requested_at <= self.clock]

    # --- CRM ------------------------------------------------------------------------------

    def orders(self, customer: int) -> Iterator[Order]:
        return customer_orders(self.config, customer, self.clock, self.idea_launches())

    # --- Facebook -------------------------------------------------------------------------

    def _day_posts(self, brand: int, day: int, kind: str) -> list[Post]:
        key = (brand, day, kind)
        if key not in self._posts:
            gen = self.activity.page_posts if kind == "post" else self.activity.visitor_posts
            self._posts[key] = gen(brand, day)
            if len(self._posts) > 96:
                self._posts.popitem(last=False)
        return self._posts[key]

    def posts(self, brand: int, kind: str = "post") -> Iterator[Post]:
        """Visible posts (or visitor posts) of a page, oldest first."""
        for day in range(0, self.last_day + 1):
            for post in self._day_posts(brand, day, kind):
                visible = post.author.visible(self.clock) if post.author else True
                if post.created <= self.clock and visible:
                    yield post

    def post(self, post_id: str) -> Post | None:
        """A post with its reactions and comments (all of them; filter with `visible`)."""
        if post_id in self._filled:
            self._filled.move_to_end(post_id)
            return self._filled[post_id]
        found = self._find_post(post_id)
        if found is None:
            return None
        self.activity.fill_activity(found)
        self._filled[post_id] = found
        if len(self._filled) > 32:
            evicted = self._filled.popitem(last=False)[1]
            evicted.reactions, evicted.comments = [], []
        return found

    def _find_post(self, post_id: str) -> Post | None:
        page_id, _, local = post_id.partition("_")
        brand = next((i for i, b in enumerate(BRANDS) if b.page_id == page_id), None)
        if brand is None or not local.isdigit():
            return None
        if len(local) == 7:
            day, kind = int(local[:5]), "post"
        elif len(local) == 10:
            day, kind = int(local[1:6]), "visitor_post"
        else:
            return None
        for post in self._day_posts(brand, day, kind):
            if post.id == post_id:
                visible = post.author.visible(self.clock) if post.author else True
                return post if post.created <= self.clock and visible else None
        return None

    def comment(self, comment_id: str) -> Message | None:
        """A visible comment by id (`<brand><post number>_<n>`), or None."""
        local, _, seq = comment_id.partition("_")
        # the brand's number before a post number of 7 or 10 digits: one digit, or two in an
        # agency world (lengths 8 and 11, or 9 and 12)
        digits = 2 if len(local) in (9, 12) else 1
        if not local.isdigit() or not seq.isdigit() or not 1 <= int(local[:digits]) <= len(BRANDS):
            return None
        post_id = f"{BRANDS[int(local[:digits]) - 1].page_id}_{local[digits:]}"
        return next((c for c in self.comments(post_id) or [] if c.id == comment_id), None)

    def comments(self, post_id: str) -> list[Message] | None:
        post = self.post(post_id)
        if post is None:
            return None
        return [c for c in post.comments if c.visible(self.clock)]

    def fans(self, brand: int) -> np.ndarray:
        """Rows per day up to the clock: fans at end of day, adds, removes."""
        days = self.last_day + 1
        cached = self._fans.get(brand)
        if cached is None or len(cached) < days:
            scale, activity = self.config.scale, BRANDS[brand].activity
            start = round(1500 * scale * activity)
            rows = []
            fans = start
            for day in range(days):
                rng = rng_for(self.config.seed, "fans", brand, day)
                adds = int(rng.poisson(25 * scale * activity))
                removes = min(int(rng.poisson(10 * scale * activity)), fans)
                fans += adds - removes
                rows.append((fans, adds, removes))
            self._fans[brand] = np.array(rows, dtype=np.int64)
        return self._fans[brand][:days]

    # --- X --------------------------------------------------------------------------------

    def _mentions(self, brand: int, day: int) -> list[Message]:
        key = (brand, day, "mentions")
        if key not in self._posts:
            self._posts[key] = self.activity.mentions(brand, day)
            if len(self._posts) > 96:
                self._posts.popitem(last=False)
        return self._posts[key]

    def mentions(self, brand: int, day: int) -> list[Message]:
        """The mentions of the brand posted on `day`, with their replies (cached)."""
        return self._mentions(brand, day)

    def reposts_created_on(self, brand: int, day: int) -> list[Message]:
        """Reposts of the brand's mentions created on `day` (any visibility), newest first."""
        return self._x_created_on(brand, day, "reposts", self.activity.reposts)

    def reposts(self, brand: int, start: int = 0, end: int | None = None) -> Iterator[Message]:
        """Visible reposts of the brand's mentions, created in [start, end), newest first."""
        return self._x_visible(self.reposts_created_on, brand, start, end)

    def tweets_created_on(self, brand: int, day: int) -> list[Message]:
        """Mentions of the brand and its replies created on `day` (any visibility), newest first."""
        return self._x_created_on(brand, day, "tweets", self._mentions)

    def tweets(self, brand: int, start: int = 0, end: int | None = None) -> Iterator[Message]:
        """Visible mentions of the brand and its replies, created in [start, end), newest first."""
        return self._x_visible(self.tweets_created_on, brand, start, end)

    def _x_created_on(
        self, brand: int, day: int, kind: str, made: Callable[[int, int], list[Message]]
    ) -> list[Message]:
        """What `made` writes for the brand created on `day` (what answers a Post may come up
        to MAX_REPLY_DELAY after it), newest first; the last 96 lists kept."""
        key = (brand, day, kind)
        if key not in self._posts:
            first = max(0, day - MAX_REPLY_DELAY // DAY - 1)
            found = [
                t for d in range(first, day + 1) for t in made(brand, d) if t.created // DAY == day
            ]
            found.sort(key=lambda t: int(t.id), reverse=True)
            self._posts[key] = found
            if len(self._posts) > 96:
                self._posts.popitem(last=False)
        return self._posts[key]

    def _x_visible(
        self,
        created_on: Callable[[int, int], list[Message]],
        brand: int,
        start: int,
        end: int | None,
    ) -> Iterator[Message]:
        end = self.clock + 1 if end is None else min(end, self.clock + 1)
        for day in range((end - 1) // DAY, max(0, start // DAY) - 1, -1):
            for msg in created_on(brand, day):
                if start <= msg.created < end and msg.visible(self.clock):
                    yield msg

    # --- webhooks (what Meta would have sent our app) ---------------------------------------

    def instagram_webhook_changes(
        self, start: int, end: int
    ) -> list[tuple[str, str, str, dict, int]]:
        """Instagram changes for our account created in [start, end) (world seconds):
        (object "instagram", entry_id = our IG user id, field "comments" | "mentions",
        value, time in Unix seconds), in time order (simulator/instagram.py)."""
        return self.instagram.webhook_changes(start, end)

    def page_feed_changes(self, start: int, end: int) -> list[tuple[str, str, str, dict, int]]:
        """Page `feed` changes for our Page: every comment (people's, replies, the Page's
        own answers) on its posts and visitor posts created in [start, end) (world seconds):
        (object "page", entry_id = our Page id, field "feed", value, time in Unix seconds),
        value `{"from": {"id", "name"}, "post": {"status_type", "is_published",
        "updated_time", "permalink_url", "promotion_status", "id"}, "item": "comment", "verb":
        "add", "comment_id", "post_id", "parent_id", "message", "created_time"}` (parent_id:
        the replied-to comment, or the post for a top-level comment), in time order."""
        from social_crm_dev.simulator.instagram import unix
        from social_crm_dev.simulator.responses import to_datetime

        end = min(end, self.clock + 1)
        page = BRANDS[0].page_id
        found = []
        first_day = max(0, (start - MAX_COMMENT_DELAY) // DAY)
        for day in range(first_day, (end - 1) // DAY + 1 if end > 0 else 0):
            for kind in ("post", "visitor_post"):
                for listed in self._day_posts(0, day, kind):
                    if listed.created >= end:
                        continue
                    post = self.post(listed.id) if listed.created <= self.clock else None
                    for c in post.comments if post is not None else ():
                        if not start <= c.created < end:
                            continue
                        pop = self.population
                        author = (
                            {"id": page, "name": BRANDS[0].name}
                            if c.person is None
                            else {
                                "id": str(int(pop.fb_id[c.person])),
                                "name": pop.fb_name[c.person],
                            }
                        )
                        local = post.id.split("_", 1)[1]
                        value = {
                            "from": author,
                            "post": {
                                "status_type": "wall_post"
                                if post.kind == "visitor_post"
                                else "mobile_status_update",
                                "is_published": True,
                                "updated_time": to_datetime(post.created).strftime(
                                    "%Y-%m-%dT%H:%M:%S+0000"
                                ),
                                "permalink_url": f"https://www.facebook.com/{page}/posts/{local}",
                                "promotion_status": "inactive",
                                "id": post.id,
                            },
                            "item": "comment",
                            "verb": "add",
                            "comment_id": c.id,
                            "post_id": post.id,
                            "parent_id": c.parent_id or post.id,
                            "message": c.text,
                            "created_time": unix(c.created),
                        }
                        found.append((c.created, c.id, value))
        found.sort(key=lambda f: (f[0], f[1]))
        return [("page", page, "feed", value, unix(at)) for at, _, value in found]
