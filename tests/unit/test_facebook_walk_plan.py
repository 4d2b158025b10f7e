"""Which posts an hourly Facebook walk asks again for their comments or reactions."""

from datetime import UTC, datetime, timedelta

from social_crm.extract.facebook import needs_walk, recheck_period

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_an_unchanged_count_walked_recently_is_not_walked():
    assert not needs_walk(7, 7, NOW - timedelta(hours=1), NOW, DAY)


def test_a_count_that_moved_is_walked():
    assert needs_walk(8, 7, NOW - timedelta(hours=1), NOW, DAY)


def test_a_post_never_walked_is_walked():
    assert needs_walk(7, None, None, NOW, DAY)


def test_a_listing_without_a_count_is_walked():
    assert needs_walk(None, 7, NOW - timedelta(hours=1), NOW, DAY)


def test_an_unchanged_count_is_walked_again_when_its_period_ends():
    assert needs_walk(7, 7, NOW - DAY, NOW, DAY)


def test_recheck_periods_lie_between_half_and_one_and_a_half_times_the_hours():
    periods = [recheck_period(f"123_{n}", 24) for n in range(500)]
    assert min(periods) >= timedelta(hours=12)
    assert max(periods) < timedelta(hours=36)


def test_recheck_periods_spread_over_the_day():
    hours = {int(recheck_period(f"123_{n}", 24).total_seconds() // 3600) for n in range(500)}
    assert len(hours) == 24


def test_a_period_of_zero_walks_every_run_whatever_the_clocks():
    assert needs_walk(7, 7, NOW + timedelta(seconds=1), NOW, timedelta(0))
