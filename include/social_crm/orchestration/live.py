"""The work of the live queue's steps: each function is called by one task of the
`social_crm_live` DAG (every 10 minutes); the order is the step table `pipelines.LIVE`, which
`run_all` runs in one process (CLI, demo, bench, tests).

New comments, visitor posts and mentions land (the live walks: recent posts' comments, X since
the newest tweet seen), pass the raw gate, merge into the message models, get scored, and the
queue `open_conversations` is rebuilt, validated and published alone; then the alerts.

A platform whose hourly extraction is landing right now is skipped for this cycle (that run
lands the same messages); a platform with no connection at all is skipped, not failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from social_crm import warehouse
from social_crm.extract import credentials
from social_crm.load.landing import BatchBusy
from social_crm.orchestration import extraction, nightly
from social_crm.serve import publish
from social_crm.transform import dbt_runner
from social_crm.transform.dbt_selections import LIVE_MESSAGES, LIVE_QUEUE
from social_crm.warehouse import relation_oid

log = logging.getLogger(__name__)

QUEUE_MARTS = ("open_conversations",)
WALKS: dict[str, tuple[str, Callable[..., list[str]]]] = {
    "facebook": (credentials.FACEBOOK, extraction.run_facebook_live),
    "instagram": (credentials.INSTAGRAM, extraction.run_instagram_live),
    "x": (credentials.X, extraction.run_x_live),
}


def extract_new_messages(platform: str, interval: extraction.Interval = (None, None)) -> list[str]:
    """The platform's live walk; skipped (with a log line) when the platform has no connection
    or its hourly extraction holds the landing lock."""
    connection_id, walk = WALKS[platform]
    if not credentials.is_configured(connection_id):
        log.info("live: %s is not configured (connection %s); skipped", platform, connection_id)
        return [f"{platform}: not configured"]
    try:
        return walk(interval)
    except BatchBusy as exc:
        log.warning(
            "live: %s skipped this cycle: %s (the hourly extraction lands it)", platform, exc
        )
        return [f"{platform}: skipped, {exc}"]


def validate_raw() -> int:
    """The raw gate on the batches just landed (the staging models merge only what passed),
    with a Data Docs history of its own (one run every 10 minutes would push the nightly's
    out)."""
    from social_crm.orchestration.pipelines import LIVE
    from social_crm.quality.gate import require_valid_raw

    return require_valid_raw(warehouse.resolve(), pipeline=LIVE.dag_id)


class QueueNotReady(RuntimeError):
    """The queue reads tables only the nightly build makes (people, CLV, segments, seeds),
    and no nightly build has made them yet: the cycle stops here, nothing fails."""


def _require_nightly_inputs() -> None:
    missing = nightly_inputs_missing()
    if missing:
        raise QueueNotReady(
            f"the queue waits for the first nightly build (social_crm_nightly): "
            f"{', '.join(missing)} not built yet"
        )


def build_messages() -> dbt_runner.DbtResult:
    """`dbt build` of the message staging tables, engagements and answers (incremental);
    QueueNotReady before the first nightly build."""
    _require_nightly_inputs()
    return dbt_runner.build(LIVE_MESSAGES)


def score_sentiment() -> dict[str, int]:
    return nightly.score_sentiment()


def nightly_inputs_missing() -> list[str]:
    """The tables the live models read that only the nightly builds and that do not exist yet
    (from the dbt manifest: the parents outside the live selections; through an ephemeral
    model, which has no relation of its own, its parents)."""
    from social_crm.transform.dbt_manifest import load_manifest

    nodes = load_manifest()["nodes"]
    live = set(LIVE_MESSAGES.select) | set(LIVE_QUEUE.select)

    def read_by(node: dict) -> Iterator[dict]:
        for parent in (nodes.get(key) for key in node["depends_on"]["nodes"]):
            if not parent or parent["resource_type"] not in ("model", "seed"):
                continue
            if parent["config"].get("materialized") == "ephemeral":
                yield from read_by(parent)
            else:
                yield parent

    needed = {
        f"{parent['schema']}.{parent['alias']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and node["name"] in live
        for parent in read_by(node)
        if parent["name"] not in live
    }
    with warehouse.connect() as conn:
        return sorted(name for name in needed if relation_oid(conn, name) is None)


def build_queue(as_of: datetime | None = None) -> dbt_runner.DbtResult:
    """`dbt build` of the queue `open_conversations` (and the views it reads) as of `as_of`;
    QueueNotReady before the first nightly build."""
    _require_nightly_inputs()
    return dbt_runner.build(LIVE_QUEUE, as_of=as_of)


def validate_queue() -> int:
    """The queue's Great Expectations suite on marts_build; raises naming each failure."""
    from social_crm.orchestration.pipelines import LIVE
    from social_crm.quality.gate import require_valid_marts

    return require_valid_marts(warehouse.resolve(), only=QUEUE_MARTS, pipeline=LIVE.dag_id)


def publish_queue() -> dict[str, int]:
    """`marts.open_conversations` replaced by the validated build, atomically."""
    with warehouse.connect() as conn:
        return publish.publish(conn, QUEUE_MARTS)


def raise_alerts(as_of: datetime | None = None) -> dict[str, int]:
    """SLA and spike alerts at `as_of` (default: now), delivered to the webhook."""
    from social_crm.alerts import run as alerts

    with warehouse.connect() as conn:
        return alerts.run(conn, as_of or datetime.now(UTC))


def run_all(
    as_of: datetime | None = None,
    interval: extraction.Interval = (None, None),
    progress: Callable[[str, float, object], None] | None = None,
) -> dict[str, object]:
    """One live cycle (pipelines.LIVE) in order, in this process; before the first nightly
    build it stops at the first build step (QueueNotReady, recorded as skipped). Returns each
    step's result and, under "step_seconds", how long each took."""
    from social_crm.orchestration import steps
    from social_crm.orchestration.pipelines import LIVE

    return steps.run(LIVE, steps.Inputs(as_of=as_of, interval=interval), progress=progress)
