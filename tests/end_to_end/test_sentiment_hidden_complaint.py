"""End to end: a customer's Facebook comment edited into a complaint behind 2,000 zero-width
spaces (invisible in every client), landed as the extractor lands an edit, then the nightly
sentiment step on the built test world (real embedded PostgreSQL, the simulator's world): the
step stores it as the complaint it is. Format characters are dropped before the 2,000-character
cut (docs/sentiment.md, "What is read of a message"); cut first, the message read as nothing
said, neutral with certainty."""

from __future__ import annotations

import pytest

from social_crm.orchestration import nightly
from social_crm.transform import dbt_runner
from tests.end_to_end.conftest import built_once, built_world, extracted_once  # noqa: F401
from tests.end_to_end.test_incremental_builds import _land, _payload

pytestmark = pytest.mark.integration

COMPLAINT = "This is terrible, I hate it. Worst coffee ever, never buying again!"
CHAIN = ("stg_facebook__comments", "int_engagements_unified", "int_messages_answered")


def test_a_complaint_behind_zero_width_spaces_is_stored_as_a_complaint(
    built_once,  # noqa: F811
    warehouse_url,
    tmp_path_factory,
):
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, *_):
        ((comment,),) = pipeline.rows(
            "select s.message_id from scoring.message_sentiment as s"
            " inner join staging.stg_facebook__comments as c on s.message_id = c.comment_id"
            " where not c.is_by_page order by 1 limit 1"
        )
        hidden = _payload(pipeline, comment) | {"message": "\u200b" * 2_000 + COMPLAINT}
        with pipeline.connect() as conn:
            _land(conn, [((comment, comment), hidden, "edited", False, None)])
        nightly.validate_raw()
        dbt_runner.run("run", "--select", *CHAIN)
        assert nightly.score_sentiment()["scored"] == 1
        stored = pipeline.rows(
            "select lang, sentiment, p_neutral, intent from scoring.message_sentiment"
            " where message_id = %s",
            comment,
        )
        assert stored and stored[0][1] == "negative", stored
