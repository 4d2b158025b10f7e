"""A count an API answers (followers, fans, likes, insights values) that is not a whole number
from 0 to ten billion is unknown (null) and never stops the build (docs/data-model.md#influence):
one rule, the dbt macro whole_count, for X users, Facebook Pages and their insights, Instagram
accounts and media (an outside attack found the build stopped by them). Landed through the
extractors' own streams and landing batch (what a Graph answer with such a count lands), then
the real nightly build."""

from __future__ import annotations

import pytest

from social_crm.extract.facebook_streams import PAGE_INSIGHTS, PAGE_SNAPSHOTS
from social_crm.extract.instagram_streams import ACCOUNTS
from tests.end_to_end.conftest import copy_of, world_now

pytestmark = pytest.mark.integration

OUR_PAGE = "104000000000001"
IG_ACCOUNT = "17841400000000002"  # a rival's account (business discovery)


def _land(pipeline, stream, item, scope):
    engine = pipeline.facebook.engine
    with pipeline.connect() as conn, engine.batch(conn, stream) as batch:
        engine.land(stream, [item], batch, scope, stamp=world_now(pipeline.sim))
    return batch.result


def _build(pipeline):
    from social_crm.orchestration import nightly

    try:
        nightly.run_all(as_of=world_now(pipeline.sim))
    except Exception as exc:
        return exc
    return None


@pytest.fixture(scope="module")
def odd_counts(built, warehouse_url, tmp_path_factory):
    """Counts PostgreSQL's bigint holds but that are no real follower count: a negative Page
    count and an Instagram account with twenty billion followers."""
    folder = tmp_path_factory.mktemp("odd_counts") / "copy"
    with copy_of(built, warehouse_url, folder) as (pipeline, _):
        page = {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": -5}
        account = {
            "id": IG_ACCOUNT,
            "username": "big_account",
            "followers_count": 20_000_000_000,
            "follows_count": 1,
            "media_count": 1,
        }
        results = (
            _land(pipeline, PAGE_SNAPSHOTS, page, OUR_PAGE),
            _land(pipeline, ACCOUNTS, account, IG_ACCOUNT),
        )
        error = _build(pipeline)
        yield pipeline, results, error


def test_a_negative_page_follower_count_is_unknown_not_negative(odd_counts):
    pipeline, results, error = odd_counts
    assert results[0].landed == 1
    assert error is None, error
    counts = pipeline.rows(
        "select followers_count from staging.stg_facebook__page_snapshots"
        " where followers_count < 0 or followers_count > 10000000000"
    )
    assert counts == [], f"Page follower counts outside 0..ten billion kept: {counts}"


def test_an_instagram_count_above_ten_billion_is_unknown(odd_counts):
    pipeline, results, error = odd_counts
    assert results[1].landed == 1
    assert error is None, error
    counts = pipeline.rows(
        "select followers_count from staging.stg_instagram__accounts"
        " where followers_count > 10000000000"
    )
    assert counts == [], f"Instagram follower counts above ten billion kept: {counts}"


@pytest.mark.parametrize(
    ("stream", "item", "scope"),
    [
        pytest.param(
            PAGE_SNAPSHOTS,
            {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": 1500.5},
            OUR_PAGE,
            id="facebook-page-fractional",
        ),
        pytest.param(
            ACCOUNTS,
            {"id": IG_ACCOUNT, "username": "huge_account", "followers_count": 10**19},
            IG_ACCOUNT,
            id="instagram-account-1e19",
        ),
        pytest.param(
            PAGE_INSIGHTS,
            {
                "page_id": OUR_PAGE,
                "metric": "page_follows",  # the Page's follower count (brand_daily_metrics)
                "value": 10**19,
                "end_time": "2026-04-02T07:00:00+0000",
            },
            OUR_PAGE,
            id="facebook-page_follows-1e19",
        ),
        pytest.param(
            PAGE_INSIGHTS,
            {
                "page_id": OUR_PAGE,
                "metric": "page_follows",
                "value": True,  # a bool is an int to the extractor's check
                "end_time": "2026-04-02T07:00:00+0000",
            },
            OUR_PAGE,
            id="facebook-page_follows-true",
        ),
    ],
)
def test_an_odd_follower_count_never_stops_the_build(
    built, warehouse_url, tmp_path, stream, item, scope
):
    with copy_of(built, warehouse_url, tmp_path / "copy") as (pipeline, _):
        result = _land(pipeline, stream, item, scope)
        assert (result.landed, result.quarantined) == (1, 0)  # landed, not refused
        error = _build(pipeline)
        count = item.get("followers_count", item.get("value"))
        assert error is None, f"the build stopped on follower count {count!r}: {error}"


def test_builds_publish_after_an_odd_page_count_and_after_the_real_one(
    built, warehouse_url, tmp_path
):
    """One odd answer, then the Page's real count again (the next hourly snapshot): both builds
    publish. Staging keeps every version of a Page's snapshot, so the odd one is read by every
    build after."""
    with copy_of(built, warehouse_url, tmp_path / "copy") as (pipeline, _):
        odd = {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": 1500.5}
        _land(pipeline, PAGE_SNAPSHOTS, odd, OUR_PAGE)
        assert _build(pipeline) is None
        good = {"id": OUR_PAGE, "name": "Our Page", "fan_count": 10, "followers_count": 1500}
        assert _land(pipeline, PAGE_SNAPSHOTS, good, OUR_PAGE).landed == 1
        error = _build(pipeline)
        assert error is None, f"every build after one odd Page answer fails: {error}"
