"""What the X API v2's answers mean, for the transport (`http.ApiClient`).

X answers 429 with `x-rate-limit-reset` (epoch seconds) when an endpoint's window is spent
(docs.x.com/x-api/fundamentals/rate-limits); a spent monthly Post cap is also a 429, but with
the `usage-capped` problem type, and waiting minutes will not help (docs.x.com/x-api/
fundamentals/post-cap); an endpoint outside the access tier is 403 `client-forbidden` /
`client-not-enrolled` (v1.1: error 453). Problems are RFC 7807 objects (`type`, `title`,
`detail`), not numbered errors, so `ApiError.error_code` stays None for X.

Pay-per-use (docs.x.com/x-api/getting-started/pricing): when the credits are spent or the
spending limit is reached, "API requests will be blocked" until credits are added or the next
billing cycle; the docs give no status or problem type. Seen in the field: HTTP 402
`Payment Required`, type `.../problems/credits-depleted`. Whatever status carries it (402, 403,
429 ...), a problem naming credits, a spending limit or the usage cap, and any 402, means the
money is spent: `UsageCapExceeded`, which ends the run cleanly with what it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from social_crm.extract.http import (
    Answer,
    ApiAccessError,
    ApiError,
    ErrorDetail,
    Usage,
    UsageCapExceeded,
)

FORBIDDEN_TYPES = ("client-forbidden", "client-not-enrolled")
FULL_ARCHIVE_SPACING = 1.0  # seconds between two full-archive searches
OUTSIDE_TIER_CODE = 453  # v1.1: "You currently have access to a subset of X API v2 endpoints"


class XPolicy:
    """The X API v2's rules, for `ApiClient(policy=XPolicy())`; `full_archive_spacing`: the
    seconds between two full-archive searches (the documented 1/sec; a simulator enforcing no
    request limits takes 0)."""

    def __init__(self, full_archive_spacing: float = FULL_ARCHIVE_SPACING) -> None:
        self.full_archive_spacing = full_archive_spacing

    def error_detail(self, body: dict) -> ErrorDetail:
        return ErrorDetail()

    def usage(self, headers: Mapping[str, str]) -> Usage:
        return Usage()  # the x-rate-limit-* headers count requests, read at a 429 only

    def is_rate_limited(self, status: int, body: dict) -> bool:
        return status == 429 and not is_usage_capped(body) and not is_out_of_credits(body)

    def reset_wait(self, headers: Mapping[str, str], now: float) -> float | None:
        reset = headers.get("x-rate-limit-reset")
        if reset and reset.isascii() and reset.isdigit():
            return max(0.0, int(reset) - now) + 0.5
        return None

    def spacing(self, path: str) -> float:
        """Full-archive search allows one request a second besides its 15-minute window
        (docs.x.com/x-api/fundamentals/rate-limits: "1/sec" per app and per user)."""
        full_archive = path.rstrip("/").endswith("/tweets/search/all")
        return self.full_archive_spacing if full_archive else 0.0

    def refusal(self, answer: Answer) -> ApiError | None:
        """A 200 that says the credits or the Post cap are spent (at the top or in `errors`)
        refuses the request as a 402 or 429 would: `UsageCapExceeded`."""
        return _money_spent(answer)

    def final_error(self, answer: Answer) -> ApiError | None:
        body, conn, status = answer.body, answer.connection_id, answer.status
        if (spent := _money_spent(answer)) is not None:
            return spent
        problem = _problem(body)
        if any(kind in problem for kind in FORBIDDEN_TYPES) or OUTSIDE_TIER_CODE in _codes(body):
            detail = answer.redact(str(body.get("detail") or body.get("reason") or problem))
            return ApiAccessError(
                f"{conn}: {answer.where} is not part of this connection's X access tier "
                f"(HTTP {status}: {detail}). "
                f"Set 'tier' in the extra of connection '{conn}' to the project's real tier, "
                "or upgrade the tier in the X developer console",
                status,
                body,
            )
        if status == 402:  # Payment Required, whatever the body says
            return _out_of_credits(answer)
        if status in (401, 403):
            return answer.auth_error(str(body.get("detail") or ""))
        return answer.request_error() if answer.is_client_error else None


CREDIT_WORDS = (
    "credits-depleted",
    "creditsdepleted",
    "credits depleted",
    "spending limit",
    "spend-cap",
    "spend cap",
    "payment required",
    "payment-required",
)


def _money_spent(answer: Answer) -> UsageCapExceeded | None:
    """The one rule for "this answer says the money or the Post cap is spent", whatever its
    status (a 402 without such a problem is read as the same by `final_error`)."""
    body = answer.body
    if is_out_of_credits(body):
        return _out_of_credits(answer)
    if is_usage_capped(body):
        return UsageCapExceeded(
            f"{answer.connection_id}: the monthly Post cap of this X project is spent "
            f"({answer.redact(_problem_text(body))}); "
            "reads resume when the cap resets next month",
            answer.status,
            body,
        )
    return None


def _out_of_credits(answer: Answer) -> UsageCapExceeded:
    body = answer.body
    return UsageCapExceeded(
        f"{answer.connection_id}: this X account's credits are spent or its spending limit is "
        f"reached (HTTP {answer.status}: "
        f"{answer.redact(_problem_text(body))}); "
        "reads resume when credits are added or the spending limit is raised at "
        "console.x.com, or in the next billing cycle",
        answer.status,
        body,
    )


def is_out_of_credits(body: Any) -> bool:
    """Whether an answer's problem (at the top, or one of its `errors`) names the credits or
    the spending limit."""
    return any(
        any(word in f"{_problem(p)} {str(p.get('detail') or '').lower()}" for word in CREDIT_WORDS)
        for p in _problems(body)
    )


def is_usage_capped(body: Any) -> bool:
    """Whether an answer's problem (at the top, or one of its `errors`) is the spent Post cap."""
    return any("usage-capped" in _problem(p) or "usagecap" in _problem(p) for p in _problems(body))


def _problems(body: Any) -> list[dict]:
    """The answer itself and each problem under its `errors` (X puts a request's problems at
    the top, and those of a partial answer, carried by a 200, under `errors`)."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    return (
        [body] + [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [body]
    )


def _problem_text(body: dict) -> str:
    """The detail (or title) of the answer's money problem, for the error message."""
    for p in _problems(body):
        if is_out_of_credits({**p, "errors": None}) or is_usage_capped({**p, "errors": None}):
            return str(p.get("detail") or p.get("title") or "")
    return str(body.get("detail") or body.get("title") or "")


def _problem(body: Any) -> str:
    """X's problem type (and reason, title), lower case: '' when the answer has none."""
    if not isinstance(body, dict):
        return ""
    parts = [
        str(body.get("type") or ""),
        str(body.get("reason") or ""),
        str(body.get("title") or ""),
    ]
    return " ".join(parts).lower()


def _codes(body: Any) -> set[int]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), int)}
