"""The Instagram comments our account's `comments` webhooks announce, read by id before the
live walk polls for them (developers.facebook.com/docs/graph-api/webhooks/reference/
instagram): each unread change's comment is looked up with the account's Page token
(synchronous batch reads, `graph_batch`) and lands in `raw.instagram_comments` as the walk
would land it (scope: the change's `media.id`); a comment the API no longer has is marked
`gone`. Changes are marked read as Facebook's are (`webhook_reads`). Changes of an account
not readable this run stay unread (the walk lands its comments). `mentions` changes are read
by the extractor itself (`InstagramExtractor._mentions`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from social_crm.extract import graph_batch, webhook_reads
from social_crm.extract.instagram_streams import COMMENT_FIELDS, COMMENTS, comment_record
from social_crm.extract.records import GRAPH_ID, land_or_quarantine
from social_crm.load.landing import BatchResult, RawRecord

if TYPE_CHECKING:
    from social_crm.extract.instagram import InstagramExtractor

log = logging.getLogger(__name__)


def _graph_id(value: Any) -> bool:
    return isinstance(value, str) and GRAPH_ID.match(value) is not None


def _comment_on(media_id: str, item: Any) -> RawRecord:
    return comment_record(item, media_id)


def read_announced_comments(extractor: InstagramExtractor) -> list[BatchResult]:
    """Land the comments the unread Instagram `comments` changes announce (no batch when
    none is unread)."""
    with extractor.connect() as conn:
        changes = webhook_reads.unread(conn, "instagram", "comments")
        if not changes:
            return []
        readable = set(extractor.access().own)
        with extractor.engine.batch(conn, COMMENTS) as batch:
            outcomes: dict[str, str] = {}
            by_account: dict[str, list[tuple[str, str, str]]] = {}
            for key, account, value in changes:
                media = value.get("media")
                comment = value.get("id")
                media_id = media.get("id") if isinstance(media, dict) else None
                if not (_graph_id(comment) and _graph_id(media_id)):
                    outcomes[key] = "invalid: no comment or media id"
                elif account in readable:
                    assert isinstance(comment, str) and isinstance(media_id, str)
                    by_account.setdefault(account, []).append((key, comment, media_id))
            for account, announced in sorted(by_account.items()):
                ids = sorted({comment for _, comment, _ in announced})
                found = graph_batch.read_nodes(extractor.client, ids, COMMENT_FIELDS, page=account)
                for key, comment, media_id in announced:
                    item = found.get(comment)
                    if item is None:
                        outcomes[key] = "gone"
                    elif land_or_quarantine(batch, item, partial(_comment_on, media_id)):
                        outcomes[key] = "landed"
                    else:
                        outcomes[key] = "quarantined"
            webhook_reads.mark_read(batch, outcomes)
        left = len(changes) - len(outcomes)
        log.info(
            "webhooks: %d Instagram comment change(s) read (%d landed, %d gone), %d of"
            " accounts not readable this run left unread",
            len(outcomes),
            sum(1 for o in outcomes.values() if o == "landed"),
            sum(1 for o in outcomes.values() if o == "gone"),
            left,
        )
    return [batch.result]
