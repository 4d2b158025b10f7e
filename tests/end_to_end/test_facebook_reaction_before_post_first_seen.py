"""Engagements built incrementally must equal a full refresh.

A posts walk lands three batches and commits them in reverse order of opening (reactions,
then comments, then the posts, whose commit first waits for the lookups that confirm missing
posts gone): a nightly gate and staging merge that runs between those commits stages the
reactions of a new post before the post. The reaction takes the time it was first seen (no
post yet); when the post arrives, nothing merges the reaction again, so the incremental
engagements keep that time for good, while a full refresh gives the post's time."""

import json

import pytest
from psycopg import sql

from social_crm.orchestration import nightly
from social_crm.transform import dbt_runner

pytestmark = pytest.mark.integration

MODELS = ("stg_facebook__posts", "stg_facebook__reactions", "int_engagements_unified")
UNIFIED = "select engagement_id, occurred_at from intermediate.int_engagements_unified"
MARK = "staged-before-post"


def _land(conn, table, entity, key, scope, event_at, payload):
    batch = conn.execute(
        "insert into meta.load_batches (batch_id, source, entity, status, finished_at)"
        " values (gen_random_uuid(), 'facebook', %s, 'committed', now()) returning batch_id",
        (entity,),
    ).fetchone()[0]
    conn.execute(
        sql.SQL(
            "insert into {} (natural_key, scope_key, event_at, payload, payload_hash,"
            " is_deleted, extracted_at, batch_id) values (%s, %s, %s, %s, %s, false, now(), %s)"
        ).format(sql.Identifier("raw", table)),
        (key, scope, event_at, json.dumps(payload), MARK, batch),
    )


def test_incremental_engagements_equal_a_full_refresh_when_a_reaction_lands_before_its_post(
    changed_build,
):
    pipeline, _ = changed_build
    post_key, post_payload, post_at = pipeline.rows(
        "select natural_key, payload, event_at from raw.facebook_posts"
        " where not is_deleted order by event_at desc, natural_key limit 1"
    )[0]
    reaction = pipeline.rows(
        "select payload from raw.facebook_reactions where not is_deleted"
        " and scope_key = %s limit 1",
        post_key,
    )[0][0]
    page = post_key.split("_")[0]
    new_post = f"{page}_987654321"
    reaction_key = f"{new_post}:{reaction['user_id']}"
    dbt_runner.run("run", "--select", *MODELS)  # up to date before the test
    with pipeline.connect() as conn:  # the reactions batch commits first ...
        _land(
            conn,
            "facebook_reactions",
            "reactions",
            reaction_key,
            new_post,
            None,
            reaction | {"post_id": new_post},
        )
    nightly.validate_raw()  # ... and a nightly merges between the two commits
    dbt_runner.run("run", "--select", *MODELS)
    with pipeline.connect() as conn:  # then the posts batch commits
        _land(
            conn,
            "facebook_posts",
            "posts",
            new_post,
            page,
            post_at,
            post_payload | {"id": new_post},
        )
    nightly.validate_raw()
    dbt_runner.run("run", "--select", *MODELS)
    incremental = dict(pipeline.rows(UNIFIED + " where engagement_id = %s", reaction_key))
    dbt_runner.run("run", "--select", "int_engagements_unified", "--full-refresh")
    full = dict(pipeline.rows(UNIFIED + " where engagement_id = %s", reaction_key))
    assert full[reaction_key] == post_at
    assert incremental == full
