"""The advocate/detractor segments (marts.people_segments) through the whole
pipeline: a copy of the test world's nightly build, new raw versions landed the way the
extractors land them (LandingBatch), and the nightly build run again."""

from __future__ import annotations

import pytest

from tests.end_to_end.conftest import copy_of, nightly_build, world_now

pytestmark = [pytest.mark.end_to_end, pytest.mark.integration]


PHOTO_COMMENTS = 5


def _silent_facebook_person(pipeline) -> tuple[str, str, str]:
    """A person in marts.people with a Facebook profile and no message to our brand (they only
    react), in no segment but silent_fan: (person_id, facebook profile id, name)."""
    rows = pipeline.rows(
        "select p.person_id, p.facebook_profile_id, coalesce(p.full_name, 'someone')"
        " from marts.people p where p.facebook_profile_id is not null"
        " and p.comments_count + p.replies_count + p.visitor_posts_count + p.mentions_count = 0"
        " and p.person_id not in (select person_id from marts.people_segments"
        "  where segment <> 'silent_fan')"
        " order by p.reactions_count desc, p.person_id limit 1"
    )
    assert rows, "no Facebook person without messages in the test world"
    return rows[0]


def _a_comment_on_our_page(pipeline) -> tuple[str, str, object, dict]:
    """The newest version of a person's comment on one of our Page's posts: a template."""
    rows = pipeline.rows(
        "select natural_key, scope_key, event_at, payload from (select distinct on (natural_key)"
        " * from raw.facebook_comments order by natural_key, ingest_seq desc) v"
        " where not is_deleted and payload ? 'from' and payload ? 'message'"
        " and split_part(payload->>'post_id', '_', 1) = (select facebook_page_id"
        "  from staging.brands where is_ours)"
        " and payload->'from'->>'id' <> split_part(payload->>'post_id', '_', 1)"
        " and payload->'parent' is null order by natural_key limit 1"
    )
    assert rows
    return rows[0]


@pytest.fixture(scope="module")
def photo_only_commenter(built, warehouse_url, tmp_path_factory):
    """A copy of the build where a person who only reacted so far writes five photo-only
    comments on our Page's post (the Graph API returns such a comment with an attachment and
    no `message`), landed as the extractor lands comments, and the nightly build run again:
    (person_id, the person's segments, their people row, the comments' rows in engagements)."""
    from social_crm.load.landing import LandingBatch, RawRecord

    folder = tmp_path_factory.mktemp("photo_only") / "built"
    with copy_of(built, warehouse_url, folder) as (pipeline, _truth):
        person, profile_id, name = _silent_facebook_person(pipeline)
        key, scope, event_at, template = _a_comment_on_our_page(pipeline)
        ids = []
        with pipeline.connect() as conn, LandingBatch(conn, "facebook", "comments") as batch:
            for i in range(PHOTO_COMMENTS):
                comment_id = f"{key}{9000 + i}"
                ids.append(comment_id)
                photo = {k: v for k, v in template.items() if k != "message"}
                photo["id"] = comment_id
                photo["from"] = {"id": profile_id, "name": name}
                photo["attachment"] = {"type": "photo", "url": f"https://example.com/{i}.jpg"}
                batch.add(RawRecord(comment_id, photo, scope_key=scope, event_at=event_at))
        nightly_build(as_of=world_now(pipeline.sim))
        segments = {
            r[0]: r[1]
            for r in pipeline.rows(
                "select segment, reason from marts.people_segments where person_id = %s", person
            )
        }
        people = pipeline.rows(
            "select expected_positive_messages, expected_negative_messages, positive_messages,"
            " negative_messages, comments_count from marts.people where person_id = %s",
            person,
        )
        engagements = pipeline.rows(
            "select message_id, sentiment, p_negative, p_neutral, p_positive, intent"
            " from marts.engagements where message_id = any(%s)",
            ids,
        )
        return person, segments, people, engagements


def test_photo_only_comments_do_not_make_a_detractor(photo_only_commenter):
    """A customer who comments on our posts with photos only (no text) has said nothing
    negative. The scorer reads an empty text as negative 0.372 / neutral 0.355 / positive
    0.274, so five such comments make 1.86 expected negatives (rounded 2) against 1.37
    positives (rounded 1): a detractor, 'reason' says '0 and 5 read so' negative."""
    person, segments, people, engagements = photo_only_commenter
    assert len(engagements) == PHOTO_COMMENTS, engagements
    assert "detractor" not in segments, (person, segments, people)


def test_a_photo_only_comment_is_not_labelled_a_negative_complaint(photo_only_commenter):
    """marts.engagements labels each text-less comment 'negative', intent 'complaint'."""
    person, segments, people, engagements = photo_only_commenter
    assert len(engagements) == PHOTO_COMMENTS, engagements
    assert [e for e in engagements if e[1] == "negative" or e[5] == "complaint"] == []
