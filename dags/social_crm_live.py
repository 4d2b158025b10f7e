"""
### Social CRM live queue

Every 10 minutes: the messages that wait for an answer, ranked, and the alerts.

1. `new_facebook_messages`, `new_x_mentions`: the live walks. Facebook: the posts and visitor
   posts of the last `SOCIAL_CRM_LIVE_POST_DAYS` days (default 3) with their comments, no
   reactions; X: mentions and brand replies since each search's watermark (`since_id`: the
   reads spent are the new tweets). Watermarks in `meta.watermarks`. A platform without a
   connection, or whose hourly extraction is landing right now, is skipped for the cycle.
2. `validate_raw`: the raw gate on the new batches.
3. `dbt_messages`: the message staging tables, engagements and answers (incremental merges).
4. `score_sentiment`: language, sentiment and intent of the new messages.
5. `dbt_queue`: `open_conversations` (every unanswered message of the last 7 days: who wrote
   it, their social CLV, influence and segments, its wait against the SLA in business
   minutes, its priority score), as of the run's time.
6. `validate_queue`, `publish_queue`: its expectations, then `marts.open_conversations`
   replaced atomically (updates the Asset `marts.open_conversations`).
7. `raise_alerts`: a high-priority message past its SLA (once per message, with its link)
   and spikes in volume or negative share against the same hour of earlier weeks (one alert
   per episode), to `SOCIAL_CRM_ALERT_WEBHOOK` and this task's log; `meta.alerts` keeps them.

The warehouse steps take every slot of the `warehouse_build` pool, which the nightly's tasks
also use: the two never build at once (during the nightly build the queue waits for a gap).
Raw tables are not outlets here, so the live cycle does not trigger the nightly build.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from social_crm.orchestration.assets import OPEN_CONVERSATIONS
from social_crm.orchestration.dag_defaults import (
    START_DATE,
    WAREHOUSE_BUILD_POOL,
    WAREHOUSE_BUILD_SLOTS,
    default_args,
)

BUILD = {"pool": WAREHOUSE_BUILD_POOL, "pool_slots": WAREHOUSE_BUILD_SLOTS, "priority_weight": 10}


@dag(
    dag_id="social_crm_live",
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    # a cycle that is late is replaced by the next one: the queue is about now
    dagrun_timeout=timedelta(minutes=30),
    tags=["social_crm", "live"],
    default_args=default_args(retries=1, retry_delay=timedelta(minutes=1), alert=True),
    doc_md=__doc__,
)
def social_crm_live() -> None:
    @task(pool="facebook_api")
    def new_facebook_messages(data_interval_end=None) -> list[str]:  # noqa: ANN001
        from social_crm.orchestration import live

        return live.extract_new_messages("facebook", (None, data_interval_end))

    @task(pool="x_api")
    def new_x_mentions(data_interval_end=None) -> list[str]:  # noqa: ANN001
        from social_crm.orchestration import live

        return live.extract_new_messages("x", (None, data_interval_end))

    # one platform failing does not hold the queue back: the other's messages still count
    @task(trigger_rule="all_done", retries=0, **BUILD)
    def validate_raw() -> int:
        from social_crm.orchestration import live

        return live.validate_raw()

    @task(**BUILD)
    def dbt_messages() -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        from social_crm.orchestration import live

        try:
            return live.build_messages().summary()
        except live.QueueNotReady as exc:  # before the first nightly build: skip, not fail
            raise AirflowSkipException(str(exc)) from exc

    @task(**BUILD)
    def score_sentiment() -> dict[str, int]:
        from social_crm.orchestration import live

        return live.score_sentiment()

    @task(**BUILD)
    def dbt_queue(data_interval_end=None) -> str:  # noqa: ANN001
        from airflow.sdk.exceptions import AirflowSkipException

        from social_crm.orchestration import live

        try:
            return live.build_queue(data_interval_end).summary()
        except live.QueueNotReady as exc:  # before the first nightly build: skip, not fail
            raise AirflowSkipException(str(exc)) from exc

    @task(retries=0, **BUILD)
    def validate_queue() -> int:
        from social_crm.orchestration import live

        return live.validate_queue()

    @task(outlets=[OPEN_CONVERSATIONS], **BUILD)
    def publish_queue() -> dict[str, int]:
        from social_crm.orchestration import live

        return live.publish_queue()

    @task
    def raise_alerts(data_interval_end=None) -> dict[str, int]:  # noqa: ANN001
        from social_crm.orchestration import live

        return live.raise_alerts(data_interval_end)

    (
        [new_facebook_messages(), new_x_mentions()]
        >> validate_raw()
        >> dbt_messages()
        >> score_sentiment()
        >> dbt_queue()
        >> validate_queue()
        >> publish_queue()
        >> raise_alerts()
    )


social_crm_live()
