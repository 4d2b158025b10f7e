"""Hypothesis strategies for hostile CRM export files: values that look like numbers, dates
and ids in other scripts, with odd spaces, quotes, delimiters and line breaks; whole files in
other encodings, with BOMs, NULs, huge fields, no rows or no header; names with control
characters and bytes that are not UTF-8.

Example counts stay small in the suite (its time budget); HYPOTHESIS_PROFILE=soak runs the soak
profile's count (tests/conftest.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from social_crm.extract.crm import FILES, CrmFile

SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"


def budget(examples: int) -> settings:
    """The loaded profile's settings with `examples` examples (the soak profile's own count
    under HYPOTHESIS_PROFILE=soak)."""
    return settings(
        max_examples=settings.default.max_examples if SOAK else examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# digits that are not ASCII but that Python's int(), Decimal() or str.isdigit() take
UNICODE_DIGITS = "²³¹⁰⁴٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９߀߁०१२३४५६७८९০১২৩৪৫৬৭৮৯𝟎𝟏𝟐𝟗𝟘𝟙"
ODD_SPACES = "\u00a0\u2007\u202f\u3000\u2028\u2029\u200b\u0085\x0b\x0c\t "
QUOTES_AND_DELIMITERS = "\"',;|\t\r\n"
CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f\u202e\u2066"
ALPHABET = (
    "abcXYZ019_-.:@+eE/ "
    + UNICODE_DIGITS
    + ODD_SPACES
    + QUOTES_AND_DELIMITERS
    + CONTROL
    + "ø€😀K\ufeff"
)
hostile_text = st.text(alphabet=ALPHABET, max_size=24)


def _with_unicode_digits(draw, text: str) -> str:
    """`text` with some of its ASCII digits written as other scripts' digits or superscripts
    (as given when it has none)."""
    places = [i for i, ch in enumerate(text) if ch.isascii() and ch.isdigit()]
    if not places:
        return text
    chosen = draw(st.sets(st.sampled_from(places), min_size=1))
    others = st.sampled_from(UNICODE_DIGITS)
    return "".join(draw(others) if i in chosen else ch for i, ch in enumerate(text))


@st.composite
def near(draw, good: st.SearchStrategy[str]) -> str:
    """A valid value, or one bent the way exports bend them."""
    value = draw(good)
    how = draw(st.integers(0, 6))
    if how == 1:
        return _with_unicode_digits(draw, value)
    if how == 2 and len(value) > 1:
        i = draw(st.integers(1, len(value) - 1))
        return value[:i] + "_" + value[i:]
    if how == 3:
        return draw(st.sampled_from(ODD_SPACES)) + value + draw(st.sampled_from(ODD_SPACES))
    if how == 4:
        return draw(st.sampled_from(["-", "+", "--", "0x", "."])) + value
    if how == 5:
        return value + draw(st.sampled_from(["\n", "\r\n", "e5", "E-9", ".", "%", "\u0301"]))
    return value


def moments(now: datetime) -> st.SearchStrategy[str]:
    """ISO-8601 moments from before 1900 to days after `now`, in several spellings."""
    seconds = st.integers(-130 * 365 * 86_400, 3 * 86_400)
    offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+05:30", "+15:30", ""])
    spell = st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y%m%dT%H%M%S"])
    return st.builds(
        lambda s, off, fmt: (now + timedelta(seconds=s)).strftime(fmt) + off,
        seconds,
        offsets,
        spell,
    )


def good_values(now: datetime) -> dict[str, st.SearchStrategy[str]]:
    """Valid values of every CRM column."""
    digits = st.text(alphabet="0123456789", min_size=1, max_size=19)
    return {
        "customer_id": st.from_regex(r"C[0-9]{1,6}", fullmatch=True),
        "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|no)", fullmatch=True),
        "birth_year": st.integers(1890, 2040).map(str),
        "marketing_opt_in": st.sampled_from(["true", "false", "1", "0", "Yes", "NO"]),
        "profiling_opt_out": st.sampled_from(["true", "false", "1", "0", "Yes", "NO"]),
        "order_id": st.from_regex(r"O[0-9]{1,6}", fullmatch=True),
        "product_id": st.from_regex(r"P[0-9]{1,4}", fullmatch=True),
        "amount": st.decimals(0, 10**6, places=2, allow_nan=False).map(str),
        "list_price": st.decimals(0, 10**6, places=2, allow_nan=False).map(str),
        "platform": st.sampled_from(["facebook", "x", "X", "instagram", "myspace"]),
        "account_id": digits,
        # X handles and Instagram usernames, around their rules' lengths (15, 30)
        "handle": st.from_regex(r"@?[A-Za-z0-9_.]{1,31}", fullmatch=True),
        "source": st.sampled_from(["social_login", "loyalty_signup", "manual", "guess"]),
        "decision": st.sampled_from(["accept", "reject", "Accept", "maybe"]),
        "sentiment": st.sampled_from(["negative", "neutral", "positive", "angry"]),
        "intent": st.sampled_from(["", "idea", "praise", "rant"]),
        "message_id": st.from_regex(r"[0-9]{1,19}(_[0-9]{1,19})?", fullmatch=True),
        **{
            column: moments(now)
            for column in ("ordered_at", "requested_at", "launched_at", "linked_at", "decided_at")
        },
    }


def columns_of(spec: CrmFile) -> list[str]:
    """The columns a file of `spec`'s type may have: its required ones and the optional ones
    its parser reads."""
    optional = {
        "customers": ["first_name", "last_name", "birth_year", "gender", "country", "city"],
        "products": ["name", "list_price", "launched_at", "idea_message_id"],
        "orders": ["product_id"],
        "customer_social_accounts": ["account_id", "handle"],
        "identity_decisions": ["decided_by"],
        "sentiment_overrides": ["intent", "decided_by"],
    }
    return [*spec.columns, *optional.get(spec.entity, [])]


@st.composite
def rows(draw, spec: CrmFile, now: datetime | None = None, bent: int = 5) -> dict[str, str]:
    """A row of a `spec` file as the CSV reader gives it: each value valid, bent or hostile,
    about `bent` in 10 of them not left as drawn."""
    good = good_values(now or datetime.now(UTC))
    row = {}
    for column in columns_of(spec):
        strategy = good.get(column, st.text(max_size=12))
        how = draw(st.integers(0, 9))
        if how >= bent:
            row[column] = draw(strategy)
        else:
            row[column] = draw(hostile_text if how == 0 else near(strategy))
    return row


specs = st.sampled_from(FILES)
