"""Reading many Graph nodes by id: synchronous batch requests, never `?ids=`.

Since 2026-11-04 an app created on or after that day cannot send multi-ID requests (`?ids=`),
field aliases, method override or asynchronous batch requests, on any Graph version, and
`GET /?ids=` at the root fails from v26.0 for every app
(developers.facebook.com/blog/post/2026/11/04/introducing-graph-api-v27-and-marketing-api-v27/).
Synchronous batch requests are not on that list: `POST /` with `batch=[...]`, at most 50
requests a batch, each counted against the rate limits as a call of its own; the answer is an
array in the order asked, each `{code, headers, body}` with `body` a JSON string, and a
request that failed answers its own error without failing the others (a request that timed
out answers `null`) (developers.facebook.com/docs/graph-api/batch-requests). One path for
every app, old or new: it is what the documentation allows today on every version, and it
costs the same calls as `?ids=` did.

A node that does not exist answers `(#100)` subcode 33 and is left out; a sub-request that
was throttled, failed on the server or timed out is asked again in the next batch, after the
wait the transport's retry policy gives; any other error fails the read (nothing is
tombstoned on a doubt).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from typing import Any

from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import Answer, ApiClient, ApiError
from social_crm.redact import redact

log = logging.getLogger(__name__)

MAX_BATCH = 50  # Graph's limit of requests a batch
_POLICY = GraphPolicy()


def read_nodes(
    client: ApiClient, ids: Iterable[str], fields: str, *, page: str | None = None
) -> dict[str, dict]:
    """The nodes of `ids` that exist, by id, with `fields`: batches of MAX_BATCH reads. With
    `page`, the batches carry that Page's token (`ApiClient.scope_token`): the only token that
    reads a New Pages Experience Page's objects and the people who engaged with it."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), MAX_BATCH):
        found |= _read_batch(client, wanted[start : start + MAX_BATCH], fields, page)
    return found


def is_missing_node(error: ApiError) -> bool:
    """Graph's answers for an id that does not exist: #100 subcode 33 (one node), #803 (an
    `?ids=` naming one)."""
    return error.error_code == 803 or (error.error_code == 100 and error.error_subcode == 33)


def _read_batch(
    client: ApiClient, ids: list[str], fields: str, page: str | None
) -> dict[str, dict]:
    found: dict[str, dict] = {}
    todo = ids
    retry = client.retry
    for attempt in range(1, retry.max_attempts + 1):
        requests = [{"method": "GET", "relative_url": f"{node}?fields={fields}"} for node in todo]
        for node in todo:
            client.url(node)  # a path built from data must be a plain id: refused before sending
        answers = client.post_form(
            "",
            {"batch": json.dumps(requests, separators=(",", ":")), "include_headers": "false"},
            scope=page,
        )
        if not isinstance(answers, list) or len(answers) != len(todo):
            raise ApiError(
                f"{client.connection_id}: a batch of {len(todo)} reads answered "
                f"{len(answers) if isinstance(answers, list) else type(answers).__name__} "
                "results; the documentation promises one per request, in order"
            )
        again: list[str] = []
        throttled = False
        for node, answer in zip(todo, answers, strict=True):
            outcome = _outcome(client, node, answer)
            if isinstance(outcome, dict):
                found[node] = outcome
            elif outcome == "again":
                again.append(node)
            elif outcome == "throttled":
                again.append(node)
                throttled = True
        if not again:
            return found
        if attempt == retry.max_attempts:
            break
        if throttled:
            wait = min(retry.rate_limit_wait * 2 ** (attempt - 1), retry.rate_limit_cap)
        else:
            ceiling = min(retry.backoff_cap, retry.backoff_base * 2 ** (attempt - 1))
            wait = random.uniform(ceiling / 2, ceiling)
        reason = "throttled" if throttled else "timed out or failed on the server"
        log.warning(
            "%s: %d of %d batched reads %s; asking again in %.1fs (attempt %d/%d)",
            client.connection_id,
            len(again),
            len(todo),
            reason,
            wait,
            attempt,
            retry.max_attempts,
        )
        client.waits.append((f"batched reads {reason}", wait))
        client.sleep(wait)
        todo = again
    raise ApiError(
        f"{client.connection_id}: {len(again)} batched read(s) still failing after "
        f"{retry.max_attempts} attempts; the API may be struggling, retry the task later"
    )


def _outcome(client: ApiClient, node: str, answer: Any) -> dict | str | None:
    """One sub-request's answer: the node (a dict), None (it does not exist), "again" (timed
    out, or failed on the server) or "throttled"; an error retrying cannot fix is raised."""
    if answer is None:
        return "again"  # timed out inside the batch: the documentation says ask again
    code = answer.get("code") if isinstance(answer, dict) else None
    try:
        body = json.loads(answer.get("body") or "null") if isinstance(answer, dict) else None
    except (TypeError, ValueError):
        body = None
    if not isinstance(code, int) or not isinstance(body, dict):
        return "again" if isinstance(code, int) and code >= 500 else _malformed(client, answer)
    if code == 200:
        return body
    if _POLICY.is_rate_limited(code, body):
        return "throttled"
    if code >= 500:
        return "again"
    detail = _POLICY.error_detail(body)
    where = f"batch: /{node}"
    secrets = client.secrets_to_redact()
    answer_ = Answer(client.connection_id, where, code, body, detail, lambda t: redact(t, *secrets))
    error = _POLICY.final_error(answer_)
    error = error or ApiError(f"{client.connection_id}: {where} answered HTTP {code}", code, body)
    error.detail = client.redacted(detail)
    if is_missing_node(error):
        return None
    raise error


def _malformed(client: ApiClient, answer: Any) -> str:
    text = redact(str(answer), *client.secrets_to_redact())[:200]
    raise ApiError(
        f"{client.connection_id}: a batched read answered {text!r}, not the "
        "documented {code, headers, body}"
    )
