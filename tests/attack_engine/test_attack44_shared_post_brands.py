"""Outside attack on issue 44's per-brand extraction (promise 1): a Post two brands share lands
once and is attributed to each brand it names.

Mapped per brand, a Post whose text names two tracked brands (a customer comparing them) is
found by both brands' searches and landed under the brand whose walk landed it first
(`brand_handle`); the marts give it to every other brand whose @handle its text names
(`int_x_engagements_conformed`, the `x_post_mentions` macro). X reads a mention after either
at sign, `@` or the full-width `＠` (twitter-text, js/src/regexp/atSigns.js:
`atSigns = /[@＠]/`), in any case, and a search's mention operator matches it (the Post is in
both searches: docs.x.com/x-api/posts/search/integrate/build-a-query).

On a copy of the built test world (real embedded PostgreSQL, the simulator's world extracted
and built), shared Posts landed by rival_a's walk (their `brand_handle` is kaffeklubben's)
that name rival_b (`beanandco`) in each of the ways a person writes a mention; one nightly
build up to the marts reads them all, and each test checks that rival_b has its mention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from tests.end_to_end.conftest import (  # noqa: F401 - the fixtures the copy is made from
    built,
    built_once,
    copy_of,
    extracted_once,
    nightly_build,
    world_now,
)

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]

FIRST = "kaffeklubben"  # the brand whose walk landed the Post first (rival_a)
SECOND = ("rival_b", "beanandco")  # the other brand its text names
# how a person names the second brand, by name: each a Post of its own
TEXTS = {
    "at sign": "@kaffeklubben is nicer than @beanandco",
    "full-width at sign": "@kaffeklubben is nicer than \uff20beanandco",
    "full-width at sign first": "\uff20beanandco or @kaffeklubben?",
    "capitals": "@kaffeklubben is nicer than @BeanAndCo",
    "end of a sentence": "@kaffeklubben is nicer than @beanandco.",
}
POST_IDS = {name: f"19{n + 1:017d}" for n, name in enumerate(TEXTS)}


@pytest.fixture(scope="module")
def engagements(built, warehouse_url, tmp_path_factory) -> Iterator[dict[str, set[str]]]:  # noqa: F811
    """The brands each shared Post is an engagement of, after the build, by name."""
    folder = tmp_path_factory.mktemp("shared") / "w"
    with copy_of(built, warehouse_url, folder) as (pipeline, _):
        author = pipeline.rows(
            "select author_profile_id from staging.stg_x__tweets where author_profile_id not in"
            " (select x_user_id from staging.brands where x_user_id is not null)"
            " order by tweet_id limit 1"
        )[0][0]
        at = world_now(pipeline.sim) - timedelta(hours=1)
        with pipeline.connect() as conn, LandingBatch(conn, "x", "tweets", api_version="2") as b:
            for name, text in TEXTS.items():
                post_id = POST_IDS[name]
                b.add(
                    RawRecord(
                        post_id,
                        {
                            "id": post_id,
                            "lang": "en",
                            "text": text,
                            "author_id": author,
                            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            "conversation_id": post_id,
                            "edit_history_tweet_ids": [post_id],
                            "brand_handle": FIRST,
                        },
                        scope_key=FIRST,
                        event_at=at,
                    )
                )
        nightly_build(as_of=world_now(pipeline.sim), until="dbt_marts")
        found: dict[str, set[str]] = {name: set() for name in TEXTS}
        names = {post_id: name for name, post_id in POST_IDS.items()}
        for message_id, brand_key in pipeline.rows(
            "select message_id, brand_key from intermediate.int_engagements_unified"
            " where platform = 'x' and message_id = any(%s)",
            list(POST_IDS.values()),
        ):
            found[names[message_id]].add(brand_key)
        yield found


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_a_shared_post_is_a_mention_of_the_second_brand_it_names(engagements, name):
    assert SECOND[0] in engagements[name], (TEXTS[name], engagements[name])


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_a_shared_post_stays_a_mention_of_the_brand_whose_walk_landed_it(engagements, name):
    assert "rival_a" in engagements[name], (TEXTS[name], engagements[name])
