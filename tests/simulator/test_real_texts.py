"""A world with real texts (`WorldConfig.real_texts`, `make bench`'s): each customer message
says what a real post of its language and sentiment says, drawn from the shared labelled train
splits (never dev, which the scorer is measured on); the world is otherwise the same."""

import dataclasses
import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm_dev import sentiment_data
from social_crm_dev.simulator import texts
from social_crm_dev.simulator.config import BRANDS
from social_crm_dev.simulator.world import World
from tests.simulator.conftest import SMALL

REAL = dataclasses.replace(SMALL, real_texts=True)


def _mentions(world: World) -> list:
    """The customers' X mentions of the brands (not the brands' replies, not the planned
    ideas: those keep their templates, whose #idea the idea detector reads)."""
    return [
        m
        for brand in range(len(BRANDS))
        for day in range(world.last_day + 1)
        for m in world.tweets_created_on(brand, day)
        if m.kind == "mention" and m.intent != "idea"
    ]


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=20), st.sampled_from(["negative", "neutral", "positive"]))
def test_a_real_text_is_a_train_text_of_its_label_and_never_a_dev_text(key, label):
    text = texts.real_text("no", label, 7, key)
    dev = {t for t, _ in sentiment_data.labelled("no", "dev")}
    assert text in texts.train_texts("no")[label] and text not in dev


def test_real_texts_change_the_texts_and_nothing_else():
    templated, real = _mentions(World(SMALL)), _mentions(World(REAL))
    shape = [(m.id, m.person, m.created, m.lang, m.sentiment, m.intent) for m in templated]
    assert [(m.id, m.person, m.created, m.lang, m.sentiment, m.intent) for m in real] == shape
    with_train = [m for m in real if texts.train_texts(m.lang)]
    assert with_train and all(
        texts.real_text(m.lang, m.sentiment, REAL.seed, m.id)[:200] in m.text for m in with_train
    )


def test_a_real_text_world_has_more_varied_and_longer_messages_than_the_templates():
    # the languages whose train texts are here (English's need `sentiment_data fetch`: without
    # them its messages keep their templates)
    templated, real = (
        [m for m in _mentions(World(config)) if texts.train_texts(m.lang)]
        for config in (SMALL, REAL)
    )

    def variety(ms):
        return len({m.text for m in ms}) / len(ms), statistics.mean(len(m.text) for m in ms)

    (t_distinct, t_length), (r_distinct, r_length) = variety(templated), variety(real)
    assert r_distinct > max(t_distinct, 0.95) and r_length > 1.5 * t_length


def test_a_post_with_a_real_text_keeps_to_xs_280_characters():
    assert max(len(m.text) for m in _mentions(World(REAL))) <= texts.X_POST_CHARS
