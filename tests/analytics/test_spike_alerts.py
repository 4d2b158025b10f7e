"""Spike alerts over a simulated quarter with planned crises, quiet holidays and reply outages
(simulator/incidents.py): the detector the live DAG runs (alerts/spikes.py), replayed every 10
minutes as the DAG would run it, each run seeing only the messages before it. Negatives are
the messages' true labels: the detector alone is measured here; `make bench` measures it on
what the pipeline landed and scored.

The full world is the size of the benchmark's (BENCH_SCALE 1,000,000 events: our brand gets
~750 mentions a day, the smallest rival ~225): a crisis there adds 9x a brand's mean hourly
rate. It takes a minute and more, so `make eval` runs it; `make test` asserts the same floors
on the same quarter at 2/4.7 of that size (as many crises)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from social_crm.alerts.spikes import SpikeRule, replay
from social_crm_dev import alert_quality
from social_crm_dev.simulator.config import WORLD_START, WorldConfig
from social_crm_dev.simulator.world import World

pytestmark = pytest.mark.eval

QUARTER = WorldConfig(seed=7, scale=4.7, days=98, crises=12, reply_outages=2)
SMALLER_QUARTER = dataclasses.replace(QUARTER, scale=2.0)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(SMALLER_QUARTER, id="smaller"),
        pytest.param(QUARTER, id="1M_events", marks=pytest.mark.eval_only),
    ],
)
def quality(request) -> alert_quality.AlertQuality:
    world = World(request.param)
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
