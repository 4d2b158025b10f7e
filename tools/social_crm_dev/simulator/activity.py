"""Engagement generated on demand: posts, reactions, comments, visitor posts, X mentions.

Everything for one post (or one brand and day on X) comes from that item's own RNG stream, so
any page of any endpoint can be produced without generating the rest of the world, and memory
stays flat at any scale. Times are integer seconds since WORLD_START.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from social_crm_dev.simulator.config import BRANDS, DAY
from social_crm_dev.simulator.rng import rng_for
from social_crm_dev.simulator.texts import (
    BRAND_REPLIES,
    X_POST_CHARS,
    pick_labels,
    real_text,
    render,
)

# Scandinavians and Poles write to brands in English too (a global product, a reply in an
# English thread): one message in ENGLISH_SHARE of theirs, chosen by its id
ENGLISH_SHARE = 5


def message_language(native: str, msg_id: str) -> str:
    if native != "en" and zlib.crc32(msg_id.encode()) % ENGLISH_SHARE == 0:
        return "en"
    return native


REACTION_TYPES = ("LIKE", "LOVE", "HAHA", "WOW", "SAD", "ANGRY")
# cumulative probabilities per disposition (-1 detractor, 0 neutral, 1 advocate)
_REACTION_CDF = {
    1: np.cumsum([0.50, 0.45, 0.00, 0.05, 0.00, 0.00]),
    0: np.cumsum([0.70, 0.10, 0.10, 0.10, 0.00, 0.00]),
    -1: np.cumsum([0.00, 0.00, 0.20, 0.00, 0.30, 0.50]),
}
MAX_COMMENT_DELAY = 14 * DAY
MAX_REPLY_DELAY = 3 * DAY
BRAND_ANSWER_SEQ = 90_000_000  # the brand's answers are numbered from here (ids: digits only)
TWEPOCH_MS = 1288834974657
WORLD_START_MS = 1767225600000  # 2026-01-01T00:00:00Z
X_REPLIES_PER_MENTION = 0.15  # people's replies in a mention's thread, times its author's pull
X_REPOSTS_PER_MENTION = 0.1  # reposts of a mention by others, times its author's pull
REPOST_SEQ = 200_000  # reposts of a brand's day are numbered from here (below 1 << 18)


@dataclass
class Message:
    """A comment, reply, visitor post or tweet, with its ground-truth labels and lifecycle."""

    id: str
    platform: str  # facebook | x
    kind: str  # comment | reply | visitor_post | mention | brand_reply | repost
    brand: int
    person: int | None  # None: written by the brand
    created: int
    text: str
    lang: str
    sentiment: str | None = None
    intent: str | None = None
    parent_id: str | None = None  # Graph: replied-to comment; X: replied-to tweet
    post_id: str | None = None  # Graph: the post the comment is on
    answers: str | None = None  # brand replies: the message id answered
    edited_at: int | None = None
    edited_text: str | None = None
    deleted_at: int | None = None
    idea_product: str | None = None
    reply_to_person: int | None = None  # X brand replies: the author answered
    reposted_id: str | None = None  # X reposts: the Post reposted

    def visible(self, clock: int) -> bool:
        return self.created <= clock and (self.deleted_at is None or self.deleted_at > clock)

    def text_at(self, clock: int) -> str:
        if self.edited_at is not None and self.edited_at <= clock and self.edited_text:
            return self.edited_text
        return self.text


@dataclass
class Reaction:
    post_id: str
    person: int
    type: str
    at: int
    removed_at: int | None

    def visible(self, clock: int) -> bool:
        return self.at <= clock and (self.removed_at is None or self.removed_at > clock)


@dataclass
class Post:
    id: str
    brand: int
    created: int
    message: str
    kind: str = "post"  # post | visitor_post
    author: Message | None = None  # visitor posts: the message with its labels
    reactions: list[Reaction] = field(default_factory=list)
    comments: list[Message] = field(default_factory=list)


class Sampler:
    """Draw people in proportion to weights (activity x brand affinity), with a profile only."""

    def __init__(self, people: np.ndarray, weights: np.ndarray) -> None:
        self.people = people
        cdf = np.cumsum(weights[people])
        self.cdf = cdf / cdf[-1] if len(cdf) else cdf

    def draw(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if k <= 0 or len(self.people) == 0:
            return np.empty(0, dtype=np.int64)
        return self.people[
            np.searchsorted(self.cdf, rng.random(k), side="right").clip(0, len(self.people) - 1)
        ]


class ActivityGenerator:
    """Per-item generation over a population; `world` supplies config, people and samplers."""

    def __init__(self, world) -> None:  # World imports this module
        self.world = world
        self.config = world.config
        self.pop = world.population

    # --- Facebook -----------------------------------------------------------------------

    def page_posts(self, brand: int, day: int) -> list[Post]:
        rng = rng_for(self.config.seed, "page-posts", brand, day)
        page_id = BRANDS[brand].page_id
        posts = []
        for k in range(self.config.posts_per_day):
            created = day * DAY + int((9 + 8 * k) * 3600 + rng.integers(0, 3600))
            product = ("espresso beans", "cold brew", "filter roast", "grinder")[(day + k) % 4]
            posts.append(
                Post(
                    id=f"{page_id}_{day:05d}{k:02d}",
                    brand=brand,
                    created=created,
                    message=f"{BRANDS[brand].name}: try our {product} this week!",
                )
            )
        return posts

    def visitor_posts(self, brand: int, day: int) -> list[Post]:
        rng = rng_for(self.config.seed, "visitor-posts", brand, day)
        rate = self.config.per_scale(self.config.visitor_posts_per_day) * BRANDS[brand].activity
        rate *= self.world.incidents.day_factor(brand, day)
        authors = self.world.fb_sampler(brand).draw(rng, int(rng.poisson(rate)))
        times = self.world.incidents.seconds_in_day(rng, brand, day, len(authors))
        page_id = BRANDS[brand].page_id
        posts = []
        for k, person in enumerate(authors):
            created = day * DAY + int(times[k])
            post_id = f"{page_id}_9{day:05d}{k:04d}"
            msg = self._message(
                rng,
                post_id,
                "facebook",
                "visitor_post",
                brand,
                int(person),
                created,
                post_id=post_id,
            )
            posts.append(Post(post_id, brand, created, msg.text, "visitor_post", msg))
        for idea in self.world.ideas_on(brand, day, "facebook"):
            post_id = f"{page_id}_8{day:05d}{idea.number:04d}"
            msg = self._idea_message(idea, post_id, post_id=post_id)
            posts.append(Post(post_id, brand, idea.created, msg.text, "visitor_post", msg))
        posts.sort(key=lambda p: (p.created, p.id))
        return posts

    def fill_activity(self, post: Post) -> Post:
        """Reactions and comments (with replies and brand answers) of one post."""
        rng = rng_for(self.config.seed, "post-activity", post.id)
        brand = BRANDS[post.brand]
        sampler = self.world.fb_sampler(post.brand)
        if post.kind == "post":
            reactions_mean = self.config.per_scale(self.config.reactions_per_post)
            comments_mean = self.config.per_scale(self.config.comments_per_post)
        else:  # a visitor post gets a few reactions and rarely a comment, at any scale
            reactions_mean, comments_mean = 4.0, 0.5
        n_reactions = int(rng.poisson(reactions_mean * brand.activity))
        people = np.unique(sampler.draw(rng, n_reactions))
        people = people[rng.permutation(len(people))]
        draws = rng.random(len(people))
        delays = rng.exponential(6 * 3600, len(people)).astype(np.int64) + 1
        removed = rng.random(len(people)) < 0.03
        removal_delay = rng.integers(3600, 30 * DAY, len(people))
        kinds = np.zeros(len(people), dtype=np.int64)
        dispositions = self.pop.disposition[people]
        for disposition, cdf in _REACTION_CDF.items():
            mask = dispositions == disposition
            kinds[mask] = np.searchsorted(cdf, draws[mask] * cdf[-1], side="right").clip(0, 5)
        for person, kind, delay, gone, gone_after in zip(
            people.tolist(),
            kinds.tolist(),
            (post.created + delays).tolist(),
            removed.tolist(),
            removal_delay.tolist(),
            strict=True,
        ):
            post.reactions.append(
                Reaction(
                    post.id,
                    person,
                    REACTION_TYPES[kind],
                    delay,
                    delay + gone_after if gone else None,
                )
            )

        n_comments = int(rng.poisson(comments_mean * brand.activity))
        if post.author is not None:  # answer the visitor post itself
            self._maybe_answer(rng, post.author, post, post.comments)
        authors = sampler.draw(rng, n_comments)
        local = _local_id(post)
        seq = 0
        for person in authors:
            seq += 1
            created = post.created + int(min(rng.exponential(8 * 3600), MAX_COMMENT_DELAY)) + 1
            comment = self._message(
                rng,
                f"{local}_{seq}",
                "facebook",
                "comment",
                post.brand,
                int(person),
                created,
                post_id=post.id,
            )
            post.comments.append(comment)
            # the more pull the author has, the likelier someone replies
            if rng.random() < min(0.9, self.config.reply_share * self.pop.pull[person]):
                replier = int(sampler.draw(rng, 1)[0])
                seq += 1
                at = created + int(rng.exponential(3 * 3600)) + 1
                reply = self._message(
                    rng,
                    f"{local}_{seq}",
                    "facebook",
                    "reply",
                    post.brand,
                    replier,
                    at,
                    post_id=post.id,
                    parent_id=comment.id,
                )
                post.comments.append(reply)
            self._maybe_answer(
                rng, comment, post, post.comments, seq_hint=f"{local}_{BRAND_ANSWER_SEQ + seq}"
            )
        post.comments.sort(key=lambda c: (c.created, c.id))
        return post

    def _maybe_answer(
        self,
        rng,
        message: Message,
        post: Post,
        out: list[Message],
        seq_hint: str | None = None,
    ) -> None:
        brand = BRANDS[message.brand]
        if rng.random() >= brand.answer_rate:
            return
        delay = (
            int(min(rng.lognormal(np.log(brand.median_reply_minutes * 60), 0.8), MAX_REPLY_DELAY))
            + 1
        )
        local = _local_id(post)
        out.append(
            Message(
                id=seq_hint or f"{local}_{BRAND_ANSWER_SEQ}",
                platform="facebook",
                kind="brand_reply",
                brand=message.brand,
                person=None,
                created=self._answer_at(message, delay),
                text=BRAND_REPLIES[message.lang],
                lang=message.lang,
                post_id=post.id,
                parent_id=message.id if message.kind != "visitor_post" else None,
                answers=message.id,
            )
        )

    # --- X ------------------------------------------------------------------------------

    def mentions(self, brand: int, day: int) -> list[Message]:
        """Mentions of the brand posted on `day`, with the brand's replies (maybe days later)."""
        rng = rng_for(self.config.seed, "mentions", brand, day)
        incidents = self.world.incidents
        rate = self.config.per_scale(self.config.mentions_per_day) * BRANDS[brand].activity
        authors = self.world.x_sampler(brand).draw(
            rng, int(rng.poisson(rate * incidents.day_factor(brand, day)))
        )
        times = np.sort(incidents.seconds_in_day(rng, brand, day, len(authors))) + day * DAY
        written = [(int(p), int(t), None) for p, t in zip(authors, times, strict=True)]
        for crisis in incidents.crises_on(brand, day):
            written += self._crisis_mentions(crisis, day, rate / 24)
        written.sort(key=lambda w: w[1])
        out: list[Message] = []
        seq = 0
        for person, created, labels in written:
            seq += 1
            msg = self._message(
                rng,
                tweet_id(int(created), brand, day, seq),
                "x",
                "mention",
                brand,
                int(person),
                int(created),
                labels=labels,
            )
            out.append(msg)
            # people answer the mention in its thread (X puts @brand in their replies too)
            for replier in self.world.x_sampler(brand).draw(
                rng, int(rng.poisson(X_REPLIES_PER_MENTION * self.pop.pull[person]))
            ):
                if int(replier) == int(person):
                    continue
                seq += 1
                at = int(created) + int(rng.exponential(3 * 3600)) + 1
                reply = self._message(
                    rng,
                    tweet_id(at, brand, day, seq),
                    "x",
                    "mention",
                    brand,
                    int(replier),
                    at,
                    parent_id=msg.id,
                )
                reply.reply_to_person = int(person)
                out.append(reply)
            if rng.random() < BRANDS[brand].answer_rate:
                delay = (
                    int(
                        min(
                            rng.lognormal(np.log(BRANDS[brand].median_reply_minutes * 60), 0.8),
                            MAX_REPLY_DELAY,
                        )
                    )
                    + 1
                )
                seq += 1
                answered = self._answer_at(msg, delay)
                out.append(
                    Message(
                        id=tweet_id(answered, brand, day, seq),
                        platform="x",
                        kind="brand_reply",
                        brand=brand,
                        person=None,
                        created=answered,
                        text=f"@{self.pop.x_handle[person]} {BRAND_REPLIES[msg.lang]}",
                        lang=msg.lang,
                        parent_id=msg.id,
                        answers=msg.id,
                        reply_to_person=int(person),
                    )
                )
        for idea in self.world.ideas_on(brand, day, "x"):
            seq += 1
            out.append(self._idea_message(idea, tweet_id(idea.created, brand, day, seq)))
        return out

    def reposts(self, brand: int, day: int) -> list[Message]:
        """Reposts of the mentions posted on `day` (by people; maybe days later): a repost
        carries the reposted Post's text after `RT @author:`, so it mentions the brand too,
        and it is gone when the Post it reposts is. Drawn from a stream of their own, so the
        mentions stay what they were without them. No message of a customer: truth.py lists
        them apart (the mentions timeline returns them, search no longer does)."""
        rng = rng_for(self.config.seed, "reposts", brand, day)
        out: list[Message] = []
        for msg in self.world.mentions(brand, day):
            if msg.person is None or msg.kind != "mention":
                continue
            for reposter in self.world.x_sampler(brand).draw(
                rng, int(rng.poisson(X_REPOSTS_PER_MENTION * self.pop.pull[msg.person]))
            ):
                if int(reposter) == int(msg.person):
                    continue
                at = msg.created + int(min(rng.exponential(6 * 3600), MAX_REPLY_DELAY)) + 1
                out.append(
                    Message(
                        id=tweet_id(at, brand, day, REPOST_SEQ + len(out)),
                        platform="x",
                        kind="repost",
                        brand=brand,
                        person=int(reposter),
                        created=at,
                        text=f"RT @{self.pop.x_handle[msg.person]}: {msg.text}",
                        lang=msg.lang,
                        deleted_at=msg.deleted_at,
                        reposted_id=msg.id,
                    )
                )
        return out

    def _crisis_mentions(
        self,
        crisis,
        day: int,
        hourly_rate: float,  # incidents.Crisis
    ) -> list[tuple[int, int, tuple[str, str] | None]]:
        """(person, time, labels) of the extra mentions of a crisis on `day`: on top of the
        usual ones, (multiplier - 1) times the brand's mean hourly rate, mostly complaints."""
        rng = rng_for(self.config.seed, "crisis", crisis.number, day)
        lo, hi = max(crisis.start, day * DAY), min(crisis.end, (day + 1) * DAY)
        n = int(rng.poisson((crisis.multiplier - 1) * hourly_rate * (hi - lo) / 3600))
        people = self.world.x_sampler(crisis.brand).draw(rng, n)
        times = rng.integers(lo, hi, n)
        negative = rng.random(n) < crisis.negative_share
        return [
            (int(p), int(t), ("complaint", "negative") if neg else None)
            for p, t, neg in zip(people, times, negative, strict=True)
        ]

    def _answer_at(self, message: Message, delay: int) -> int:
        """When the brand answers `message`, `delay` seconds after it unless its team is
        closed then (a holiday, an outage); never later than MAX_REPLY_DELAY."""
        planned = message.created + delay
        return min(
            self.world.incidents.answer_at(message.brand, planned),
            message.created + MAX_REPLY_DELAY,
        )

    # --- shared -------------------------------------------------------------------------

    def _message(
        self,
        rng,
        msg_id: str,
        platform: str,
        kind: str,
        brand: int,
        person: int,
        created: int,
        labels: tuple[str, str] | None = None,
        **links: str | None,
    ) -> Message:
        lang = message_language(self.pop.lang_code(person), msg_id)
        intent, sentiment = labels or pick_labels(rng, int(self.pop.disposition[person]))
        handle = BRANDS[brand].name if platform == "facebook" else f"@{BRANDS[brand].x_handle}"
        text = render(rng, lang, intent, sentiment, BRANDS[brand].name)
        if self.config.real_texts:
            text = real_text(lang, sentiment, self.config.seed, msg_id) or text
        if platform == "x":
            text = f"{handle} {text}"[:X_POST_CHARS]
        msg = Message(
            msg_id, platform, kind, brand, person, created, text, lang, sentiment, intent, **links
        )
        roll = rng.random()
        if platform == "facebook" and roll < 0.05:
            msg.edited_at = created + int(rng.integers(600, 20 * DAY))
            msg.edited_text = text + " (edited)"
        elif roll > 0.97:
            msg.deleted_at = created + int(rng.integers(600, 30 * DAY))
        return msg

    def _idea_message(self, idea, msg_id: str, **links: str | None) -> Message:
        lang = self.pop.lang_code(idea.person)
        text = render(
            rng_for(self.config.seed, "idea-text", idea.number),
            lang,
            "idea",
            "positive",
            BRANDS[idea.brand].name,
        )
        if idea.platform == "x":
            text = f"@{BRANDS[idea.brand].x_handle} {text}"
        return Message(
            msg_id,
            idea.platform,
            "visitor_post" if idea.platform == "facebook" else "mention",
            idea.brand,
            idea.person,
            idea.created,
            text,
            lang,
            "positive",
            "idea",
            idea_product=idea.product_id,
            **links,
        )


def _local_id(post: Post) -> str:
    """Comment ids are `<brand><post number>_<n>`: unique across pages, like Graph's."""
    return f"{post.brand + 1}{post.id.split('_', 1)[1]}"


def tweet_id(created: int, brand: int, day: int, seq: int) -> str:
    """Snowflake-like: ordered by time; the low 22 bits (day mod 4, brand, sequence in that
    brand's day) keep ids unique even for tweets in the same second."""
    if seq >= 1 << 18:
        raise ValueError("more than 262,143 tweets for one brand and day")
    # a brand past the fourth (an agency world) also in the id's milliseconds (created is in
    # whole seconds): the first four brands' ids are as they always were
    ms = WORLD_START_MS + created * 1000 + (brand >> 2)
    low = ((day % 4) << 20) | ((brand & 3) << 18) | seq
    return str(((ms - TWEPOCH_MS) << 22) | low)
