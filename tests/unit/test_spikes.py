"""The spike detector's rules on hand-made slot series (alerts/spikes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from social_crm.alerts.spikes import (
    SLOT,
    WEEK,
    Episodes,
    SlotSeries,
    SpikeRule,
    assess,
    replay,
    slot_start,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday noon
RULE = SpikeRule()


def steady(weeks: int, per_slot: int = 1, negatives: int = 0) -> SlotSeries:
    """`weeks` weeks before NOW with `per_slot` messages in every 10-minute slot."""
    series = SlotSeries(known_since=NOW - weeks * WEEK - timedelta(hours=3))
    at = series.known_since
    while at < NOW:
        series.add(at, per_slot, negatives)
        at += SLOT
    return series


def burst(series: SlotSeries, end: datetime, messages: int, negatives: int) -> None:
    """`messages` (of them `negatives` negative) spread over the 30 minutes before `end`."""
    for k in range(3):
        series.add(end - (k + 1) * SLOT, messages // 3, negatives // 3)


def kinds(series: SlotSeries, now: datetime = NOW) -> list[str]:
    return [s.kind for s in assess(series.counts(now, RULE), RULE)]


def test_slot_start_rounds_down_to_ten_minutes():
    assert slot_start(datetime(2026, 3, 2, 12, 19, 59, tzinfo=UTC)) == NOW + timedelta(minutes=10)


def test_a_usual_window_is_no_spike():
    assert kinds(steady(4)) == []


def test_ten_times_the_usual_volume_is_a_volume_spike():
    series = steady(4)
    burst(series, NOW, 27, 0)
    assert kinds(series) == ["volume_spike"]


def test_mostly_negative_messages_are_a_negative_spike():
    series = steady(4)
    burst(series, NOW, 12, 12)
    assert "negative_spike" in kinds(series)


def test_no_alert_without_two_weeks_of_history():
    series = steady(1)
    burst(series, NOW, 60, 60)
    assert kinds(series) == []


def test_the_baseline_is_the_same_hour_of_the_week():
    # busy every Monday noon (30 in the half hour), quiet the rest of the week
    series = steady(4, per_slot=0)
    for week in range(5):
        burst(series, NOW - week * WEEK, 30, 0)
    assert kinds(series) == []
    burst(series, NOW - timedelta(hours=6), 30, 0)  # the same volume at 6 in the morning
    assert kinds(series, NOW - timedelta(hours=6)) == ["volume_spike"]


def test_a_past_crisis_at_this_hour_does_not_hide_the_next():
    series = steady(4)
    burst(series, NOW - 2 * WEEK, 90, 80)
    burst(series, NOW, 27, 0)
    assert kinds(series) == ["volume_spike"]


def test_a_trigger_within_the_cool_down_is_the_same_episode():
    episodes = Episodes()
    key = ("ours", "x")
    assert episodes.observe(key, NOW, RULE)
    assert not episodes.observe(key, NOW + timedelta(hours=2), RULE)
    # triggering again keeps the episode going: the cool-down counts from the last trigger
    assert not episodes.observe(key, NOW + timedelta(hours=7), RULE)
    assert episodes.observe(key, NOW + timedelta(hours=14), RULE)


def test_a_replayed_crisis_is_one_alert():
    series = steady(4)
    for k in range(12):  # two hours at ten times the usual volume
        series.add(NOW - k * SLOT, 10, 8)
    raised = replay({("ours", "x"): series}, NOW - timedelta(hours=3), NOW, RULE)
    assert [(key, at) for key, at, _ in raised] == [(("ours", "x"), NOW - timedelta(minutes=100))]


def test_an_alert_text_says_what_rose_and_against_what():
    from social_crm.alerts.run import spike_text

    series = steady(4, per_slot=1)
    burst(series, NOW, 30, 24)
    found = assess(series.counts(NOW, RULE), RULE)
    text, details = spike_text(("ours", "x"), found, NOW, RULE, {"ours": "Fjordbrew"})
    assert text == (
        "social_crm: spike for Fjordbrew on x at 2026-03-02 12:00 UTC: 33 messages in the"
        " last 30 minutes, 11.0x the usual 3 for this hour of the week; 24 negative (73% of"
        " them; usually 0%), 192.0x the usual 0.12"
    )
    assert set(details) == {"window_minutes", "volume_spike", "negative_spike"}
