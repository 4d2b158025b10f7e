"""Spike alerts over a simulated quarter with planned crises, quiet holidays and reply outages
(simulator/incidents.py): the detector the live DAG runs (alerts/spikes.py), replayed every 10
minutes as the DAG would run it, each run seeing only the messages before it. Negatives are
the messages' true labels: the detector alone is measured here; `make bench` measures it on
what the pipeline landed and scored.

The world is the size of the benchmark's (BENCH_SCALE 1,000,000 events: our brand gets ~750
mentions a day, the smallest rival ~225): a crisis there adds 9x a brand's mean hourly rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from social_crm.alerts.spikes import SpikeRule, replay
from social_crm_dev import alert_quality
from social_crm_dev.simulator.config import WORLD_START, WorldConfig
from social_crm_dev.simulator.world import World

QUARTER = WorldConfig(seed=7, scale=4.7, days=98, crises=12, reply_outages=2)


@pytest.fixture(scope="module")
def quality() -> alert_quality.AlertQuality:
    world = World(QUARTER)
    # both channels: Facebook's comment waves after each post must not look like crises
    series = alert_quality.truth_series(world) | alert_quality.truth_facebook_series(world)
    end = WORLD_START + timedelta(seconds=world.clock)
    raised = replay(series, WORLD_START + timedelta(days=14), end, SpikeRule())
    return alert_quality.measure(world, [(key, at) for key, at, _ in raised])


def test_the_quarter_has_at_least_ten_crises(quality):
    assert quality.crises >= 10


def test_crises_are_alerted_within_30_minutes(quality):
    assert quality.recall >= 0.9, quality.lines()


def test_alerts_are_about_crises(quality):
    assert quality.precision >= 0.9, quality.lines()


def test_no_alert_on_quiet_holidays(quality):
    assert quality.alerts_on_quiet_holidays == 0
