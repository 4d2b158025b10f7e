"""`dag.test()` of the extraction DAGs against the simulator and a scratch warehouse database."""

import psycopg
import pytest

from social_crm_dev import dag_runs

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("dag_id", "tasks"),
    [
        (
            "extract_facebook",
            {
                "brands",
                "our_brands",
                "page_snapshot_and_insights",
                "posts_comments_reactions",
                "visitor_posts",
            },
        ),
        ("extract_x", {"brands", "mentions_and_replies", "followers"}),
        (
            "extract_instagram",
            {"account_and_insights", "media_comments_mentions", "rivals", "hashtags"},
        ),
        ("load_crm_export", {"land_crm_files"}),
    ],
)
def test_extract_dag_runs_and_lands(extraction_env, dag_id, tasks):
    outcome = dag_runs.run_in_process(dag_id)
    assert outcome.state == "success", outcome
    assert outcome.tasks == dict.fromkeys(tasks, "success")
    with psycopg.connect(extraction_env.libpq()) as conn:
        batches = conn.execute(
            "select status, count(*), sum(records_landed) from meta.load_batches group by 1"
        ).fetchall()
    assert [(status, landed > 0) for status, _, landed in batches] == [("committed", True)]
