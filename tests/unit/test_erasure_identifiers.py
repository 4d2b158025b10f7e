"""What an erasure request names as the person's own (its optional identifiers column): each
account however it is written, and nothing that would hold the request back."""

from __future__ import annotations

import string

from hypothesis import example, given
from hypothesis import strategies as st

from social_crm.extract.crm import erasure_record
from social_crm.extract.erasure_identifiers import KINDS, X_RESERVED_PATHS, identifiers

# X handles (digits alone are an id; X keeps the names of its own pages for itself)
HANDLES = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=15).filter(
    lambda h: not h.isdigit() and h.lower() not in X_RESERVED_PATHS
)
IDS = st.integers(min_value=1, max_value=10**18).map(str)
SEPARATORS = st.sampled_from([" ", ",", ";", ", ", "\t", " ; "])


def _x_handle_forms(handle: str) -> list[str]:
    return [
        f"https://x.com/{handle}",
        f"https://twitter.com/{handle}/",
        f"x.com/{handle}",
        f"https://mobile.twitter.com/{handle}?ref=1",
        f"www.x.com/{handle}",
    ]


@given(HANDLES, st.data())
def test_an_x_handle_reads_the_same_however_it_is_written(handle, data):
    written = data.draw(st.sampled_from(_x_handle_forms(handle)))
    assert identifiers(written) == ({"x_handles": [handle.lower()]}, [])


WORDS = HANDLES.filter(lambda h: any(c.isalpha() for c in h))


@given(WORDS, st.sampled_from(["{}", "@{}"]))
def test_a_name_without_a_platform_reads_as_an_x_handle_and_an_instagram_username(handle, written):
    # an X handle fits Instagram's rule too: privacy errs on the person's side (a bare word is
    # a username only with a letter: test_instagram_usernames.py)
    assert identifiers(written.format(handle)) == (
        {"x_handles": [handle.lower()], "instagram_usernames": [handle.lower()]},
        [],
    )


@given(IDS, st.data())
def test_a_facebook_profile_url_reads_as_its_id(profile_id, data):
    written = data.draw(
        st.sampled_from(
            [
                f"https://www.facebook.com/profile.php?id={profile_id}",
                f"facebook.com/{profile_id}",
                f"https://m.facebook.com/people/Mia-Wood/{profile_id}",
                f"https://fb.com/profile.php?id={profile_id}&ref=x",
            ]
        )
    )
    assert identifiers(written) == ({"facebook_ids": [profile_id]}, [])


@given(IDS, st.data())
def test_an_x_user_id_url_reads_as_its_id(user_id, data):
    written = data.draw(
        st.sampled_from(
            [
                f"https://x.com/i/user/{user_id}",
                f"https://twitter.com/intent/user?user_id={user_id}",
            ]
        )
    )
    assert identifiers(written) == ({"x_ids": [user_id]}, [])


@given(st.lists(HANDLES, min_size=1, max_size=4), st.lists(IDS, max_size=3), SEPARATORS)
def test_several_identifiers_in_one_field_each_read_once(handles, ids, separator):
    tokens = [f"@{h}" for h in handles] + [f"facebook.com/{i}" for i in ids] + ["Mia@Example.org"]
    found, unread = identifiers(separator.join(tokens + tokens))
    assert unread == []
    assert found["x_handles"] == list(dict.fromkeys(h.lower() for h in handles))
    assert found["instagram_usernames"] == found["x_handles"]
    assert found.get("facebook_ids", []) == list(dict.fromkeys(ids))
    assert found["emails"] == ["mia@example.org"]


@given(
    st.text(
        st.characters(blacklist_characters=" ,;\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"),
        min_size=1,
        max_size=60,
    )
)
def test_any_token_is_kept_once_as_an_account_an_email_or_a_token(token):
    found, unread = identifiers(token)
    if token.split():  # not whitespace alone
        # once, or twice for a name that may be an X handle or an Instagram username
        both = found.get("x_handles") and found.get("instagram_usernames")
        assert sum(len(values) for values in found.values()) == (2 if both else 1)
        if both:
            assert found == {
                "x_handles": found["x_handles"],
                "instagram_usernames": found["x_handles"],
            }
        assert len(unread) == len(found.get("unread_identifiers", []))


def test_a_facebook_url_by_user_name_is_kept_as_a_token_with_the_reason():
    found, unread = identifiers("https://www.facebook.com/mia.wood")
    assert found == {"unread_identifiers": ["https://www.facebook.com/mia.wood"]}
    assert "numeric id" in unread[0]


def test_an_erasure_request_with_an_unreadable_identifier_still_lands(caplog):
    record = erasure_record(
        {
            "customer_id": "C000001",
            "requested_at": "2026-11-30T10:00:00Z",
            "identifiers": "@mia_w https://www.facebook.com/mia.wood",
        }
    )
    assert record.natural_key == "C000001"
    assert record.payload["x_handles"] == ["mia_w"]
    assert record.payload["instagram_usernames"] == ["mia_w"]
    assert record.payload["unread_identifiers"] == ["https://www.facebook.com/mia.wood"]
    assert "C000001" in caplog.text and "identifier 2 of 2" in caplog.text
    assert "mia.wood" not in caplog.text  # the log keeps no identifier of the person


def test_an_erasure_request_without_identifiers_lands_as_before():
    record = erasure_record({"customer_id": "C000001", "requested_at": "2026-11-30T10:00:00Z"})
    assert record.payload == {"customer_id": "C000001", "requested_at": "2026-11-30T10:00:00+00:00"}


# every form a person may copy an account or an email in (a browser's address bar, a mobile
# site, a share link, a mail client), by kind: the parts written in `{}` are the account's own
FORMS = {
    "facebook_ids": [
        "https://www.facebook.com/profile.php?id={id}",
        "https://www.facebook.com/profile.php?id={id}&ref=bookmarks",
        "https://www.facebook.com/app_scoped_user_id/{id}/",
        "https://mbasic.facebook.com/profile.php?id={id}",
        "https://touch.facebook.com/profile.php?id={id}",
        "https://m.facebook.com/{id}",
        "facebook.com/people/Mia-Wood/{id}",
        "https://www.facebook.com/profile.php%3Fid%3D{id}",
    ],
    "x_ids": ["https://x.com/i/user/{id}", "https://twitter.com/intent/user?user_id={id}"],
    "x_handles": [
        "https://x.com/{handle}",
        "https://x.com/@{handle}",
        "https://twitter.com/intent/user?screen_name={handle}",
        "https://twitter.com/intent/follow?screen_name=@{handle}",
        "mobile.twitter.com/{handle}/",
    ],
    "emails": ["{email}", "mailto:{email}", "mailto:{email}?subject=Erasure", "<{email}>"],
}
EMAILS = st.builds(
    "{}@{}.{}".format,
    st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=12),
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10),
    st.sampled_from(["com", "org", "no", "co.uk"]),
)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def _copied(draw, written: str) -> str:
    """`written` as a person may paste it: each character in either case (but for a
    Facebook id's digits, which have none), full-width or percent-encoded at random."""
    out = []
    for c in written:
        how = draw(st.sampled_from(["as is", "swapped case", "full-width", "percent-encoded"]))
        if how == "swapped case":
            c = c.swapcase()
        elif how == "full-width":
            c = _fullwidth(c)
        elif how == "percent-encoded":
            c = "".join(f"%{b:02X}" for b in c.encode())
        out.append(c)
    return "".join(out)


@given(st.data())
def test_an_account_or_email_in_any_form_reads_back_as_itself(data):
    kind = data.draw(st.sampled_from(sorted(FORMS)))
    template = data.draw(st.sampled_from(FORMS[kind]))
    values = {"id": data.draw(IDS), "handle": data.draw(HANDLES), "email": data.draw(EMAILS)}
    written = data.draw(_copied(template.format(**values)))
    expected = {"facebook_ids": "id", "x_ids": "id", "x_handles": "handle", "emails": "email"}
    value = values[expected[kind]]
    assert identifiers(written) == ({kind: [value if kind.endswith("ids") else value.lower()]}, [])


@given(st.text(max_size=200))
def test_no_text_makes_the_identifier_reader_fail(text):
    found, unread = identifiers(text)
    assert set(found) <= set(KINDS)
    assert len(unread) >= len(found.get("unread_identifiers", []))
    assert bool(unread) == bool(found.get("unread_identifiers"))


@given(st.text(st.sampled_from("%:/?@.<>[]#=&xXcomfacebook1_ ＠％"), max_size=80))
@example("https://[x.com/abc")  # urlsplit refuses an unclosed IPv6 bracket
@example("facebook.com:99999/1")  # and a port out of range
def test_no_url_like_text_makes_the_identifier_reader_fail(text):
    found, unread = identifiers(text)
    assert bool(unread) == bool(found.get("unread_identifiers"))
