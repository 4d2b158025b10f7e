"""Keep secrets out of logs, exception messages and XComs: one rule for every module that
shows text it did not write (API errors, task failures, alerts)."""

from __future__ import annotations

import re

_QUERY_SECRETS = re.compile(
    r"((?:access_token|token|bearer_token|client_secret)=)[^&\s'\"]+", re.IGNORECASE
)
# an Authorization header's credentials; not the platforms' own words after "OAuth" in an error
# ("Invalid OAuth access token", "OAuth 2.0", Graph API's OAuthException), which are no secret
_AUTH_HEADER = re.compile(
    r"\b(Bearer|OAuth)\s+(?!(?:access|token|2\.0|1\.0a?|error|exception)(?:\s|$))[A-Za-z0-9._~+/=-]+",
    re.IGNORECASE,
)
# a URL's user information (user:password@host): a password put in a connection's host
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/?#@\s]*@", re.IGNORECASE)


def redact(text: str, *secrets: str | None) -> str:
    """`text` with the given secrets, any token-looking query parameter and any URL's user
    information (user:password@) replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _QUERY_SECRETS.sub(r"\1***", text)
    text = _URL_USERINFO.sub(r"\1***@", text)
    return _AUTH_HEADER.sub(r"\1 ***", text)
