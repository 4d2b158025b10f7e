"""A lookup that confirms deletions fails while its batch commits (the API is down): the batch
fails with the lookup's own error, is recorded failed, and lands nothing."""

import psycopg
import pytest

from social_crm.extract.http import ApiError
from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration


def api_down(missing):
    raise ApiError("facebook_graph: / still failing after 5 attempts; retry the task later")


def test_a_lookup_failing_at_commit_fails_the_batch_with_its_own_error(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        with LandingBatch(conn, "facebook", "comments", confirm_gone=api_down) as batch:
            batch.add(RawRecord("1_1", {"id": "1_1"}, scope_key="1"))
            batch.add(RawRecord("1_2", {"id": "1_2"}, scope_key="1"))
        with pytest.raises(ApiError, match="still failing"):
            with LandingBatch(conn, "facebook", "comments", confirm_gone=api_down) as failing:
                failing.add(RawRecord("1_1", {"id": "1_1", "message": "edited"}, scope_key="1"))
                failing.reconcile("1")  # 1_2 is missing: a candidate the lookup must confirm
        status = conn.execute(
            "select status, error from meta.load_batches where batch_id = %s",
            (failing.result.batch_id,),
        ).fetchone()
        rows = conn.execute("select count(*) from raw.facebook_comments").fetchone()[0]
    assert status[0] == "failed" and "still failing" in status[1]
    assert failing.result.status == "failed"
    assert rows == 2
