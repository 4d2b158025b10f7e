"""What decides the segments besides the scorer: which brand is ours (a second brand of ours,
as docs/operating.md 'Adding a brand or a page' adds one: people count every brand of ours
together) and CRM staff corrections (sentiment_overrides.csv: the newest by decided_at wins).
Copies of the test world's nightly build, the real loader and dbt."""

from __future__ import annotations

import pytest

from tests.end_to_end.conftest import copy_of, world_now

pytestmark = [pytest.mark.end_to_end, pytest.mark.integration]


def test_a_second_brand_of_ours_does_not_break_the_people_and_segments_build(
    built, warehouse_url, tmp_path
):
    """docs/operating.md: add a row to brands.csv (`is_ours` true for a Page of ours) and the
    nightly run seeds it. people.sql counts the messages to every brand of ours: a scalar
    subquery for 'the' brand of ours would fail the build of people, people_segments and
    everything after them ('more than one row returned by a subquery used as an expression')."""
    from social_crm.transform import dbt_runner

    with copy_of(built, warehouse_url, tmp_path / "built") as (pipeline, _truth):
        with pipeline.connect() as conn:
            # what `dbt seed` lands from a brands.csv with a second Page of ours added
            conn.execute(
                "insert into staging.brands (brand_key, brand_name, is_ours, facebook_page_id,"
                " x_user_id, x_handle, instagram_user_id, instagram_username) values"
                " ('ours_tea', 'Fjordbrew Tea', true, '104000000000099', '1400000000000000099',"
                " 'fjordbrewtea', '17841400000000099', 'fjordbrewtea')"
            )
        dbt_runner.run(
            "run",
            "--select",
            "people",
            "people_segments",
            env=dbt_runner.as_of_env(world_now(pipeline.sim)),
        )
        built_people = pipeline.scalar(
            "select count(*) from marts_build.people where expected_positive_messages > 0"
        )
        assert built_people > 0


def test_the_newest_staff_correction_wins_not_the_last_file_landed(built, warehouse_url, tmp_path):
    """The newest correction of a message wins over the scorer, newest by decided_at, not by
    the file landed last: a correction decided on 1 December, then a delayed export with the
    same message's 20 November correction, leaves the message certainly positive."""
    from social_crm.extract.crm import land_drop_folder

    with copy_of(built, warehouse_url, tmp_path / "built") as (pipeline, truth):
        (message_id,) = pipeline.rows(
            "select message_id from scoring.message_sentiment order by message_id limit 1"
        )[0]
        drop = truth.folder / "crm_drop"
        header = "message_id,sentiment,intent,decided_by,decided_at\n"
        (drop / "sentiment_overrides_agent_b.csv").write_text(
            header + f"{message_id},positive,,agent_b,2026-12-01T10:00:00Z\n", encoding="utf-8"
        )
        land_drop_folder(pipeline.connect, drop)
        (drop / "sentiment_overrides_agent_a_backlog.csv").write_text(
            header + f"{message_id},negative,,agent_a,2026-11-20T10:00:00Z\n", encoding="utf-8"
        )
        land_drop_folder(pipeline.connect, drop)
        rows = pipeline.rows(
            "select sentiment, p_positive, overridden_by from intermediate.int_message_sentiment"
            " where message_id = %s",
            message_id,
        )
        assert rows == [("positive", 1.0, "agent_b")], rows
