"""What the Facebook Graph API's answers mean, for the transport (`http.ApiClient`).

Errors are read by their code, whatever the HTTP status
(developers.facebook.com/docs/graph-api/guides/error-handling): throttles are codes 4, 17, 32,
613, 80001 (Pages business use case) and 80002 (Instagram business use case) on HTTP 400
or 403
(developers.facebook.com/docs/graph-api/overview/rate-limiting); 190 and 102 refuse the
token; 10 and 200-299 are a permission the token lacks ("Permission is either not granted or
has been removed", developers.facebook.com/docs/graph-api/guides/error-handling): retrying
will not help, and a new token neither. A New Pages Experience Page read with any token but
its own Page token answers `(#190) This method must be called with a Page Access Token`
(reported: github.com/halsandr/Facebook_Connector/issues/1,
github.com/pablobarbera/Rfacebook/issues/174) or code 200 subcode 2069030 "New Pages
Experience Is Not Supported" (github.com/pellaeon/fb-post-bulk-privacy-edit/issues/20): the
fix is the Page's token, not a new one (`PageTokenRequired`). The usage headers (`X-App-Usage`,
`X-Page-Usage`, `X-Business-Use-Case-Usage`: percent of each limit used, and
`estimated_time_to_regain_access` in minutes) pace the calls from USAGE_SLOWDOWN_FROM on, before
the API throttles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from social_crm.extract.http import Answer, ApiAccessError, ApiError, ErrorDetail, Usage

RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002}
AUTH_CODES = {190, 102}
PERMISSION_CODES = {10} | set(range(200, 300))
PAGE_TOKEN_REQUIRED = "must be called with a page access token"  # code 190, lowercased
NPE_NOT_SUPPORTED = (200, 2069030)  # code, subcode


class PageTokenRequired(ApiAccessError):
    """Graph reads this Page's objects only with the Page's own token (New Pages Experience):
    the Page must be read as one of the brand's, with its Page token; a new connection token
    would not help."""


USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
USAGE_COUNTERS = ("call_count", "total_cputime", "total_time")
USAGE_SLOWDOWN_FROM = 80.0  # percent of a usage header: from here on, pace the calls


class GraphPolicy:
    """The Graph API's rules, for `ApiClient(policy=GraphPolicy())`."""

    def error_detail(self, body: dict) -> ErrorDetail:
        error = graph_error(body)
        return ErrorDetail(
            _number(error.get("code")),
            _number(error.get("error_subcode")),
            str(error.get("message") or ""),
        )

    def usage(self, headers: Mapping[str, str]) -> Usage:
        readings: dict[str, float] = {}
        regain = 0.0
        for header in USAGE_HEADERS:
            raw = headers.get(header)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            for entry in _usage_entries(header, value):
                for name in USAGE_COUNTERS:
                    number = entry.get(name)
                    if isinstance(number, int | float):
                        key = f"{header}:{name}"
                        readings[key] = max(readings.get(key, 0.0), float(number))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    regain = max(regain, float(minutes) * 60)
        worst = max(readings.values(), default=0.0)
        pace = None
        if worst >= USAGE_SLOWDOWN_FROM:
            pace = min(1.0, (worst - USAGE_SLOWDOWN_FROM) / (100.0 - USAGE_SLOWDOWN_FROM))
        return Usage(readings, regain or None, pace)

    def is_rate_limited(self, status: int, body: dict) -> bool:
        return status == 429 or self.error_detail(body).code in RATE_LIMIT_CODES

    def reset_wait(self, headers: Mapping[str, str], now: float) -> float | None:
        return None  # Graph gives the time to regain access in its usage headers instead

    def spacing(self, path: str) -> float:
        return 0.0  # Graph paces by its usage headers instead

    def refusal(self, answer: Answer) -> ApiError | None:
        return None  # Graph refuses with an error status (a batch's items carry their own)

    def final_error(self, answer: Answer) -> ApiError | None:
        code = answer.detail.code
        if needs_page_token(answer.detail):
            return PageTokenRequired(
                f"{answer.connection_id}: {answer.where}: Graph reads this only with the "
                f"Page's own access token (New Pages Experience; Graph error {code}: "
                f"{answer.redact(answer.detail.message)}). A Page of the brand is read with "
                "its Page token when dbt_project/seeds/brands.csv marks it is_ours and the "
                "connection's system user has the MODERATE and ANALYZE tasks on it; a "
                "rival's Page is read as public content only. Updating the token will not help.",
                answer.status,
                answer.body,
            )
        if answer.status == 401 or code in AUTH_CODES or (answer.status == 403 and code is None):
            detail = answer.detail.message or str(answer.body.get("detail") or "")
            return answer.auth_error(detail, f"Graph error {code}" if code else "")
        if code in PERMISSION_CODES:
            return ApiAccessError(
                f"{answer.connection_id}: {answer.where}: the token lacks a permission (Graph "
                f"error {code}: {answer.redact(answer.detail.message)})",
                answer.status,
                answer.body,
            )
        return answer.request_error() if answer.is_client_error else None


def needs_page_token(detail: ErrorDetail) -> bool:
    """Whether Graph refused a read because only the Page's own token may make it."""
    if (detail.code, detail.subcode) == NPE_NOT_SUPPORTED:
        return True
    return detail.code == 190 and PAGE_TOKEN_REQUIRED in detail.message.lower()


def cannot_load(detail: ErrorDetail) -> bool:
    """Whether Graph cannot load the object asked for: `(#100)` subcode 33 "Object with ID
    ... does not exist, cannot be loaded due to missing permissions, or does not support this
    operation" (github.com/restfb/restfb/issues/1075), the same without a subcode for a
    restricted Page (github.com/hasadna/kikar-hamedina/issues/303), or "Object does not
    exist, cannot be loaded due to missing permission or reviewable feature"
    (github.com/strohne/Facepager/issues/174). It says nothing of why: deleted, restricted
    by age or country, unpublished, or a permission missing."""
    if detail.code != 100:
        return False
    return detail.subcode == 33 or "cannot be loaded" in detail.message.lower()


def graph_error(body: Any) -> dict:
    """Graph's error object of an answer ({} when there is none)."""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _number(value: Any) -> int | None:
    """A Graph error code or subcode: an integer, or its ASCII digits as text (a proxy or
    gateway re-serialising the error sends "17"); anything else (a list, a bool, other text)
    is no code."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage_entries(header: str, value: Any) -> list[dict]:
    """The readings of one usage header: one object, or (business use case) lists of them
    under each business id."""
    if header != "x-business-use-case-usage":
        entries = [value]
    else:
        entries = [
            entry
            for group in (value.values() if isinstance(value, dict) else [])
            for entry in (group if isinstance(group, list) else [])
        ]
    return [entry for entry in entries if isinstance(entry, dict)]
