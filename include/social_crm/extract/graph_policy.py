"""What the Facebook Graph API's answers mean, for the transport (`http.ApiClient`).

Errors are read by their code, whatever the HTTP status
(developers.facebook.com/docs/graph-api/guides/error-handling): throttles are codes 4, 17, 32,
613 and 80001 (Pages business use case) on HTTP 400 or 403
(developers.facebook.com/docs/graph-api/overview/rate-limiting); 190, 102 and 200-299 refuse
the token; 10 is a permission the token lacks. The usage headers (`X-App-Usage`,
`X-Page-Usage`, `X-Business-Use-Case-Usage`: percent of each limit used, and
`estimated_time_to_regain_access` in minutes) pace the calls from USAGE_SLOWDOWN_FROM on, before
the API throttles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from social_crm.extract.http import Answer, ApiAccessError, ApiError, ErrorDetail, Usage

RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}
AUTH_CODES = {190, 102} | set(range(200, 300))
PERMISSION_CODES = {10}
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
