"""The live cycle against the simulator (real HTTP) and a real PostgreSQL: after a nightly
build, the clock moves 10 minutes at a time and `live.run_all` runs each time, as the
`social_crm_live` DAG does. One scenario is played once (module fixture) and recorded; each
test checks one property of the record against the simulator's truth.

Scenario: three weeks of history up to a Friday 10:00 UTC (our care team is open); our brand's
replies stop for an hour (an outage); two quiet cycles; then a crisis of our brand's X
mentions (x10, mostly complaints) for two hours, during which the cycles go on."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
import pytest

from social_crm.orchestration import live
from social_crm.warehouse import migrations
from social_crm_dev import queue_truth, service_hours
from social_crm_dev.settings import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN
from social_crm_dev.simulator.config import WORLD_START, WorldConfig
from social_crm_dev.simulator.server import SimulatorServer
from social_crm_dev.simulator.world import World
from tests.databases import new_database
from tests.end_to_end.conftest import (
    Pipeline,
    Truth,
    land_crm_export,
    nightly_build,
    test_x_profile,
)
from tests.webhook import receiving_webhook

pytestmark = pytest.mark.integration

WORLD = WorldConfig(seed=23, scale=0.3, days=22)
CYCLE = timedelta(minutes=10)
QUIET_CYCLES = 2
CRISIS_CYCLES = 7
OURS = 0
QUEUE_DAYS = 7  # dbt var queue_max_age_days
OPEN_HOUR = timedelta(hours=10)  # the history ends on a Friday at 10:00 UTC
OUTAGE_HOURS = 1


@dataclass(frozen=True)
class Queued:
    brand: str
    channel: str
    priority: str
    waited_business_seconds: int
    is_sla_breached: bool


@dataclass
class Cycle:
    as_of: datetime
    rows: dict[str, Queued]
    step_seconds: dict[str, float]

    @property
    def queue(self) -> set[str]:
        return set(self.rows)


@dataclass
class Played:
    sim: SimulatorServer
    world: World
    db: object
    cycles: list[Cycle] = field(default_factory=list)
    crisis_start: datetime | None = None
    webhook: list[dict] = field(default_factory=list)
    _truth: dict | None = None

    def rows(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.db.libpq()) as conn:
            return conn.execute(query, params).fetchall()

    def now(self) -> datetime:
        return WORLD_START + timedelta(seconds=self.world.clock)

    def truth(self) -> dict[str, queue_truth.Written]:
        """Every customer message of the queue's window before the scenario's end."""
        if self._truth is None:
            since = self.now() - timedelta(days=QUEUE_DAYS + 1)
            self._truth = queue_truth.customer_messages(self.world, since)
        return self._truth

    def waiting(self, lo: datetime, hi: datetime) -> set[str]:
        """Messages written in [lo, hi), visible and not answered at `hi`."""
        return {k for k, w in self.truth().items() if lo <= w.written < hi and w.waiting_at(hi)}

    def answered_by(self, message_id: str, at: datetime) -> bool:
        answered = self.truth()[message_id].answered
        return answered is not None and answered <= at


@pytest.fixture(scope="module")
def played(warehouse_url, tmp_path_factory) -> Played:
    """History landed and built by the nightly; then the live cycles, recorded."""
    world = World(WORLD)
    world.advance(seconds=int(OPEN_HOUR.total_seconds()))
    folder = tmp_path_factory.mktemp("live")
    with (
        SimulatorServer(world, x_profile=test_x_profile()) as sim,
        new_database(warehouse_url) as db,
        pytest.MonkeyPatch.context() as env,
        ExitStack() as stack,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        pipeline = Pipeline(sim, db)
        pipeline.run()
        land_crm_export(pipeline.connect, Truth(world, folder / "truth"))
        env.setenv("WAREHOUSE_URL", db.libpq())
        for prefix, token in (("FACEBOOK_GRAPH", DEFAULT_FB_TOKEN), ("X_API", DEFAULT_X_TOKEN)):
            env.setenv(f"{prefix}_URL", sim.url)
            env.setenv(f"{prefix}_TOKEN", token)
        hook_url, received = stack.enter_context(receiving_webhook())
        env.setenv("SOCIAL_CRM_ALERT_WEBHOOK", hook_url)
        played = Played(sim, world, db, webhook=received)
        nightly_build(as_of=played.now())
        world.start_outage(OURS, hours=OUTAGE_HOURS)
        for number in range(QUIET_CYCLES + CRISIS_CYCLES):
            if number == QUIET_CYCLES:
                world.start_crisis(OURS, hours=2)
                played.crisis_start = played.now()
            world.advance(seconds=int(CYCLE.total_seconds()))
            result = live.run_all(as_of=played.now())
            rows = {
                r[0]: Queued(*r[1:])
                for r in played.rows(
                    "select message_id, brand_key, channel, priority, waited_business_seconds,"
                    " is_sla_breached from marts.open_conversations"
                )
            }
            played.cycles.append(Cycle(played.now(), rows, result["step_seconds"]))
        yield played


def test_a_new_message_is_in_the_queue_after_the_next_cycle(played):
    checked = 0
    for before, after in zip(played.cycles, played.cycles[1:], strict=False):
        waiting = played.waiting(before.as_of, after.as_of)
        assert waiting - after.queue == set()
        checked += len(waiting)
    assert checked > 10, "the scenario writes messages"


def test_a_message_leaves_the_queue_only_when_answered_deleted_or_too_old(played):
    answered = set()
    for before, after in zip(played.cycles, played.cycles[1:], strict=False):
        for message_id in before.queue - after.queue:
            written = played.truth()[message_id]
            if played.answered_by(message_id, after.as_of):
                answered.add(message_id)
            else:
                assert not written.waiting_at(
                    after.as_of
                ) or after.as_of - written.written > timedelta(days=QUEUE_DAYS), message_id
    assert answered, "some message was answered during the scenario"


def test_the_crisis_is_alerted_within_30_minutes(played):
    alerts = played.rows(
        "select as_of, kind from meta.alerts where brand_key = 'ours' and channel = 'x'"
        " and kind in ('volume_spike', 'negative_spike')"
    )
    assert alerts
    first = min(at for at, _ in alerts)
    assert played.crisis_start <= first <= played.crisis_start + timedelta(minutes=30)


def test_one_crisis_is_one_alert(played):
    spikes = played.rows(
        "select brand_key, channel from meta.alerts where kind in ('volume_spike',"
        " 'negative_spike')"
    )
    assert spikes == [("ours", "x")]


def test_a_message_past_its_sla_is_alerted_once(played):
    breached = played.rows(
        "select message_id, count(*) from meta.alerts where kind = 'sla_breach' group by 1"
    )
    assert breached
    assert {n for _, n in breached} == {1}
    posted = [b for b in played.webhook if b.get("alert", {}).get("kind") == "sla_breach"]
    assert len(posted) == min(len(breached), len(posted)) and posted
    assert all(b["alert"]["message_url"].startswith("https://") for b in posted)


def test_alerts_are_only_for_high_priority_messages_of_our_brand(played):
    rows = played.rows(
        "select a.brand_key, o.priority from meta.alerts a"
        " left join marts.open_conversations o using (message_id) where a.kind = 'sla_breach'"
    )
    assert {brand for brand, _ in rows} == {"ours"}
    assert {priority for _, priority in rows} <= {"high", None}  # None: answered since


def queued_with_truth(played):
    """(cycle, message id, its queue row, its truth) for every queued message the truth's
    window holds, cycle by cycle."""
    for cycle in played.cycles:
        for message_id, row in cycle.rows.items():
            written = played.truth().get(message_id)
            if written is not None:
                yield cycle, message_id, row, written


def test_business_waits_equal_an_independent_business_clock(played):
    hours = service_hours.load()
    compared = 0
    for cycle, message_id, row, written in queued_with_truth(played):
        expected = hours.business_seconds(row.brand, row.channel, written.written, cycle.as_of)
        assert row.waited_business_seconds == expected, message_id
        compared += 1
    assert compared > 1000


def test_sla_breaches_equal_the_truth_where_the_priority_does(played):
    hours = service_hours.load()
    compared = 0
    for cycle, message_id, row, written in queued_with_truth(played):
        labels = written.message.intent, written.message.sentiment
        if service_hours.priority(*labels) != row.priority:
            continue  # the sentiment model read it otherwise: another priority, target
        where = (row.brand, row.channel, row.priority, written.written)
        assert row.is_sla_breached == hours.breached(*where, cycle.as_of), message_id
        compared += 1
    assert compared > 1000


def test_high_priority_messages_breaching_during_the_outage_are_alerted_in_that_cycle(played):
    hours = service_hours.load()
    alerted = {
        message_id: as_of
        for message_id, as_of in played.rows(
            "select message_id, as_of from meta.alerts where kind = 'sla_breach'"
        )
    }
    expected = 0
    for before, cycle in zip(played.cycles, played.cycles[1:], strict=False):
        for message_id, row in cycle.rows.items():
            written = played.truth().get(message_id)
            if row.brand != "ours" or row.priority != "high" or written is None:
                continue
            where = (row.brand, row.channel, "high", written.written)
            breached_now = hours.breached(*where, cycle.as_of)
            breached_before = hours.breached(*where, before.as_of)
            if breached_now and not breached_before:
                assert alerted.get(message_id) == cycle.as_of, message_id
                expected += 1
    assert expected > 0, "the outage leaves high-priority messages waiting past their SLA"
