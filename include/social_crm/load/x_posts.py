"""What an X Post says that erasure searches by, read once when the Post lands: the handles its
text @mentions and the Posts it names by id (raw.x_tweets' `mentioned_handles` and
`referenced_post_ids`, migration 0049, GIN-indexed). Landing has the payload decoded already,
so the columns cost a regular expression a Post in Python (measured against the same rule in
SQL as a stored generated column: docs/data-model.md, "Erasure's cost").

The mention rule is one: `MENTION` here; erasure's readings of a handle in a text
(privacy/erasure.py: a brand's reply naming them, their handle blanked in others' Posts) are
built from its at signs and handle characters, and the SQL twins that back-fill the columns
and rewrite them when erasure scrubs a Post (`meta.text_mentions`, `meta.x_post_references`:
migrations 0048 and 0049) are checked equal to these functions on generated texts and payloads
(tests/integration/test_x_post_columns.py).

What X reads as a mention (twitter-text, the library X publishes for parsing Post text:
js/src/regexp/validMentionOrList.js) is an at sign, `@` or the full-width `＠` (atSigns.js),
then a screen name of `[a-zA-Z0-9_]`, not after a letter, digit or `_!#$%&*@＠`. Erasure reads
more than that on purpose (privacy errs on the person's side): every run of handle characters
after an at sign, wherever it stands (`bob@anna` names `anna` here, not in X's entities), whole
and cut to X's 15 characters (a handle is at most 15: quality/rules.py HANDLE_PATTERNS), in
lower case (a handle's case does not matter).
"""

from __future__ import annotations

import json
import re
from typing import Any

from social_crm.quality import rules

# the at signs X reads a mention after (twitter-text atSigns.js: `/[@＠]/`)
AT_SIGNS = "@\uff20"
# the characters of an X handle and its longest length
HANDLE_CHARS, HANDLE_LONGEST = rules.HANDLE_PATTERNS["x"]
# the rule: a run of handle characters after an at sign (the run: group 1)
MENTION = re.compile(f"[{AT_SIGNS}]([{HANDLE_CHARS}]+)")


def mentioned_handles(text: object) -> list[str]:
    """The handles `text` @mentions (MENTION), in lower case, each whole and cut to
    HANDLE_LONGEST characters, sorted; none for a text that is not a string."""
    if not isinstance(text, str):
        return []
    found: set[str] = set()
    for run in MENTION.findall(text):
        name = run.lower()  # ASCII only: as PostgreSQL's lower()
        found.add(name)
        found.add(name[:HANDLE_LONGEST])
    return sorted(found)


def _as_text(value: Any) -> str | None:
    """A JSON value as PostgreSQL's `->>` gives it: a string as itself, anything else as its
    jsonb text (null as SQL null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def referenced_post_ids(payload: dict[str, Any]) -> list[str]:
    """The Posts `payload` names by id: those it replies to, quotes or reposts
    (`referenced_tweets[].id`) and the first Post of its conversation (`conversation_id`),
    sorted, each once. A Post's id gives its author at one look-up (GET /2/tweets/:id)."""
    found: set[str] = set()
    referenced = payload.get("referenced_tweets")
    if isinstance(referenced, list):
        for item in referenced:
            if isinstance(item, dict):
                value = _as_text(item.get("id"))
                if value is not None:
                    found.add(value)
    conversation = _as_text(payload.get("conversation_id"))
    if conversation is not None:
        found.add(conversation)
    return sorted(found)


def derived(payload: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The values of raw.x_tweets' derived columns for a Post's payload, in the order
    `warehouse.x_posts_backfill.COLUMNS` names them."""
    return mentioned_handles(payload.get("text")), referenced_post_ids(payload)
