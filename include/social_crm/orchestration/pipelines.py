"""The project's pipelines, each written once as a table of steps (steps.py): their DAGs render
from these tables (dags/), and so do `social-crm nightly` and `social-crm live`."""

from __future__ import annotations

from social_crm.orchestration.dag_defaults import WAREHOUSE_BUILD_POOL, WAREHOUSE_BUILD_SLOTS
from social_crm.orchestration.steps import Pipeline, Step
from social_crm.transform import dbt_selections

_NIGHTLY = "social_crm.orchestration.nightly"
_LIVE = "social_crm.orchestration.live"
_EXTRACTION = "social_crm.orchestration.extraction"

NIGHTLY = Pipeline(
    name="nightly",
    dag_id="social_crm_nightly",
    steps=(
        Step(
            "bootstrap_warehouse",
            "Apply pending warehouse migrations (no-op when up to date).",
            call=f"{_NIGHTLY}:bootstrap",
        ),
        Step(
            "check_source_freshness",
            "When each raw source last landed new data, its age and ok / warn / late against"
            " the dbt sources' freshness rules, one log line per source; a late source fails"
            " the run here only when `SOCIAL_CRM_LATE_SOURCES=fail`.",
            call=f"{_NIGHTLY}:check_source_freshness",
            needs=("bootstrap_warehouse",),
        ),
        Step(
            "validate_raw",
            "Great Expectations suites on the raw batches landed since the last passing gate"
            " (all of raw on a full refresh): columns, keys, no future timestamps, each"
            " snapshot entity's newest batch within the band of its recent batches.",
            call=f"{_NIGHTLY}:validate_raw",
            needs=("check_source_freshness",),
            inputs=("full_refresh",),
            retries=0,
        ),
        Step(
            "dbt_staging",
            "Seeds, the staging models (Facebook and X: incremental tables that merge the"
            " batches the raw gate passed; CRM: views), the social profiles and the messages'"
            " texts.",
            dbt=dbt_selections.STAGING,
            needs=("validate_raw",),
        ),
        Step(
            "match_identities",
            "The Splink record linkage model scores the new and changed profiles and customers"
            " (weekly, or on a full refresh, it is trained again and scores all).",
            call=f"{_NIGHTLY}:match_identities",
            needs=("dbt_staging",),
            inputs=("full_refresh",),
        ),
        Step(
            "dbt_identity_links",
            "The identity links (known accounts, staff decisions, the model's confident pairs)"
            " and the profiles that may be an excluded customer's.",
            dbt=dbt_selections.IDENTITY,
            needs=("match_identities",),
        ),
        Step(
            "apply_erasure_requests",
            "Delete erased customers' CRM rows and linked social data from raw.",
            call=f"{_NIGHTLY}:apply_erasure_requests",
            needs=("dbt_identity_links",),
        ),
        # side by side: neither reads what the other writes (two cores: the sentiment scorer's
        # Python beside the influence and CLV queries)
        Step(
            "score_sentiment",
            "Language, sentiment and intent of the messages new or edited since, or of all"
            " when the scorer changed.",
            call=f"{_NIGHTLY}:score_sentiment",
            needs=("apply_erasure_requests",),
        ),
        Step(
            "score_influence_and_clv",
            "Influence from the interactions between people and their reach (follow graph),"
            " and BG/NBD + Gamma-Gamma CLV, into the scoring schema as of the run's as-of time.",
            call=f"{_NIGHTLY}:score",
            needs=("apply_erasure_requests",),
            inputs=("as_of",),
        ),
        Step(
            "dbt_marts",
            "The intermediate models and the marts, built into `marts_build` as of the run's"
            " as-of time; the incremental ones merge only what changed since their last merge.",
            dbt=dbt_selections.MARTS,
            needs=("score_sentiment", "score_influence_and_clv"),
        ),
        Step(
            "validate_marts",
            "Great Expectations suites on `marts_build`: fails naming every failed expectation.",
            call=f"{_NIGHTLY}:validate_marts",
            needs=("dbt_marts",),
            retries=0,
        ),
        Step(
            "publish_marts",
            "One transaction brings `marts` (the schema BI reads) up to `marts_build`: marts"
            " rebuilt whole are copied, the incremental ones get what changed since their last"
            " publish (updates the Asset `marts`).",
            call=f"{_NIGHTLY}:publish_marts",
            needs=("validate_marts",),
            outlets=("marts",),
        ),
        Step(
            "generate_docs",
            "`dbt docs generate` (Data Docs were written by both validations).",
            call=f"{_NIGHTLY}:generate_dbt_docs",
            needs=("publish_marts",),
        ),
    ),
)

FULL_REFRESH = Pipeline(
    name="full refresh",
    dag_id="social_crm_full_refresh",
    full_refresh=True,
    steps=(
        Step(
            "rebuild_everything",
            "Every step of the nightly build in order, in one task, with `--full-refresh`:"
            " build, erasures, scoring, gate and publish.",
            call=f"{_NIGHTLY}:run_all",
            inputs=("full_refresh", "as_of"),
        ),
    ),
)

# the live builds take every slot of the pool the nightly's tasks take one each of: the two
# never build at once
_BUILD = {
    "pool": WAREHOUSE_BUILD_POOL,
    "pool_slots": WAREHOUSE_BUILD_SLOTS,
    "priority_weight": 10,
}
_EXTRACTED = ("new_facebook_messages", "new_instagram_messages", "new_x_mentions")

LIVE = Pipeline(
    name="live",
    dag_id="social_crm_live",
    stops_on=f"{_LIVE}:QueueNotReady",
    steps=(
        Step(
            "new_facebook_messages",
            "The Facebook live walk: the posts and visitor posts of the last"
            " `SOCIAL_CRM_LIVE_POST_DAYS` days (default 3) with their comments, no reactions.",
            call=f"{_LIVE}:extract_new_messages",
            args=("facebook",),
            inputs=("interval",),
            task={"pool": "facebook_api"},
        ),
        Step(
            "new_instagram_messages",
            "The Instagram live walk: our media of the last `SOCIAL_CRM_LIVE_POST_DAYS` days"
            " with the comments of those whose count moved, and the @mentions the webhooks"
            " announced since the last read.",
            call=f"{_LIVE}:extract_new_messages",
            args=("instagram",),
            inputs=("interval",),
            task={"pool": "instagram_api"},
        ),
        Step(
            "new_x_mentions",
            "The X live walk: mentions and brand replies since each search's watermark"
            " (`since_id`: the reads spent are the new tweets).",
            call=f"{_LIVE}:extract_new_messages",
            args=("x",),
            inputs=("interval",),
            task={"pool": "x_api"},
        ),
        Step(
            "validate_raw",
            "The raw gate on the new batches (the staging models merge only what passed); it"
            " runs when a walk failed too: the other platform's messages still count.",
            call=f"{_LIVE}:validate_raw",
            needs=_EXTRACTED,
            retries=0,
            task={"trigger_rule": "all_done", **_BUILD},
        ),
        Step(
            "dbt_messages",
            "The message staging tables, engagements and answers (incremental merges).",
            call=f"{_LIVE}:build_messages",
            needs=("validate_raw",),
            task=_BUILD,
        ),
        Step(
            "score_sentiment",
            "Language, sentiment and intent of the new messages.",
            call=f"{_LIVE}:score_sentiment",
            needs=("dbt_messages",),
            task=_BUILD,
        ),
        Step(
            "dbt_queue",
            "`open_conversations` (every unanswered message of the last 7 days: who wrote it,"
            " their social CLV, influence and segments, its wait against the SLA in business"
            " minutes, its priority score), as of the run's as-of time.",
            call=f"{_LIVE}:build_queue",
            needs=("score_sentiment",),
            inputs=("as_of",),
            task=_BUILD,
        ),
        Step(
            "validate_queue",
            "The queue's Great Expectations suite on `marts_build`.",
            call=f"{_LIVE}:validate_queue",
            needs=("dbt_queue",),
            retries=0,
            task=_BUILD,
        ),
        Step(
            "publish_queue",
            "`marts.open_conversations` replaced by the validated build, atomically (updates"
            " the Asset `marts.open_conversations`).",
            call=f"{_LIVE}:publish_queue",
            needs=("validate_queue",),
            task=_BUILD,
            outlets=("marts.open_conversations",),
        ),
        Step(
            "raise_alerts",
            "A high-priority message past its SLA (once per message, with its link) and spikes"
            " in volume or negative share against the same hour of earlier weeks (one alert"
            " per episode), to `SOCIAL_CRM_ALERT_WEBHOOK` and this task's log; `meta.alerts`"
            " keeps them.",
            call=f"{_LIVE}:raise_alerts",
            needs=("publish_queue",),
            inputs=("as_of",),
        ),
    ),
)

# the hourly Instagram extraction: steps that land the same raw table run one after the
# other (a table is landed by one batch at a time)
_INSTAGRAM = {"pool": "instagram_api"}
# each step updates the Assets of the raw tables it landed rows in, through this alias
# (assets.LANDED): a step that landed nothing updates none
_INSTAGRAM_LANDED = ("raw.instagram_* landed",)
EXTRACT_INSTAGRAM = Pipeline(
    name="extract instagram",
    dag_id="extract_instagram",
    steps=(
        Step(
            "account_and_insights",
            "Our accounts' counts (one snapshot a day) and their daily insights.",
            call=f"{_EXTRACTION}:run_instagram",
            args=("account",),
            inputs=("interval",),
            task=_INSTAGRAM,
            outlets=_INSTAGRAM_LANDED,
        ),
        Step(
            "media_comments_mentions",
            "Our media in the look-back window; the comments and replies of those whose"
            " comments_count moved or whose re-walk point passed; the media we are tagged in;"
            " the @mentions announced by webhook; our media's insights.",
            call=f"{_EXTRACTION}:run_instagram",
            args=("media",),
            inputs=("interval",),
            task=_INSTAGRAM,
            outlets=_INSTAGRAM_LANDED,
        ),
        Step(
            "rivals",
            "Each rival's counts and recent media (business discovery).",
            call=f"{_EXTRACTION}:run_instagram",
            args=("rivals",),
            needs=("account_and_insights", "media_comments_mentions"),
            inputs=("interval",),
            task=_INSTAGRAM,
            outlets=_INSTAGRAM_LANDED,
        ),
        Step(
            "hashtags",
            "The last 24 hours' media of the campaign hashtags (the connection's `hashtags`),"
            " never more than 30 unique hashtags per account in any 7 days.",
            call=f"{_EXTRACTION}:run_instagram",
            args=("hashtags",),
            needs=("rivals",),
            inputs=("interval",),
            task=_INSTAGRAM,
            outlets=_INSTAGRAM_LANDED,
        ),
    ),
)

PIPELINES = (NIGHTLY, LIVE, FULL_REFRESH, EXTRACT_INSTAGRAM)
