"""Incremental builds: the staging tables merge only batches the raw gate passed, and only
what changed; downstream models rework only changed rows; each result equals a full refresh."""

import json

import pytest

from social_crm.orchestration import nightly
from social_crm.transform import dbt_runner
from social_crm.transform.dbt_runner import DbtRunError
from tests.end_to_end.conftest import nightly_build, world_now

pytestmark = pytest.mark.integration

COMMENTS = (
    "select comment_id, post_id, author_profile_id, message_text, created_at, is_by_page"
    " from staging.stg_facebook__comments"
)
MARKS = ("edited", "deleted", "new", "stale", "bad")


def _land(conn, rows):
    """Land `rows` (natural_key, payload, mark, is_deleted, ingest_seq or None) into
    raw.facebook_comments as one committed batch, the way landing does."""
    batch = conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, status, finished_at)"
        " values (gen_random_uuid(), 'facebook', 'comments', 'committed', now())"
        " returning batch_id"
    ).fetchone()[0]
    for key, payload, mark, is_deleted, seq in rows:
        conn.execute(
            "insert into raw.facebook_comments (ingest_seq, natural_key, scope_key, event_at,"
            " payload, payload_hash, is_deleted, extracted_at, batch_id)"
            " select coalesce(%s, nextval('raw.facebook_comments_ingest_seq_seq')), %s,"
            " scope_key, event_at, %s, %s, %s, now(), %s from raw.facebook_comments"
            " where natural_key = %s order by ingest_seq desc limit 1",
            (seq, key[0], json.dumps(payload), mark, is_deleted, batch, key[1]),
        )
    return batch


def _payload(pipeline, comment_id):
    return pipeline.scalar(
        "select payload from raw.facebook_comments where natural_key = %s"
        " order by ingest_seq desc limit 1",
        comment_id,
    )


def _customer_comments(pipeline, limit):
    return [
        r[0]
        for r in pipeline.rows(
            "select comment_id from staging.stg_facebook__comments where not is_by_page"
            " order by comment_id limit %s",
            limit,
        )
    ]


def _undo(pipeline, *models):
    """Take the test's versions out of raw, and their deletions out of the merge log (nothing
    downstream is to delete them once raw is as before), then rebuild `models`."""
    with pipeline.connect() as conn:
        conn.execute(
            "delete from meta.merge_deletions where record_id in (select natural_key"
            " from raw.facebook_comments where payload_hash = any(%s))",
            (list(MARKS),),
        )
        conn.execute(
            "delete from raw.facebook_comments where payload_hash = any(%s)", (list(MARKS),)
        )
    dbt_runner.run("run", "--select", "stg_facebook__comments", "--full-refresh")
    dbt_runner.run("run", "--select", *models)


def test_staging_merges_gated_batches_only_and_equals_a_full_refresh(changed_build):
    pipeline, _ = changed_build
    edited, deleted, stale = _customer_comments(pipeline, 3)
    before = set(pipeline.rows(COMMENTS))
    versions = dict(
        pipeline.rows("select comment_id, xmin::text from staging.stg_facebook__comments")
    )
    new_payload = _payload(pipeline, edited) | {"id": "C-NEW", "message": "A brand new comment"}
    with pipeline.connect() as conn:
        _land(
            conn,
            [
                (
                    (edited, edited),
                    _payload(pipeline, edited) | {"message": "Edited"},
                    "edited",
                    False,
                    None,
                ),
                ((deleted, deleted), {}, "deleted", True, None),
                (("C-NEW", edited), new_payload, "new", False, None),
                # an older version in a batch that committed late: it must not win
                (
                    (stale, stale),
                    _payload(pipeline, stale) | {"message": "Stale"},
                    "stale",
                    False,
                    -7,
                ),
            ],
        )
    # not gated yet: the merge takes nothing from the new batch
    dbt_runner.run("run", "--select", "stg_facebook__comments")
    assert set(pipeline.rows(COMMENTS)) == before

    nightly.validate_raw()
    dbt_runner.run("build", "--select", "stg_facebook__comments")
    after = dict(
        pipeline.rows("select comment_id, message_text from staging.stg_facebook__comments")
    )
    assert after[edited] == "Edited" and after["C-NEW"] == "A brand new comment"
    assert deleted not in after and after[stale] != "Stale"
    rewritten = {
        c
        for c, v in pipeline.rows(
            "select comment_id, xmin::text from staging.stg_facebook__comments"
        )
        if versions.get(c) != v
    }
    assert rewritten == {edited, "C-NEW"}  # nothing else was merged again
    latest = pipeline.rows(
        "select comment_id from staging.stg_facebook__comments"
        " where merged_at = (select max(merged_at) from staging.stg_facebook__comments)"
    )
    assert {c for (c,) in latest} == {edited, "C-NEW"}  # what the tests check

    incremental = set(pipeline.rows(COMMENTS))
    dbt_runner.run("run", "--select", "stg_facebook__comments", "--full-refresh")
    assert set(pipeline.rows(COMMENTS)) == incremental

    # the tests of the latest merge still stop a bad new row
    with pipeline.connect() as conn:
        bad = {k: v for k, v in new_payload.items() if k != "post_id"} | {"id": "C-BAD"}
        _land(conn, [(("C-BAD", edited), bad, "bad", False, None)])
    nightly.validate_raw()
    with pytest.raises(DbtRunError, match="not_null_stg_facebook__comments_post_id"):
        dbt_runner.run("build", "--select", "stg_facebook__comments")
    # the test's versions taken out of raw, a full refresh gives back the staging table
    _undo(pipeline, "stg_facebook__comments")
    assert set(pipeline.rows(COMMENTS)) == before


SCORES = "select message_id, sentiment, intent, lang, score from scoring.message_sentiment"


def test_sentiment_rescores_only_edited_messages_and_drops_deleted_ones(changed_build):
    pipeline, _ = changed_build
    chain = ("stg_facebook__comments", "int_engagements_unified", "int_messages_answered")
    edited, deleted = pipeline.rows(
        "select s.message_id from scoring.message_sentiment as s"
        " inner join staging.stg_facebook__comments as c on s.message_id = c.comment_id"
        " where s.sentiment <> 'positive' order by 1 limit 2"
    )
    versions_before = dict(
        pipeline.rows("select message_id, xmin::text from scoring.message_sentiment")
    )
    with pipeline.connect() as conn:
        # an edit: a new version of a comment, now full of praise; and a deleted comment
        praise = _payload(pipeline, edited[0]) | {"message": "Love it, amazing and perfect!"}
        _land(
            conn,
            [
                ((edited[0], edited[0]), praise, "edited", False, None),
                ((deleted[0], deleted[0]), {}, "deleted", True, None),
            ],
        )
    nightly.validate_raw()
    dbt_runner.run("run", "--select", *chain)
    assert nightly.score_sentiment()["scored"] == 1
    versions_after = dict(
        pipeline.rows("select message_id, xmin::text from scoring.message_sentiment")
    )
    rewritten = {m for m, v in versions_after.items() if versions_before.get(m) != v}
    assert rewritten == {edited[0]}  # nothing else was scored again
    assert deleted[0] not in versions_after
    assert (
        pipeline.scalar(
            "select sentiment from scoring.message_sentiment where message_id = %s", edited[0]
        )
        == "positive"
    )


def test_a_sentiment_pass_after_a_whole_one_reads_only_the_messages_merged_since(changed_build):
    pipeline, _ = changed_build
    nightly.score_sentiment()
    nightly.score_sentiment()
    assert pipeline.rows(
        "select read_whole from meta.sentiment_passes order by pass_id desc limit 1"
    ) == [(False,)]


def test_a_failed_sentiment_pass_keeps_its_batches_and_the_next_reads_every_message(
    changed_build, monkeypatch
):
    """A scorer that fails in its second batch (scorer versions roll back after a failed
    upgrade): its first batch stays scored, and the next pass of the old scorer reads every
    message, so it scores that batch again."""
    pipeline, _ = changed_build
    from social_crm import sentiment
    from social_crm.sentiment import run as sentiment_run

    scorer = sentiment.score_messages
    batches = []

    def fails_in_its_second_batch(messages):
        batches.append(len(messages))
        if len(batches) == 2:
            raise RuntimeError("the scorer crashed")
        return scorer(messages)

    monkeypatch.setattr(sentiment, "version", lambda: "a-failing-scorer")
    monkeypatch.setattr(sentiment, "score_messages", fails_in_its_second_batch)
    monkeypatch.setenv("SOCIAL_CRM_SENTIMENT_WORKERS", "1")  # the failing scorer is this process's
    monkeypatch.setattr(sentiment_run, "BATCH", 5)
    with pytest.raises(RuntimeError, match="the scorer crashed"):
        nightly.score_sentiment()
    failing = "select count(*) from scoring.message_sentiment where scorer_version = %s"
    assert pipeline.scalar(failing, "a-failing-scorer") == 5
    monkeypatch.undo()
    assert nightly.score_sentiment()["scored"] == 5
    assert pipeline.scalar(failing, "a-failing-scorer") == 0


def test_a_new_scorer_version_rescores_every_message_once(changed_build, monkeypatch):
    pipeline, _ = changed_build
    before = set(pipeline.rows(SCORES))
    from social_crm import sentiment

    monkeypatch.setattr(sentiment, "version", lambda: "a-new-scorer")
    assert nightly.score_sentiment()["scored"] == len(before)
    assert nightly.score_sentiment()["scored"] == 0
    monkeypatch.undo()
    assert nightly.score_sentiment()["scored"] == len(before)
    assert set(pipeline.rows(SCORES)) == before  # the same scorer scores the same


def _without_merged_at(pipeline, table, also=()):
    """The rows of marts_build.`table` without the run's own columns (merged_at, `also`)."""
    columns = [
        c
        for (c,) in pipeline.rows(
            "select column_name from information_schema.columns where table_schema ="
            " 'marts_build' and table_name = %s and column_name <> all(%s)",
            table,
            ["merged_at", *also],
        )
    ]
    return set(pipeline.rows(f"select {', '.join(columns)} from marts_build.{table}"))  # noqa: S608


def _assert_published_as_built(pipeline, table):
    differing = pipeline.scalar(
        f"select count(*) from ((table marts.{table} except all table marts_build.{table})"  # noqa: S608
        f" union all (table marts_build.{table} except all table marts.{table})) as d"
    )
    assert differing == 0, table


def _published_tables(pipeline):
    return {
        t: pipeline.scalar("select %s::regclass::oid", f"marts.{t}")
        for t in ("engagements", "customer_messages")
    }


def test_two_sentiment_workers_reading_in_batches_score_as_one_process(changed_build, monkeypatch):
    pipeline, _ = changed_build
    before = set(pipeline.rows(SCORES))
    from social_crm import sentiment
    from social_crm.sentiment import run as sentiment_run

    monkeypatch.setattr(sentiment, "version", lambda: "a-new-scorer")
    monkeypatch.setattr(sentiment_run, "BATCH", max(1, len(before) // 5))
    monkeypatch.setenv("SOCIAL_CRM_SENTIMENT_WORKERS", "2")
    assert nightly.score_sentiment()["scored"] == len(before)
    assert set(pipeline.rows(SCORES)) == before


def test_incremental_marts_follow_identity_links_and_equal_a_full_refresh(changed_build):
    """Also: publishing applies the changes to the published incremental marts (the same
    tables, not copies), and they equal their build, deletions included."""
    pipeline, _ = changed_build
    # a customer linked to a profile with engagements (of that profile: a customer may have
    # another linked profile that has none)
    customer, platform, profile_id = pipeline.rows(
        "select p.customer_id, p.platform, p.profile_id from intermediate.int_people_profiles"
        " as p where p.customer_id is not null and not p.is_excluded_from_details"
        " and exists (select 1 from intermediate.int_engagements_unified as e"
        "  where e.platform = p.platform and e.profile_id = p.profile_id)"
        " order by 1, 2, 3 limit 1"
    )[0]
    prospect = f"prospect:{platform}:{profile_id}"
    persons = (
        "select distinct f.person_id from marts_build.engagements as f"
        " inner join intermediate.int_engagements_unified as e using (engagement_id)"
        " where e.platform = %s and e.profile_id = %s"
    )
    assert pipeline.rows(persons, platform, profile_id) == [(customer,)]
    with pipeline.connect() as conn:
        conn.execute(
            "create table public.held_customer as"
            " select * from raw.crm_customers where natural_key = %s",
            (customer,),
        )
        conn.execute("delete from raw.crm_customers where natural_key = %s", (customer,))
    # merged and published first: the published tables the run below changes
    dbt_runner.run("run", "--select", "engagements", "customer_messages")
    nightly.publish_marts()
    published = _published_tables(pipeline)
    # and in the same run a comment is deleted: its engagement and response time leave
    (deleted,) = _customer_comments(pipeline, 1)
    with pipeline.connect() as conn:
        _land(conn, [((deleted, deleted), {}, "deleted", True, None)])
    nightly_build()
    assert _published_tables(pipeline) == published  # changes applied, not copied
    for table in published:
        _assert_published_as_built(pipeline, table)
    for table, key in (
        ("engagements", "engagement_id"),
        ("customer_messages", "message_id"),
    ):
        assert not pipeline.rows(f"select 1 from marts.{table} where {key} = %s", deleted)  # noqa: S608
    # the profile's older engagements follow the link: now a prospect's
    assert pipeline.rows(persons, platform, profile_id) == [(prospect,)]
    assert pipeline.scalar(
        "select count(*) from marts_build.engagements where person_id = %s"
        " and merged_at = (select max(merged_at) from marts_build.engagements)",
        prospect,
    ) == pipeline.scalar(
        "select count(*) from marts_build.engagements where person_id = %s",
        prospect,
    )
    incremental = {t: _without_merged_at(pipeline, t) for t in ("engagements", "customer_messages")}
    dbt_runner.run("run", "--select", "engagements", "customer_messages", "--full-refresh")
    for table, rows in incremental.items():
        assert _without_merged_at(pipeline, table) == rows, table
    # the customer back in the CRM export, the comment's versions out of raw
    with pipeline.connect() as conn:
        conn.execute("insert into raw.crm_customers select * from public.held_customer")
        conn.execute("drop table public.held_customer")
    _undo(pipeline, "int_engagements_unified", "int_messages_answered")
    nightly_build()
    # linked again by the next incremental run
    assert pipeline.rows(persons, platform, profile_id) == [(customer,)]
    # the full refresh made new build tables: published by copying
    assert _published_tables(pipeline).keys() == published.keys()
    assert all(_published_tables(pipeline)[t] != published[t] for t in published)
    for table in published:
        _assert_published_as_built(pipeline, table)


def test_a_customer_who_opts_out_leaves_the_incremental_detail_marts_on_their_next_merge(
    changed_build,
):
    pipeline, _ = changed_build
    customer = pipeline.scalar(
        "select f.customer_id from marts_build.engagements as f"
        " inner join marts_build.customer_messages as m on m.person_id = f.customer_id"
        " order by 1 limit 1"
    )
    marts = {"engagements": "customer_id", "customer_messages": "person_id"}
    count = "select count(*) from marts_build.{} where {} = %s"
    assert all(pipeline.scalar(count.format(*mart), customer) for mart in marts.items())
    with pipeline.connect() as conn:
        conn.execute(
            "insert into raw.crm_customers (natural_key, scope_key, event_at, payload,"
            " payload_hash, extracted_at, batch_id)"
            " select natural_key, scope_key, event_at,"
            " payload || '{\"profiling_opt_out\": \"true\"}', 'opted-out', now(), batch_id"
            " from raw.crm_customers where natural_key = %s order by ingest_seq desc limit 1",
            (customer,),
        )
    dbt_runner.run("run", "--select", "int_excluded_customers", *marts)
    assert [pipeline.scalar(count.format(*mart), customer) for mart in marts.items()] == [
        0,
        0,
    ]


def test_response_times_daily_measures_changed_days_only_and_equals_a_full_refresh(changed_build):
    """A deleted message's day is measured again (its count changed), most days are not, and
    the table equals one measured in full at the same as-of time."""
    pipeline, _ = changed_build
    env = dbt_runner.as_of_env(world_now(pipeline.sim))
    mart = "brand_response_times_daily"
    # up to date with upstream
    dbt_runner.run("run", "--select", mart, env=env)
    (deleted,) = _customer_comments(pipeline, 1)
    with pipeline.connect() as conn:
        _land(conn, [((deleted, deleted), {}, "deleted", True, None)])
    dbt_runner.run(
        "run", "--select", "stg_facebook__comments", "int_messages_answered", mart, env=env
    )
    measured, days = pipeline.rows(
        "select count(distinct (brand_key, channel, message_date)) filter (where merged_at ="
        "  (select max(merged_at) from marts_build.brand_response_times_daily)),"
        " count(distinct (brand_key, channel, message_date))"
        " from marts_build.brand_response_times_daily"
    )[0]
    incremental = _without_merged_at(pipeline, mart, also=["measured_at"])
    # (the view holds its as-of time: built again with the table)
    dbt_runner.run("run", "--select", "int_message_response_times", mart, "--full-refresh", env=env)
    assert _without_merged_at(pipeline, mart, also=["measured_at"]) == incremental
    assert 0 < measured < days / 2


def test_clv_is_scored_again_only_when_the_orders_change(changed_build):
    """For one as-of time (a retried run): the same orders keep their scores."""
    pipeline, _ = changed_build
    scores = "select to_jsonb(c) - 'scored_at' from scoring.clv_customers as c order by customer_id"
    scored = "select scored_at from scoring.clv_fit_input"
    as_of = pipeline.scalar("select observed_until from scoring.clv_fit_input")
    before, scored_before = pipeline.rows(scores), pipeline.scalar(scored)
    nightly.score(as_of=as_of)
    assert pipeline.scalar(scored) == scored_before  # same orders: the scores stand
    assert pipeline.rows(scores) == before
    customer = pipeline.scalar(
        "select scope_key from raw.crm_orders group by 1 having count(*) > 2 order by 1 limit 1"
    )
    with pipeline.connect() as conn:
        conn.execute(
            "create table public.held_orders as select * from raw.crm_orders where scope_key = %s",
            (customer,),
        )
        conn.execute("delete from raw.crm_orders where scope_key = %s", (customer,))
    nightly.score(as_of=as_of)
    assert pipeline.scalar(scored) != scored_before
    assert customer not in {r[0]["customer_id"] for r in pipeline.rows(scores)}
    with pipeline.connect() as conn:
        conn.execute("insert into raw.crm_orders select * from public.held_orders")
        conn.execute("drop table public.held_orders")
    nightly.score(as_of=as_of)  # scored again on the restored orders: the same scores
    assert pipeline.rows(scores) == before


def test_merge_log_is_pruned_once_every_incremental_table_merged_past_it(changed_build):
    from social_crm.transform import merge_log

    pipeline, _ = changed_build
    entries = (("T-OLD", "2000-01-01"), ("T-HELD", "2002-01-01"), ("T-NEW", "infinity"))
    with pipeline.connect() as conn:
        for record, at in entries:
            conn.execute(
                "insert into meta.merge_deletions values ('stg_x__tweets', %s, %s)", (record, at)
            )
        # an incremental table that last merged in 2001 has not read the 2002 entry yet
        conn.execute(
            "create table intermediate.held_back as select '2001-01-01'::timestamptz as merged_at"
        )
    with pipeline.connect() as conn:
        assert merge_log.prune(conn) >= 1
    left = {r[0] for r in pipeline.rows("select record_id from meta.merge_deletions")}
    assert {"T-HELD", "T-NEW"} <= left and "T-OLD" not in left
    with pipeline.connect() as conn:
        conn.execute("drop table intermediate.held_back")
    with pipeline.connect() as conn:
        merge_log.prune(conn)
    left = {r[0] for r in pipeline.rows("select record_id from meta.merge_deletions")}
    assert "T-NEW" in left and "T-HELD" not in left  # every table has merged past 2002
