"""The Instagram comments our account's `comments` webhooks announce, read by id before the
live walk polls for them (developers.facebook.com/docs/graph-api/webhooks/reference/
instagram): each unread change's comment is looked up with the account's Page token
(synchronous batch reads, `graph_batch`) and lands in `raw.instagram_comments` as the walk
would land it (scope: the change's `media.id`); a comment the API no longer has is marked
`gone`. Changes are marked read as Facebook's are (`webhook_reads`). Changes of an account
not readable this run are not read (nor counted against a cycle's reads): they stay unread
(the walk lands its comments). A comment on an album comes without the album's id: its
`media` field names it. `mentions` changes are read
by the extractor itself (`InstagramExtractor._mentions`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from social_crm.extract import graph_batch, webhook_reads
from social_crm.extract.instagram_streams import COMMENT_FIELDS, COMMENTS, comment_record
from social_crm.extract.records import is_graph_id, land_or_quarantine
from social_crm.load.landing import BatchResult, RawRecord

if TYPE_CHECKING:
    from social_crm.extract.instagram import InstagramExtractor

log = logging.getLogger(__name__)


def _comment_on(media_id: str, item: Any) -> RawRecord:
    return comment_record(item, media_id)


def read_announced_comments(extractor: InstagramExtractor) -> list[BatchResult]:
    """Land the comments the unread Instagram `comments` changes of our readable accounts
    announce (no batch when none is unread). A change without `media.id` (a comment on an
    album: Meta leaves the album's id out) is read with the comment's `media` field, which
    names the media; the comment lands as the walk lands it (without that field)."""
    with extractor.connect() as conn:
        if not webhook_reads.pending(conn, "instagram", "comments"):
            return []
        readable = set(extractor.access().own)
        changes = webhook_reads.unread(conn, "instagram", "comments", readable)
        if not changes:
            return []
        with extractor.engine.batch(conn, COMMENTS) as batch:
            outcomes: dict[str, str] = {}
            by_account: dict[str, list[tuple[str, str, str | None]]] = {}
            for key, account, value in changes:
                media = value.get("media")
                comment = value.get("id")
                media_id = media.get("id") if isinstance(media, dict) else None
                if not is_graph_id(comment) or not (media_id is None or is_graph_id(media_id)):
                    outcomes[key] = "invalid: no comment id, or a media id not a Graph id"
                else:
                    assert isinstance(comment, str)
                    by_account.setdefault(account, []).append((key, comment, media_id))
            for account, announced in sorted(by_account.items()):
                found = _read(extractor, account, announced)
                for key, comment, media_id in announced:
                    item = found.get(comment)
                    if item is None:
                        outcomes[key] = "gone"
                        continue
                    item, media_id = _media_of(item, media_id)
                    if media_id is None:
                        outcomes[key] = "invalid: the comment names no media"
                    elif land_or_quarantine(batch, item, partial(_comment_on, media_id)):
                        outcomes[key] = "landed"
                    else:
                        outcomes[key] = "quarantined"
            webhook_reads.mark_read(batch, outcomes)
        log.info(
            "webhooks: %d Instagram comment change(s) read (%d landed, %d gone)",
            len(outcomes),
            sum(1 for o in outcomes.values() if o == "landed"),
            sum(1 for o in outcomes.values() if o == "gone"),
        )
    return [batch.result]


def _read(
    extractor: InstagramExtractor, account: str, announced: list[tuple[str, str, str | None]]
) -> dict[str, Any]:
    """The announced comments by id, read with the account's Page token; those announced
    without a media id also with their `media` field."""
    found: dict[str, Any] = {}
    with_media = sorted({comment for _, comment, media in announced if media is None})
    plain = sorted({comment for _, comment, media in announced if media is not None})
    for ids, fields in ((plain, COMMENT_FIELDS), (with_media, f"{COMMENT_FIELDS},media{{id}}")):
        if ids:
            found.update(graph_batch.read_nodes(extractor.client, ids, fields, page=account))
    return found


def _media_of(item: Any, media_id: str | None) -> tuple[Any, str | None]:
    """The comment as the walk reads it (without `media`) and its media's id: the change's,
    else the comment's `media.id`."""
    if media_id is not None or not isinstance(item, dict):
        return item, media_id
    media = item.get("media")
    named = media.get("id") if isinstance(media, dict) else None
    rest = {k: v for k, v in item.items() if k != "media"}
    return rest, named if is_graph_id(named) else None
