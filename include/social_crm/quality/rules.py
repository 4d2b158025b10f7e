"""What a valid landed value is, each rule defined once. The loads quarantine a value these
rules refuse, and the gates check landed rows with the same rules (the raw gate's SQL is
rendered from them, see raw_suites.py; the dbt tests on the CRM staging models name the same
values, which tests/unit/test_crm_gate_rules.py holds equal), so a value a load lets in
never stops the nightly.

Numbers are ASCII: Python's `int`, `Decimal` and `str.isdigit` take other scripts' digits
(`١٢`, `１２`), superscripts (`²`) and `1_000`; PostgreSQL and the people reading the marts
do not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

# --- moments ----------------------------------------------------------------------------------
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# how far ahead of this machine's clock a moment may be: the clocks of the APIs, the CRM's
# exporting system and this machine differ a little; later than that is in the future
CLOCK_SKEW = timedelta(hours=1)
# the widest offset of a real time zone (Kiribati, +14:00); PostgreSQL refuses beyond 15:59
MAX_UTC_OFFSET = timedelta(hours=14)


def sql_interval(delta: timedelta) -> str:
    """`delta` as a PostgreSQL interval literal."""
    return f"interval '{int(delta.total_seconds())} seconds'"


def in_future_sql(column: str) -> str:
    """The SQL condition of a moment in the future (what the raw gate refuses)."""
    return f"{column} > now() + {sql_interval(CLOCK_SKEW)}"


def moment_problem(moment: datetime, now: datetime | None = None) -> str | None:
    """Why `moment` (time-zone aware) is not a valid event time, or None."""
    if moment.tzinfo is None:
        return "has no time zone"
    if abs(moment.utcoffset() or timedelta(0)) > MAX_UTC_OFFSET:
        return "has a time zone offset beyond 14 hours"
    if moment < EARLIEST:
        return f"is before {EARLIEST.year}"
    if moment > (now or datetime.now(UTC)) + CLOCK_SKEW:
        return "is in the future"
    return None


# --- numbers ----------------------------------------------------------------------------------
_WHOLE = re.compile(r"-?[0-9]{1,18}")
_AMOUNT = re.compile(r"[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,9})?")
MAX_AMOUNT = Decimal(1_000_000)  # an order or price at or above this is a typo or a test row
AMOUNT_PLACES = 2  # the staging models cast amounts to numeric(12, 2)
BIRTH_YEARS = (1900, 2030)


def whole_number(text: str) -> int:
    """`text` as an int when it is ASCII digits (an optional leading minus, at most 18
    digits); ValueError otherwise."""
    if not _WHOLE.fullmatch(text):
        raise ValueError("is not a whole number")
    return int(text)


# a count an API reports (a follower count): whole, from 0 to MAX_COUNT (ten billion: more
# than the people on Earth, so no account's real count; the largest accounts have under a
# billion followers); the staging models read it by the same rule (dbt macro whole_count),
# so an odd count never stops the build nor inflates Social CLV: it is unknown (None)
MAX_COUNT = 10**10


def whole_count(value: object) -> int | None:
    """`value` (a JSON number or its text) as a count when it is a whole number from 0 to
    MAX_COUNT (1500.0 is 1500); None (unknown) otherwise: huge, fractional, negative, not a
    number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        whole = value.is_integer() and 0 <= value <= MAX_COUNT
        return int(value) if whole else None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,16}(\.0*)?", text):
        return None
    count = int(text.split(".")[0])
    return count if count <= MAX_COUNT else None


def amount(text: str) -> Decimal:
    """`text` as an amount of money: an ASCII decimal number (an exponent allowed), 0 or more,
    at most AMOUNT_PLACES decimals and below MAX_AMOUNT (a refund is not a negative order);
    ValueError naming what is wrong otherwise."""
    if text.lstrip().startswith("-") and _AMOUNT.fullmatch(text.lstrip()[1:]):
        raise ValueError("is negative")
    if not _AMOUNT.fullmatch(text):
        raise ValueError("is not a number")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError("is not a number") from None
    if value >= MAX_AMOUNT:
        raise ValueError(f"is not below {MAX_AMOUNT:,}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_PLACES:
        raise ValueError(f"has more than {AMOUNT_PLACES} decimals")
    value = value.copy_abs()  # -0 is 0
    return value.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)) if "e" in text.lower() else value


# --- identifiers and text ---------------------------------------------------------------------
# Ids as the platforms mint them: Graph node ids are digits, with `_` between the parts of a
# post or comment id (page_post, post_comment); X ids are 64-bit snowflakes (at most 19 digits).
# An id is used in request paths, so anything else is refused before it can become a URL.
# (`\Z`, not `$`: `$` also matches before a final newline.)
GRAPH_ID = re.compile(r"\A[0-9]{1,40}(_[0-9]{1,40}){0,2}\Z")
X_ID = re.compile(r"\A[0-9]{1,19}\Z")
# a person's name on a platform, by platform: X's handle (letters, digits, `_`, at most 15) and
# Instagram's username (letters, digits, `.`, `_`, at most 30; case does not matter on either).
# The CRM load and the raw gate both read HANDLE_PATTERNS (handle_problem_sql renders them).
HANDLE_PATTERNS = {"x": ("A-Za-z0-9_", 15), "instagram": ("A-Za-z0-9._", 30)}
HANDLES = {
    platform: re.compile(rf"\A[{chars}]{{1,{longest}}}\Z")
    for platform, (chars, longest) in HANDLE_PATTERNS.items()
}
X_HANDLE = HANDLES["x"]
INSTAGRAM_USERNAME = HANDLES["instagram"]
MESSAGE_ID = re.compile(r"\A[0-9A-Za-z_:-]{1,100}\Z")  # a Graph object id or an X post id
EMAIL = re.compile(r"\A[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+\Z")


def handle_problem_sql(platform: str, handle: str) -> str:
    """The SQL condition of a `handle` (a column) that is not a handle of its `platform`'s
    (HANDLES): true for a handle on a platform that has none."""
    cases = " ".join(
        f"when '{p}' then {handle} ~ '^[{chars}]{{1,{longest}}}$'"
        for p, (chars, longest) in HANDLE_PATTERNS.items()
    )
    return f"({handle} is not null and not coalesce(case {platform} {cases} end, false))"


# --- closed sets (the dbt staging tests' accepted_values; the platforms are catalog.PLATFORMS) --
DECISIONS = ("accept", "reject")
SENTIMENTS = ("negative", "neutral", "positive")
