"""An Instagram username, wherever a person's name on Instagram is read: the CRM's known-accounts
file (platform `instagram`, `handle` = username, one rule with the raw gate: rules.HANDLES) and
an erasure request's identifiers (`@name`, instagram.com/name)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.extract.crm import InvalidRow, identity_decision_record, social_account_record
from social_crm.extract.erasure_identifiers import INSTAGRAM_RESERVED_PATHS, identifiers
from social_crm.quality import rules

USERNAME_CHARS = string.ascii_letters + string.digits + "._"
# usernames a person may have: Instagram's characters, 1 to 30 (a page of theirs is no one's)
USERNAMES = st.text(USERNAME_CHARS, min_size=1, max_size=30).filter(
    lambda u: u.lower() not in INSTAGRAM_RESERVED_PATHS
)
# ... and those only Instagram allows: a period, or longer than an X handle
INSTAGRAM_ONLY = USERNAMES.filter(lambda u: "." in u or len(u) > 15)
# the platforms' hosts: a bare token ending in one is read as a URL
PLATFORM_HOSTS = ("facebook.com", "fb.com", "x.com", "twitter.com", "instagram.com", "instagr.am")
# anything a CRM export's cell may hold (no NUL: the CSV reader refuses it before the row)
CELLS = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=40)


def _account(handle: str) -> dict:
    return {
        "customer_id": "C000001",
        "platform": "instagram",
        "handle": handle,
        "source": "social_login",
        "linked_at": "2026-11-30T10:00:00Z",
    }


@given(USERNAMES, st.sampled_from(["{}", "@{}"]))
def test_a_known_instagram_account_lands_under_its_username_in_lower_case(username, written):
    record = social_account_record(_account(written.format(username)))
    assert record.natural_key == f"C000001:instagram:@{username.lower()}"
    assert record.payload["handle"] == username
    assert record.payload["account_id"] is None


@given(CELLS)
def test_a_known_instagram_account_lands_only_with_a_username_instagram_allows(cell):
    username = cell.strip().removeprefix("@")
    try:
        social_account_record(_account(cell))
    except InvalidRow as refused:
        assert not (username and rules.INSTAGRAM_USERNAME.match(username))
        if username:
            assert "is not an Instagram username" in str(refused)
    else:
        assert rules.INSTAGRAM_USERNAME.match(username)


def test_a_username_of_31_characters_is_refused():
    with pytest.raises(InvalidRow, match="is not an Instagram username"):
        social_account_record(_account("a" * 31))


def test_a_known_instagram_account_given_by_account_id_is_refused_with_the_reason():
    with pytest.raises(InvalidRow, match="instagram is read by its username, in handle"):
        social_account_record(_account("mia.w") | {"account_id": "17841400000000099"})


@given(USERNAMES)
def test_a_staff_decision_names_an_instagram_profile_by_its_username_in_lower_case(username):
    record = identity_decision_record(
        {
            "customer_id": "C000001",
            "platform": "instagram",
            "account_id": f"@{username}",
            "decision": "accept",
            "decided_at": "2026-11-30T10:00:00Z",
        }
    )
    assert record.payload["account_id"] == username.lower()


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(USERNAMES, st.data())
def test_an_instagram_profile_url_reads_as_its_username(username, data):
    template = data.draw(
        st.sampled_from(
            [
                "https://www.instagram.com/{}/",
                "instagram.com/{}",
                "https://instagram.com/{}?igsh=abc123",
                "https://m.instagram.com/{}",
                "https://www.instagram.com/stories/{}/3141592653589793/",
                "instagram.com/_u/{}",
                "https://instagr.am/{}",
                "HTTPS://WWW.INSTAGRAM.COM/{}",
            ]
        )
    )
    written = template.format(username)
    how = data.draw(st.sampled_from(["as is", "full-width", "percent-encoded"]))
    if how == "full-width":
        written = _fullwidth(written)
    elif how == "percent-encoded":
        written = "".join(f"%{ord(c):02X}" if c in "./" else c for c in written)
    assert identifiers(written) == ({"instagram_usernames": [username.lower()]}, [])


@given(INSTAGRAM_ONLY, st.sampled_from(["{}", "@{}"]))
def test_a_name_only_instagram_allows_reads_as_an_instagram_username_alone(username, written):
    if written == "{}" and not any(c.isalpha() for c in username):
        return  # a bare word without a letter is no one's (next test)
    if written == "{}" and username.lower().endswith(PLATFORM_HOSTS):
        return  # a bare host of a platform's (touch.facebook.com) is read as its URL
    assert identifiers(written.format(username)) == (
        {"instagram_usernames": [username.lower()]},
        [],
    )


@given(st.text(string.digits + "._", min_size=1, max_size=30))
def test_a_bare_word_without_a_letter_is_no_username(word):
    # a date (05.12.2026), an amount, a version: kept as a token, erasing nothing
    found, _ = identifiers(word)
    assert "instagram_usernames" not in found


@pytest.mark.parametrize("page", ["p/CxYz123", "reel/CxYz123", "explore", "accounts/login"])
def test_an_instagram_page_that_is_no_ones_profile_is_kept_as_a_token(page):
    found, unread = identifiers(f"https://www.instagram.com/{page}/")
    assert found == {"unread_identifiers": [f"https://www.instagram.com/{page}/"]}
    assert unread
