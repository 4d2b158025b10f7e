"""Instagram in the world: the brands' media, people's comments, replies and the brand's
answers on our media, people's media that tag, @mention or hashtag a brand, comments that
@mention a brand, and each account's followers per day.

Everything comes from seeded streams of its own (one per brand and day, per media, per day of
people's media), so Facebook and X do not move when Instagram changes, and any page of any
endpoint is produced without generating the rest. Ids are digits, as Instagram's are:
media `179<kind><day:5><seq:6>` (kind 1-3 a brand's, 5 a person's), comments
`18<media id without 179><seq:5>`, hashtags `17843<12 digits>`; IG users (brands)
`178414...` (config.Brand.ig_user_id); people's Instagram-scoped ids (IGSID) 16 digits from
6100... (population.py).
"""

from __future__ import annotations

import calendar
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from social_crm_dev.simulator.activity import MAX_COMMENT_DELAY, Message, Sampler
from social_crm_dev.simulator.config import BRANDS, DAY, OUR_BRAND, WORLD_START
from social_crm_dev.simulator.rng import rng_for, stable_hash
from social_crm_dev.simulator.texts import pick_labels, real_text, render

# the campaign and generic hashtags people use (lower case, no '#')
HASHTAGS = ("fjordbrew", "kaffeklubben", "beanandco", "fika", "coffeetime", "specialtycoffee")
GENERIC_HASHTAGS = HASHTAGS[3:]
MEDIA_SHAPES = (  # (media_type, media_product_type, weight)
    ("IMAGE", "FEED", 0.45),
    ("CAROUSEL_ALBUM", "FEED", 0.2),
    ("VIDEO", "REELS", 0.35),
)
BRAND_ANSWER_SEQ = 90_000  # the brand's answers on a media are numbered from here
REPLY_ANSWER_SEQ = 95_000  # and its answers to replies (in their thread) from here
COUNTS_SETTLE = 2 * DAY  # a media's likes (and a rival's or person's comments) grow until then
UNIX_WORLD_START = calendar.timegm(WORLD_START.utctimetuple())
BUSINESS_CONVERSION = DAY // 2  # when our account last became a business account
# a person's media draws on average this many likes and comments (settled), times their pull
PERSON_MEDIA_LIKES = 25
PERSON_MEDIA_COMMENTS = 3


@dataclass
class IgMedia:
    """A media item: a brand's (`brand` set) or a person's (`person` set)."""

    id: str
    brand: int | None
    person: int | None
    created: int
    caption: str
    media_type: str
    product_type: str
    like_total: int  # likes once settled (the count grows to it over COUNTS_SETTLE)
    comment_total: int  # a rival's or person's comments once settled (ours: counted)
    deleted_at: int | None = None
    tagged: tuple[int, ...] = ()  # brands tagged in the media
    mentioned: tuple[int, ...] = ()  # brands @mentioned in the caption
    hashtags: tuple[str, ...] = ()
    lang: str = "en"
    sentiment: str | None = None
    intent: str | None = None
    comments: list[Message] | None = None  # our media: filled on demand (world.ig_comments)

    def visible(self, clock: int) -> bool:
        return self.created <= clock and (self.deleted_at is None or self.deleted_at > clock)

    @property
    def comments_enabled(self) -> bool:
        """A person may turn comments off on their media (one in five, seeded by its id):
        `mentioned_comment` then refuses the comments on it that @mention a brand."""
        return self.brand is not None or stable_hash(f"comments-off:{self.id}") % 5 != 0

    @property
    def before_business_conversion(self) -> bool:
        """Our media of the world's first half-day, posted before our account last became a
        business account: its insights are refused (#100 subcode 2108006)."""
        return self.brand == 0 and self.created < BUSINESS_CONVERSION

    @property
    def shortcode(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        value, code = stable_hash(self.id), ""
        for _ in range(11):
            value, digit = divmod(value, 64)
            code += alphabet[digit]
        return code

    @property
    def permalink(self) -> str:
        kind = "reel" if self.product_type == "REELS" else "p"
        return f"https://www.instagram.com/{kind}/{self.shortcode}/"

    def settled(self, total: int, clock: int) -> int:
        age = max(0, clock - self.created)
        return total if age >= COUNTS_SETTLE else int(total * age / COUNTS_SETTLE)


def media_id(kind: int, day: int, seq: int) -> str:
    return f"179{kind}{day:05d}{seq:06d}"


def hashtag_id(tag: str) -> str:
    return f"17843{stable_hash('hashtag:' + tag.lower()) % 10**12:012d}"


def unix(seconds: int) -> int:
    """World seconds -> Unix time (what webhook payloads carry)."""
    return UNIX_WORLD_START + int(seconds)


class InstagramWorld:
    """Instagram's items of a world, generated per brand and day (cached, bounded)."""

    def __init__(self, world) -> None:  # World imports this module
        self.world = world
        self.config = world.config
        self.pop = world.population
        self._days: OrderedDict[tuple, list] = OrderedDict()
        self._filled: OrderedDict[str, IgMedia] = OrderedDict()
        self._followers: dict[int, np.ndarray] = {}
        self._usernames = {
            name: i for i, name in enumerate(self.pop.ig_username) if name is not None
        }
        self._people_sampler: Sampler | None = None

    # --- people ---------------------------------------------------------------------------

    def sampler(self, brand: int) -> Sampler:
        return self.world._sampler("ig", brand, self.pop.ig_id)

    def people_sampler(self) -> Sampler:
        if self._people_sampler is None:
            weights = self.pop.activity * self.pop.affinity.sum(axis=1)
            self._people_sampler = Sampler(np.flatnonzero(self.pop.ig_id), weights)
        return self._people_sampler

    def person_by_username(self, username: str) -> int | None:
        return self._usernames.get(username.lower())

    def username(self, media: IgMedia) -> str:
        if media.brand is not None:
            return BRANDS[media.brand].ig_username
        return self.pop.ig_username[media.person]

    # --- caches ---------------------------------------------------------------------------

    def _cached(self, key: tuple, make) -> list:
        if key not in self._days:
            self._days[key] = make()
            if len(self._days) > 160:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(key)
        return self._days[key]

    # --- brands' media --------------------------------------------------------------------

    def brand_media_on(self, brand: int, day: int) -> list[IgMedia]:
        """A brand's media created on `day` (any visibility), oldest first."""
        return self._cached(("brand", brand, day), lambda: self._brand_media(brand, day))

    def _brand_media(self, brand: int, day: int) -> list[IgMedia]:
        cfg = self.config
        rng = rng_for(cfg.seed, "ig-media", brand, day)
        n = int(rng.poisson(cfg.ig_media_per_day))
        activity = BRANDS[brand].activity
        found = []
        for seq in range(n):
            created = day * DAY + int((10 + 9 * seq / max(1, n)) * 3600 + rng.integers(0, 3600))
            shape = MEDIA_SHAPES[int(rng.choice(3, p=[w for *_, w in MEDIA_SHAPES]))]
            product = ("espresso beans", "cold brew", "filter roast", "grinder")[(day + seq) % 4]
            media = IgMedia(
                id=media_id(brand + 1, day, seq),
                brand=brand,
                person=None,
                created=created,
                caption=f"{BRANDS[brand].name}: our {product} this week #{HASHTAGS[brand]}",
                media_type=shape[0],
                product_type=shape[1],
                like_total=int(rng.poisson(cfg.per_scale(cfg.ig_likes_per_media) * activity)),
                comment_total=int(rng.poisson(cfg.per_scale(cfg.ig_comments_per_media) * activity)),
                hashtags=(HASHTAGS[brand],),
            )
            if rng.random() < 0.02:  # the brand takes a media down now and then
                media.deleted_at = created + int(rng.integers(3600, 20 * DAY))
            found.append(media)
        return found

    def brand_media(self, brand: int, start: int = 0, end: int | None = None) -> list[IgMedia]:
        """A brand's visible media created in [start, end), oldest first."""
        clock = self.world.clock
        end = clock + 1 if end is None else min(end, clock + 1)
        return [
            m
            for day in range(max(0, start // DAY), (end - 1) // DAY + 1)
            for m in self.brand_media_on(brand, day)
            if start <= m.created < end and m.visible(clock)
        ]

    # --- comments on our media ------------------------------------------------------------

    def comments(self, media: IgMedia) -> list[Message]:
        """Every comment, reply and brand answer on a brand's media (any visibility), in
        time order; generated once per media (the last 64 kept)."""
        if media.comments is not None:
            return media.comments
        cached = self._filled.get(media.id)
        if cached is not None:
            self._filled.move_to_end(media.id)
            media.comments = cached.comments
            return media.comments
        media.comments = self._fill(media)
        self._filled[media.id] = media
        if len(self._filled) > 64:
            self._filled.popitem(last=False)[1].comments = None
        return media.comments

    def _fill(self, media: IgMedia) -> list[Message]:
        cfg = self.config
        brand = media.brand
        rng = rng_for(cfg.seed, "ig-comments", media.id)
        people = self.sampler(brand).draw(rng, media.comment_total)
        delays = np.minimum(
            rng.exponential(8 * 3600, len(people)).astype(np.int64) + 30, MAX_COMMENT_DELAY
        )
        local = media.id[3:]
        found: list[Message] = []
        seq = 0
        activity = self.world.activity
        for person, delay in zip(people.tolist(), delays.tolist(), strict=True):
            seq += 1
            comment = activity._message(
                rng,
                f"18{local}{seq:05d}",
                "instagram",
                "comment",
                brand,
                int(person),
                media.created + int(delay),
                post_id=media.id,
            )
            found.append(comment)
            pull = float(self.pop.pull[person])
            for _ in range(int(rng.poisson(min(0.9, cfg.ig_reply_share * pull)))):
                seq += 1
                replier = int(self.sampler(brand).draw(rng, 1)[0])
                found.append(
                    activity._message(
                        rng,
                        f"18{local}{seq:05d}",
                        "instagram",
                        "reply",
                        brand,
                        replier,
                        comment.created + int(rng.exponential(3 * 3600)) + 60,
                        parent_id=comment.id,
                        post_id=media.id,
                    )
                )
        answers = []
        for k, comment in enumerate(c for c in found if c.parent_id is None):
            if rng.random() >= BRANDS[brand].answer_rate:
                continue
            delay = int(rng.exponential(BRANDS[brand].median_reply_minutes * 60 / 0.69)) + 60
            answers.append(
                Message(
                    f"18{local}{BRAND_ANSWER_SEQ + k:05d}",
                    "instagram",
                    "brand_reply",
                    brand,
                    None,
                    activity._answer_at(comment, delay),
                    f"@{self.pop.ig_username[comment.person]} thanks for writing to us!",
                    "en",
                    parent_id=comment.id,
                    post_id=media.id,
                    answers=comment.id,
                )
            )
        # the brand answers people's replies too, in their thread: Meta files a reply to a
        # reply under the top-level comment (ig-comment/replies), so the answer's parent is
        # the thread's top-level comment (its own draws: the answers above keep theirs)
        rng = rng_for(cfg.seed, "ig-reply-answers", media.id)
        for k, reply in enumerate(c for c in found if c.parent_id is not None):
            if rng.random() >= BRANDS[brand].answer_rate:
                continue
            delay = int(rng.exponential(BRANDS[brand].median_reply_minutes * 60 / 0.69)) + 60
            answers.append(
                Message(
                    f"18{local}{REPLY_ANSWER_SEQ + k:05d}",
                    "instagram",
                    "brand_reply",
                    brand,
                    None,
                    activity._answer_at(reply, delay),
                    f"@{self.pop.ig_username[reply.person]} thanks, we are on it!",
                    "en",
                    parent_id=reply.parent_id,
                    post_id=media.id,
                    answers=reply.id,
                )
            )
        return sorted(found + answers, key=lambda c: (c.created, c.id))

    def visible_comments(self, media: IgMedia) -> list[Message]:
        """The visible comments of a media: a deleted comment takes its replies with it, as
        on Instagram."""
        clock = self.world.clock
        comments = self.comments(media)
        top = {c.id for c in comments if c.parent_id is None and c.visible(clock)}
        return [
            c for c in comments if c.visible(clock) and (c.parent_id is None or c.parent_id in top)
        ]

    def comments_count(self, media: IgMedia) -> int:
        """`comments_count`: visible comments and replies on the media (Meta counts replies);
        a rival's or person's media: its settled total."""
        clock = self.world.clock
        if media.brand is not None and media.brand == 0:
            return len(self.visible_comments(media))
        return media.settled(media.comment_total, clock)

    # --- people's media: tags, caption @mentions, hashtags --------------------------------

    def people_media_on(self, day: int) -> list[IgMedia]:
        """People's media created on `day` (any visibility), oldest first."""
        return self._cached(("people", day), lambda: self._people_media(day))

    def _people_media(self, day: int) -> list[IgMedia]:
        cfg = self.config
        rng = rng_for(cfg.seed, "ig-people-media", day)
        authors = self.people_sampler().draw(
            rng, int(rng.poisson(cfg.per_scale(cfg.ig_people_media_per_day)))
        )
        times = np.sort(rng.integers(0, DAY, len(authors)))
        found = []
        for seq, (person, at) in enumerate(zip(authors.tolist(), times.tolist(), strict=True)):
            weights = self.pop.affinity[person]
            brand = int(rng.choice(len(BRANDS), p=weights / weights.sum()))
            roll = rng.random(4)
            mentioned = (brand,) if roll[0] < 0.35 else ()
            tagged = (brand,) if roll[1] < 0.3 else ()
            tags = []
            if roll[2] < 0.5:
                tags.append(HASHTAGS[brand])
            tags += [GENERIC_HASHTAGS[i] for i in range(3) if roll[3] < 0.25 * (i + 1)][:2]
            intent, sentiment = pick_labels(rng, int(self.pop.disposition[person]))
            lang = self.pop.lang_code(person)
            text = render(rng, lang, intent, sentiment, BRANDS[brand].name)
            if self.config.real_texts:
                key = media_id(5, day, seq)
                text = real_text(lang, sentiment, self.config.seed, key) or text
            if mentioned:
                text = f"@{BRANDS[brand].ig_username} {text}"
            if tags:
                text += " " + " ".join(f"#{t}" for t in tags)
            shape = MEDIA_SHAPES[int(rng.choice(3, p=[w for *_, w in MEDIA_SHAPES]))]
            media = IgMedia(
                id=media_id(5, day, seq),
                brand=None,
                person=person,
                created=day * DAY + int(at),
                caption=text,
                media_type=shape[0],
                product_type=shape[1],
                like_total=int(rng.poisson(PERSON_MEDIA_LIKES * float(self.pop.pull[person]))),
                comment_total=int(
                    rng.poisson(PERSON_MEDIA_COMMENTS * float(self.pop.pull[person]))
                ),
                tagged=tagged,
                mentioned=mentioned,
                hashtags=tuple(dict.fromkeys(tags)),
                lang=lang,
                sentiment=sentiment,
                intent=intent,
            )
            if rng.random() < 0.03:
                media.deleted_at = media.created + int(rng.integers(3600, 30 * DAY))
            found.append(media)
        return found

    def people_media(self, start: int = 0, end: int | None = None) -> list[IgMedia]:
        """People's visible media created in [start, end), oldest first."""
        clock = self.world.clock
        end = clock + 1 if end is None else min(end, clock + 1)
        return [
            m
            for day in range(max(0, start // DAY), (end - 1) // DAY + 1)
            for m in self.people_media_on(day)
            if start <= m.created < end and m.visible(clock)
        ]

    def media(self, media_id_: str) -> IgMedia | None:
        """A visible media by id (a brand's or a person's), or None."""
        if len(media_id_) != 15 or not media_id_.startswith("179") or not media_id_.isdigit():
            return None
        kind, day, seq = int(media_id_[3]), int(media_id_[4:9]), int(media_id_[9:])
        if kind == 5:
            items = self.people_media_on(day)
        elif 1 <= kind <= len(BRANDS):
            items = self.brand_media_on(kind - 1, day)
        else:
            return None
        found = items[seq] if seq < len(items) and items[seq].id == media_id_ else None
        return found if found is not None and found.visible(self.world.clock) else None

    # --- comments that @mention a brand ---------------------------------------------------

    def comment_mentions_on(self, day: int) -> list[Message]:
        """People's comments on people's media of `day` that @mention a brand (any
        visibility), in time order (`post_id` = the media commented on)."""
        return self._cached(("comment-mentions", day), lambda: self._comment_mentions(day))

    def _comment_mentions(self, day: int) -> list[Message]:
        cfg = self.config
        media = self.people_media_on(day)
        if not media:
            return []
        rng = rng_for(cfg.seed, "ig-comment-mentions", day)
        people = self.people_sampler().draw(
            rng, int(rng.poisson(cfg.per_scale(cfg.ig_comment_mentions_per_day)))
        )
        found = []
        for seq, person in enumerate(people.tolist()):
            on = media[int(rng.integers(len(media)))]
            created = min(on.created + int(rng.exponential(2 * 3600)) + 30, (day + 1) * DAY - 1)
            weights = self.pop.affinity[person]
            brand = int(rng.choice(len(BRANDS), p=weights / weights.sum()))
            msg = self.world.activity._message(
                rng,
                f"18{on.id[3:]}{50_000 + seq:05d}",
                "instagram",
                "mention",
                brand,
                int(person),
                created,
                post_id=on.id,
            )
            msg.text = f"@{BRANDS[brand].ig_username} {msg.text}"
            found.append(msg)
        return sorted(found, key=lambda c: (c.created, c.id))

    def comment(self, comment_id: str) -> tuple[Message, IgMedia] | None:
        """A visible comment by id with its media (a comment on a brand's media, or a
        comment @mentioning a brand), or None."""
        if len(comment_id) != 19 or not comment_id.startswith("18") or not comment_id.isdigit():
            return None
        media = self.media("179" + comment_id[2:14])
        if media is None:
            return None
        clock = self.world.clock
        if media.brand == 0:
            found = (c for c in self.visible_comments(media) if c.id == comment_id)
        elif media.brand is not None:
            return None
        else:
            day = media.created // DAY
            found = (c for c in self.comment_mentions_on(day) if c.id == comment_id)
        comment = next(found, None)
        return (comment, media) if comment is not None and comment.visible(clock) else None

    # --- accounts -------------------------------------------------------------------------

    def followers(self, brand: int) -> np.ndarray:
        """Rows per day up to the clock: followers at end of day, follows, unfollows."""
        days = self.world.last_day + 1
        cached = self._followers.get(brand)
        if cached is None or len(cached) < days:
            scale, activity = self.config.scale, BRANDS[brand].activity
            count = round(2500 * scale * activity) + 120
            rows = []
            for day in range(days):
                rng = rng_for(self.config.seed, "ig-followers", brand, day)
                adds = int(rng.poisson(40 * scale * activity))
                removes = min(int(rng.poisson(12 * scale * activity)), count)
                count += adds - removes
                rows.append((count, adds, removes))
            self._followers[brand] = np.array(rows, dtype=np.int64)
        return self._followers[brand][:days]

    def follows_count(self, brand: int) -> int:
        return 140 + 37 * brand

    def media_count(self, brand: int) -> int:
        return len(self.brand_media(brand))

    # --- webhooks -------------------------------------------------------------------------

    def webhook_changes(self, start: int, end: int) -> list[tuple[str, str, str, dict, int]]:
        """What Meta would have sent our app for our Instagram account in [start, end) (world
        seconds, clipped to the clock): `comments` on our media (people's comments and
        replies, and our own answers: Meta notifies every comment on the account's media)
        and `mentions` (a caption @mentioning us: `{"media_id"}`; a comment @mentioning us:
        `{"comment_id", "media_id"}`), as (object, entry_id, field, value, time) with `time`
        in Unix seconds, in time order. Private accounts send none (our people are public)."""
        end = min(end, self.world.clock + 1)
        ours = OUR_BRAND.ig_user_id
        changes: list[tuple[int, str, str, dict]] = []
        first_day = max(0, (start - MAX_COMMENT_DELAY) // DAY)
        for day in range(first_day, (end - 1) // DAY + 1 if end > 0 else 0):
            for media in self.brand_media_on(0, day):
                if media.created >= end:
                    continue
                for c in self.comments(media):
                    if start <= c.created < end:
                        changes.append((c.created, c.id, "comments", self._comment_value(c, media)))
        for day in range(max(0, start // DAY), (end - 1) // DAY + 1 if end > 0 else 0):
            for media in self.people_media_on(day):
                if 0 in media.mentioned and start <= media.created < end:
                    changes.append((media.created, media.id, "mentions", {"media_id": media.id}))
            for c in self.comment_mentions_on(day):
                if c.brand == 0 and start <= c.created < end:
                    value = {"comment_id": c.id, "media_id": c.post_id}
                    changes.append((c.created, c.id, "mentions", value))
        changes.sort(key=lambda c: (c[0], c[1]))
        return [("instagram", ours, fld, value, unix(at)) for at, _, fld, value in changes]

    def _comment_value(self, comment: Message, media: IgMedia) -> dict:
        if comment.person is None:
            author = {"id": BRANDS[comment.brand].ig_user_id, "username": self.username(media)}
        else:
            author = {
                "id": str(int(self.pop.ig_id[comment.person])),
                "username": self.pop.ig_username[comment.person],
            }
        # Meta: "Webhook notifications for Comments on albums don't include the album ID"
        # (developers.facebook.com/docs/graph-api/webhooks/getting-started/
        # webhooks-for-instagram, Limitations): a carousel's comments come without it
        announced = {"id": media.id, "media_product_type": media.product_type}
        if media.media_type == "CAROUSEL_ALBUM":
            del announced["id"]
        value = {"from": author, "media": announced, "id": comment.id, "text": comment.text}
        if comment.parent_id:
            value["parent_id"] = comment.parent_id
        return value
