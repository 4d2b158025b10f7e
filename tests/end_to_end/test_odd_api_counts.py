"""A count an API answers (followers, fans, likes, insights values) that is not a whole number
from 0 to ten billion is unknown (null) and never stops the build (docs/data-model.md#influence):
one rule, the dbt macro whole_count, for X users, Facebook Pages and their insights, Instagram
accounts and media (an outside attack found the build stopped by them). Landed through the
extractors' own streams and landing batch (what a Graph answer with such a count lands), then
the real nightly build.

Every odd count is landed on a key of its own (a Page snapshot's every version is kept, an
insights value's key is its Page, metric and day, an Instagram account's its id and day) in one
copy of the built world, and one nightly build reads them all: a count that stopped the build
stops that build. (Before, a build per count: seven builds, now two.)"""

from __future__ import annotations

import pytest

from social_crm.extract.facebook_streams import PAGE_INSIGHTS, PAGE_SNAPSHOTS
from social_crm.extract.instagram_streams import ACCOUNTS
from tests.end_to_end.conftest import copy_of, nightly_build, world_now

pytestmark = pytest.mark.integration

OUR_PAGE = "104000000000001"
RIVAL_ACCOUNTS = ("17841400000000002", "17841400000000003")  # business discovery

# (stream, answered item, scope): counts PostgreSQL's bigint holds but that are no real count
# (a negative Page count, twenty billion followers), and counts it does not hold or that are no
# whole number (a fraction, 1e19, a JSON true: a bool is an int to the extractor's check)
NEGATIVE_PAGE = (
    PAGE_SNAPSHOTS,
    {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": -5},
    OUR_PAGE,
)
INSTAGRAM_20_BILLION = (
    ACCOUNTS,
    {
        "id": RIVAL_ACCOUNTS[0],
        "username": "big_account",
        "followers_count": 20_000_000_000,
        "follows_count": 1,
        "media_count": 1,
    },
    RIVAL_ACCOUNTS[0],
)
ODD_COUNTS = {
    "facebook-page-fractional": (
        PAGE_SNAPSHOTS,
        {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": 1500.5},
        OUR_PAGE,
    ),
    "instagram-account-1e19": (
        ACCOUNTS,
        {"id": RIVAL_ACCOUNTS[1], "username": "huge_account", "followers_count": 10**19},
        RIVAL_ACCOUNTS[1],
    ),
    "facebook-page_follows-1e19": (
        PAGE_INSIGHTS,
        {
            "page_id": OUR_PAGE,
            "metric": "page_follows",  # the Page's follower count (brand_daily_metrics)
            "value": 10**19,
            "end_time": "2026-04-02T07:00:00+0000",
        },
        OUR_PAGE,
    ),
    "facebook-page_follows-true": (
        PAGE_INSIGHTS,
        {
            "page_id": OUR_PAGE,
            "metric": "page_follows",
            "value": True,
            "end_time": "2026-04-03T07:00:00+0000",  # (a day of its own: another key)
        },
        OUR_PAGE,
    ),
}


def _land(pipeline, stream, item, scope):
    engine = pipeline.facebook.engine
    with pipeline.connect() as conn, engine.batch(conn, stream) as batch:
        engine.land(stream, [item], batch, scope, stamp=world_now(pipeline.sim))
    return batch.result


def _build(pipeline):
    try:
        nightly_build(as_of=world_now(pipeline.sim))
    except Exception as exc:
        return exc
    return None


@pytest.fixture(scope="module")
def odd_counts(built, warehouse_url, tmp_path_factory):
    """A copy of the built world with every odd count landed, each in a batch of its own, then
    one nightly build: (pipeline, truth), what each landing returned by name, the build's
    error (None when it published)."""
    folder = tmp_path_factory.mktemp("odd_counts") / "copy"
    with copy_of(built, warehouse_url, folder) as (pipeline, truth):
        landings = {"negative-page": NEGATIVE_PAGE, "instagram-2e10": INSTAGRAM_20_BILLION}
        results = {
            name: _land(pipeline, *landing) for name, landing in {**landings, **ODD_COUNTS}.items()
        }
        error = _build(pipeline)
        yield (pipeline, truth), results, error


def test_a_negative_page_follower_count_is_unknown_not_negative(odd_counts):
    (pipeline, _), results, error = odd_counts
    assert results["negative-page"].landed == 1
    assert error is None, error
    counts = pipeline.rows(
        "select followers_count from staging.stg_facebook__page_snapshots"
        " where followers_count < 0 or followers_count > 10000000000"
    )
    assert counts == [], f"Page follower counts outside 0..ten billion kept: {counts}"


def test_an_instagram_count_above_ten_billion_is_unknown(odd_counts):
    (pipeline, _), results, error = odd_counts
    assert results["instagram-2e10"].landed == 1
    assert error is None, error
    counts = pipeline.rows(
        "select followers_count from staging.stg_instagram__accounts"
        " where followers_count > 10000000000"
    )
    assert counts == [], f"Instagram follower counts above ten billion kept: {counts}"


@pytest.mark.parametrize("name", sorted(ODD_COUNTS))
def test_an_odd_follower_count_never_stops_the_build(odd_counts, name):
    _, results, error = odd_counts
    result = results[name]
    assert (result.landed, result.quarantined) == (1, 0)  # landed, not refused
    item = ODD_COUNTS[name][1]
    count = item.get("followers_count", item.get("value"))
    assert error is None, f"the build stopped on follower count {count!r} (or another): {error}"


def test_builds_publish_after_an_odd_page_count_and_after_the_real_one(
    odd_counts, warehouse_url, tmp_path
):
    """One odd answer (the module's build published after the fractional count), then the
    Page's real count again (the next hourly snapshot): the build after publishes too. Staging
    keeps every version of a Page's snapshot, so the odd one is read by every build after."""
    world, _, error = odd_counts
    assert error is None, error
    with copy_of(world, warehouse_url, tmp_path / "copy") as (pipeline, _):
        good = {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": 1500}
        assert _land(pipeline, PAGE_SNAPSHOTS, good, OUR_PAGE).landed == 1
        error = _build(pipeline)
        assert error is None, f"every build after one odd Page answer fails: {error}"
