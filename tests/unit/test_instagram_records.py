"""The Instagram record builders (extract/instagram_streams.py): what lands, keyed how, and
that anything else is refused with a reason (quarantined), never half-landed and never a
crash, whatever the API (or a proxy in front of it) sends."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract.instagram_streams import (
    account_builder,
    account_insight_record,
    comment_record,
    media_insight_record,
    media_record,
    mentioned_comment_record,
)
from social_crm.extract.records import InvalidRecord, storable

MEDIA = {
    "id": "17895695668004550",
    "caption": "New roast",
    "media_type": "IMAGE",
    "media_product_type": "FEED",
    "permalink": "https://www.instagram.com/p/DBx1a2B3c4D/",
    "timestamp": "2026-11-20T10:00:00+0000",
    "username": "fjordbrew",
    "like_count": 3,
    "comments_count": 1,
}
COMMENT = {
    "id": "17873440459141021",
    "text": "I love this!",
    "timestamp": "2026-11-20T11:10:30+0000",
    "username": "kari.nordmann",
    "from": {"id": "17841405822304914", "username": "kari.nordmann"},
    "like_count": 0,
    "hidden": False,
}
BUILDERS = {
    "media": lambda item: media_record(item, "own:17841400000000001"),
    "comment": lambda item: comment_record(item, "17895695668004550"),
    "mentioned_comment": lambda item: mentioned_comment_record(item, "mentions:1"),
    "account": lambda item: account_builder(date(2026, 11, 21))(item, "1"),
    "account_insight": lambda item: account_insight_record(item),
    "media_insight": lambda item: media_insight_record(item),
}
VALID = {
    "media": MEDIA,
    "comment": COMMENT,
    "mentioned_comment": {k: COMMENT[k] for k in ("id", "text", "timestamp", "like_count")},
    "account": {"id": "17841400000000001", "username": "fjordbrew", "followers_count": 5},
    "account_insight": {"ig_user_id": "1784", "metric": "reach", "day": "2026-11-20", "value": 7},
    "media_insight": {"media_id": "1789", "metric": "views", "day": "2026-11-20", "value": 7},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
# digits of other scripts, and other look-alikes of an id that are no Graph id
not_ascii_digits = st.text(
    alphabet=st.sampled_from("١٢٣٤٥٦٧٨٩٠１２３²³⁴߁०੧"), min_size=1, max_size=12
) | st.sampled_from(["12 34", "12\n", "-12", "1_2_3_4", "12/34", "../12", "1e5", "0x12", ""])


@pytest.mark.parametrize("kind", list(VALID))
def test_a_valid_item_lands_unchanged(kind):
    record = BUILDERS[kind](VALID[kind])
    assert record.payload == VALID[kind]


@pytest.mark.parametrize("kind", list(VALID))
@given(field=st.sampled_from(["id", "ig_user_id", "media_id"]), value=json_values)
def test_a_hostile_value_in_an_id_field_is_refused_or_lands_as_given(kind, field, value):
    item = {**VALID[kind], field: value} if field in VALID[kind] else dict(VALID[kind])
    try:
        record = BUILDERS[kind](item)
    except InvalidRecord:
        return
    assert record.payload == item


@pytest.mark.parametrize("kind", list(VALID))
@given(data=st.data())
def test_any_item_is_refused_with_a_reason_or_lands_unchanged(kind, data):
    """Whatever field gets whatever JSON value: InvalidRecord (quarantined) or the item as
    given, never another exception."""
    item = dict(VALID[kind])
    for _ in range(data.draw(st.integers(1, 3))):
        item[data.draw(st.sampled_from([*item, "extra"]))] = data.draw(json_values)
    try:
        record = BUILDERS[kind](item)
    except InvalidRecord as refused:
        assert str(refused)
        return
    assert record.payload in (item, {**item, "media_id": "17895695668004550"})


@pytest.mark.parametrize("kind", ["media", "comment", "mentioned_comment", "account"])
@given(item=json_values)
def test_anything_but_an_object_is_refused(kind, item):
    if isinstance(item, dict):
        return
    with pytest.raises(InvalidRecord, match="not an object"):
        BUILDERS[kind](item)


@pytest.mark.parametrize("kind", ["media", "comment", "mentioned_comment", "account"])
@given(value=not_ascii_digits)
def test_an_id_of_unicode_digits_or_path_characters_is_refused(kind, value):
    with pytest.raises(InvalidRecord):
        BUILDERS[kind]({**VALID[kind], "id": value})


@given(value=not_ascii_digits)
def test_a_comment_authors_id_of_other_digits_is_refused(value):
    with pytest.raises(InvalidRecord, match="'from"):
        comment_record({**COMMENT, "from": {"id": value, "username": "x"}}, "1")


@pytest.mark.parametrize("field", ["like_count", "comments_count"])
@given(value=st.booleans() | st.text() | st.floats() | st.integers(max_value=-1))
def test_a_count_that_is_not_a_whole_number_is_refused(field, value):
    with pytest.raises(InvalidRecord, match=field):
        media_record({**MEDIA, field: value}, "own:1")


@pytest.mark.parametrize("kind", ["media", "comment"])
@given(
    text=st.text(min_size=0, max_size=20),
    at=st.integers(0, 20),
    field=st.sampled_from(["caption", "text", "username"]),
)
def test_a_nul_character_anywhere_is_refused_naming_it(kind, text, at, field):
    """PostgreSQL's jsonb cannot hold \\u0000: landing one would fail the whole batch. The
    rule every platform's item meets where it lands (`records.land_or_quarantine`)."""
    item = {**VALID[kind], field: text[:at] + "\x00" + text[at:]}
    with pytest.raises(InvalidRecord, match="NUL"):
        storable(item)


@given(text=st.text(alphabet=st.characters(max_codepoint=0x1F, exclude_characters="\x00")))
def test_other_control_characters_in_a_caption_land_as_written(text):
    record = media_record({**MEDIA, "caption": text}, "own:1")
    assert record.payload["caption"] == text


@given(value=st.text(max_size=40))
def test_a_timestamp_not_in_graphs_format_is_refused(value):
    try:
        media_record({**MEDIA, "timestamp": value}, "own:1")
    except InvalidRecord as refused:
        assert "timestamp" in str(refused)


@pytest.mark.parametrize("username", ["fjord brew", "a" * 31, "émile", "x/y", "", "fjord\nbrew"])
def test_a_username_instagram_would_not_allow_is_refused(username):
    with pytest.raises(InvalidRecord, match="username"):
        comment_record({**COMMENT, "username": username}, "1")


def test_a_reply_gains_its_walks_media_and_a_top_level_comment_does_not():
    reply = {**COMMENT, "id": "17873440459141099", "parent_id": "17873440459141021"}
    assert comment_record(reply, "1789").payload["media_id"] == "1789"
    assert "media_id" not in comment_record(COMMENT, "1789").payload


def test_a_reply_whose_api_item_names_its_media_is_kept_as_given():
    reply = {**COMMENT, "parent_id": "17873440459141021", "media": {"id": "42"}}
    assert comment_record(reply, "1789").payload == reply


def test_a_comment_is_scoped_by_its_media_and_keyed_by_its_id():
    record = comment_record(COMMENT, "1789")
    assert (record.natural_key, record.scope_key) == (COMMENT["id"], "1789")


def test_a_comment_whose_from_has_no_id_is_refused():
    with pytest.raises(InvalidRecord, match="from"):
        comment_record({**COMMENT, "from": {"username": "x"}}, "1")


def test_a_snapshot_is_keyed_by_account_and_day():
    record = account_builder(date(2026, 11, 21))(VALID["account"], "")
    assert record.natural_key == "17841400000000001:2026-11-21"


@given(value=st.booleans() | st.text() | st.floats() | st.none())
def test_an_insights_value_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(InvalidRecord, match="value"):
        media_insight_record({**VALID["media_insight"], "value": value})


@pytest.mark.parametrize("day", ["2026-13-01", "2026-11-31", "26-11-20", "２０２６-11-20", None])
def test_an_insights_day_that_is_no_date_is_refused(day):
    with pytest.raises(InvalidRecord, match="day"):
        account_insight_record({**VALID["account_insight"], "day": day})
