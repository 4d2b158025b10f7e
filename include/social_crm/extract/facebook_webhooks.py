"""The Facebook comments our Pages' `feed` webhooks announce, read by id before the live walk
polls for them: a comment written on any post, however old, reaches the live queue in the
next cycle (developers.facebook.com/docs/graph-api/webhooks/reference/page).

The receiver lands each change in `raw.webhook_events`; here each Page `feed` change not yet
acted on (`meta.webhook_changes_read`) is read: a comment added or edited is looked up by id
with the owning Page's token (synchronous batch reads, `graph_batch`: the only token that
reads who wrote it) and lands in `raw.facebook_comments` as the walk would land it; a
comment removed is tombstoned when the lookup says it does not exist. Each change is marked
read in the transaction that lands it: a failed read is read again next cycle, a change read
once is not read again. Changes of a Page we hold no token for this run stay unread (the
hourly walk lands its comments anyway); changes that announce no comment (posts, reactions)
are marked read as `not a comment`.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from social_crm.extract import graph_batch, webhook_reads
from social_crm.extract.facebook_streams import COMMENT_FIELDS, COMMENTS, author_id, comment_record
from social_crm.extract.records import is_graph_id, land_or_quarantine
from social_crm.load.landing import BatchResult, RawRecord

if TYPE_CHECKING:
    from social_crm.extract.facebook import FacebookExtractor

log = logging.getLogger(__name__)


def _comment_on(post_id: str, item: Any) -> RawRecord:
    return comment_record(item, post_id)


def read_announced_comments(extractor: FacebookExtractor) -> list[BatchResult]:
    """Land the comments the unread `feed` changes announce; returns the comments batch and
    the batch of their authors' profiles (none when no change is unread)."""
    people: dict[str, str] = {}
    with extractor.connect() as conn:
        if not webhook_reads.pending(conn, "page", "feed"):
            return []
        access = extractor.page_access()
        readable = access.own - set(access.failed)
        changes = webhook_reads.unread(conn, "page", "feed", readable)
        if not changes:
            return []
        with extractor.engine.batch(conn, COMMENTS) as batch:
            outcomes: dict[str, str] = {}
            by_page: dict[str, list[tuple[str, dict]]] = {}
            for key, page, value in changes:
                comment = value.get("comment_id") if value.get("item") == "comment" else None
                if not is_graph_id(comment):
                    outcomes[key] = "not a comment"
                else:
                    by_page.setdefault(page, []).append((key, value))
            for page, announced in sorted(by_page.items()):
                ids = sorted({value["comment_id"] for _, value in announced})
                found = graph_batch.read_nodes(extractor.client, ids, COMMENT_FIELDS, page=page)
                gone = set()
                for key, value in announced:
                    comment_id, post_id = value["comment_id"], str(value.get("post_id"))
                    item = found.get(comment_id)
                    if item is None:
                        gone.add(comment_id)
                        outcomes[key] = "gone"
                        continue
                    if land_or_quarantine(batch, item, partial(_comment_on, post_id)):
                        people.setdefault(author_id(item), page)
                        outcomes[key] = "landed"
                    else:
                        outcomes[key] = "quarantined"
                # a comment the lookup says does not exist: tombstoned if it was landed
                batch.confirmed_gone(gone)
            webhook_reads.mark_read(batch, outcomes)
        log.info(
            "webhooks: %d feed change(s) read: %d comment(s) landed or already landed, %d gone",
            len(outcomes),
            sum(1 for o in outcomes.values() if o == "landed"),
            sum(1 for o in outcomes.values() if o == "gone"),
        )
    return [batch.result, extractor.users(people)] if people else [batch.result]
