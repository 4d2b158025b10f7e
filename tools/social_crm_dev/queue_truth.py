"""What the live queue should hold, from the simulator's world: every customer message with
when it was written and when the brand answered it (answers in the world's future included,
so a replay can ask "answered by then?")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from social_crm_dev.simulator.activity import MAX_COMMENT_DELAY, Message
from social_crm_dev.simulator.config import BRANDS, DAY, MANAGED_PAGES, WORLD_START
from social_crm_dev.simulator.responses import to_datetime
from social_crm_dev.simulator.world import World


@dataclass(frozen=True)
class Written:
    message: Message
    written: datetime
    answered: datetime | None

    def waiting_at(self, at: datetime) -> bool:
        """Visible and not answered at `at`."""
        seconds = int((at - WORLD_START).total_seconds())
        return self.message.visible(seconds) and (self.answered is None or self.answered > at)


def customer_messages(world: World, since: datetime) -> dict[str, Written]:
    """Customer messages (comments, replies, visitor posts, mentions) written from `since` up
    to the world's clock, by id: on Facebook, on the Pages the brand manages only (a rival's
    comments are not read one by one: docs/rivals.md)."""
    lo = int((since - WORLD_START).total_seconds())
    found: dict[str, Message] = {}
    answers: dict[str, int] = {}
    for brand in range(len(BRANDS)):
        for day in range(max(0, lo // DAY - 4), world.last_day + 1):
            for m in world.tweets_created_on(brand, day):
                if m.answers:
                    answers[m.answers] = m.created
                elif lo <= m.created <= world.clock:
                    found[m.id] = m
        for kind in ("post", "visitor_post") if BRANDS[brand].page_id in MANAGED_PAGES else ():
            for post in world.posts(brand, kind):
                if post.created < lo - MAX_COMMENT_DELAY:
                    continue
                full = world.post(post.id)
                for m in ([post.author] if post.author else []) + list(full.comments):
                    if m.answers:
                        answers[m.answers] = m.created
                    elif m.person is not None and lo <= m.created <= world.clock:
                        found[m.id] = m
    answered = {key: to_datetime(at) for key, at in answers.items()}
    return {key: Written(m, to_datetime(m.created), answered.get(key)) for key, m in found.items()}
