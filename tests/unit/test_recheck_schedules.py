"""When a walk reads again what it has read before (Facebook posts, X Posts and accounts)."""

from datetime import UTC, datetime, timedelta

from social_crm.extract.recheck import checkpoint_due, is_due, needs_walk, recheck_period

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
DAY = timedelta(hours=24)
WEEK = timedelta(days=7)


CREATED_EARLY = NOW - timedelta(hours=30)  # its re-walk points: 24 h, 48 h, 96 h ... old


def test_an_unchanged_count_walked_since_its_last_rewalk_point_is_not_walked():
    assert not needs_walk(7, 7, NOW - timedelta(hours=1), NOW, CREATED_EARLY, DAY, WEEK)


def test_a_count_that_moved_is_walked():
    assert needs_walk(8, 7, NOW - timedelta(hours=1), NOW, CREATED_EARLY, DAY, WEEK)


def test_a_post_never_walked_is_walked():
    assert needs_walk(7, None, None, NOW, CREATED_EARLY, DAY, WEEK)


def test_a_count_the_listing_did_not_report_is_walked():
    assert needs_walk(None, 7, NOW - timedelta(hours=1), NOW, CREATED_EARLY, DAY, WEEK)


def test_a_post_that_passed_a_rewalk_point_since_its_last_walk_is_walked():
    # walked at 20 h old; now 30 h old: the 24 h point passed in between
    assert needs_walk(7, 7, NOW - timedelta(hours=10), NOW, CREATED_EARLY, DAY, WEEK)


def test_a_first_rewalk_of_zero_walks_every_run():
    assert needs_walk(7, 7, NOW + timedelta(seconds=1), NOW, CREATED_EARLY, timedelta(0), WEEK)


def test_account_periods_lie_between_half_and_one_and_a_half_times_the_hours():
    periods = [recheck_period(f"123_{n}", 24) for n in range(500)]
    assert min(periods) >= timedelta(hours=12) and max(periods) < timedelta(hours=36)


def test_account_periods_spread_over_the_day():
    hours = {int(recheck_period(f"123_{n}", 24).total_seconds() // 3600) for n in range(500)}
    assert len(hours) == 24


HOUR = timedelta(hours=1)
CREATED = NOW - timedelta(days=3)


def test_a_post_is_checked_when_a_checkpoint_passed_since_the_last_run():
    # checkpoints at ages 1, 2, 4 days: the 2-day one fell an hour into (since, now]
    since = CREATED + timedelta(days=2) - HOUR
    assert checkpoint_due(CREATED, since, since + 2 * HOUR, DAY, WEEK)


def test_a_post_between_checkpoints_is_not_checked():
    since = CREATED + timedelta(days=2, hours=1)
    assert not checkpoint_due(CREATED, since, since + HOUR, DAY, WEEK)


def test_a_post_younger_than_its_first_checkpoint_is_not_checked():
    created = NOW - 3 * HOUR
    assert not checkpoint_due(created, NOW - HOUR, NOW, DAY, WEEK)


def test_a_post_is_not_checked_past_the_horizon():
    created = NOW - timedelta(days=9)  # checkpoints 1, 2, 4 and 7 days: all before `since`
    assert not checkpoint_due(created, NOW - timedelta(days=2), NOW, DAY, WEEK)


def test_hourly_runs_check_a_post_at_each_checkpoint_and_as_it_leaves_the_window():
    created = NOW - timedelta(days=10)
    runs = [created + n * HOUR for n in range(24 * 10)]
    checks = sum(
        checkpoint_due(created, since, now, DAY, WEEK)
        for since, now in zip(runs, runs[1:], strict=False)
    )
    assert checks == 4  # at 1, 2 and 4 days old, and at 7 (the window's end)


def test_a_run_after_a_long_pause_checks_a_post_whose_checkpoints_it_missed():
    assert checkpoint_due(CREATED, CREATED, NOW, DAY, WEEK)


def test_an_account_never_walked_is_due():
    assert is_due(None, NOW, DAY)


def test_an_account_walked_within_its_period_is_not_due():
    assert not is_due(NOW - HOUR, NOW, DAY)
