"""The one redaction rule (social_crm.redact): an Authorization credential is always masked,
the platforms' own error wording is not."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from social_crm.redact import redact

TOKEN_CHARS = string.ascii_letters + string.digits + "._~+/=-"
PLATFORM_WORDS = {"access", "token", "2.0", "1.0", "1.0a", "error", "exception"}


@given(
    scheme=st.sampled_from(["Bearer", "bearer", "OAuth", "oauth"]),
    token=st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=60).filter(
        lambda t: t.lower() not in PLATFORM_WORDS
    ),
    tail=st.sampled_from(["", " ", ",", "\n", " and more"]),
)
def test_an_authorization_credential_never_survives(scheme: str, token: str, tail: str) -> None:
    assert redact(f"Authorization: {scheme} {token}{tail}") == f"Authorization: {scheme} ***{tail}"


def test_graph_api_error_wording_is_kept_whole() -> None:
    messages = [
        "Invalid OAuth access token.",
        "Invalid OAuth 2.0 Access Token",
        "Error validating access token: Session has expired",
        "(#190) OAuthException: Invalid OAuth access token - Cannot parse access token",
    ]
    assert [redact(m) for m in messages] == messages
