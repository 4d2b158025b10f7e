"""Whether the X connection's token is the user token `owner_user_id` says it is.

Owned Reads (`x_cost.py`) are priced so only "when `{id}` matches the authenticated user and
that user is the owner of the developer app". The extra `owner_user_id` claims it; X says who
the token is at `GET /2/users/me` (docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup:
"requires User Context authentication. App-Only (Bearer Token) authentication is not
supported"). The answer is asked once per UTC day (the API's clock) and kept in
`meta.x_token_owner`: one User read ($0.010) a day. When the token is not that user's, our
brand is read by search and counted at the full price, and the task log says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import psycopg

from social_crm.extract.http import ApiAuthError, ApiClient, UsageCapExceeded

log = logging.getLogger(__name__)


def verified_owner(
    client: ApiClient,
    connect: Callable[[], psycopg.Connection],
    claimed: tuple[str, ...],
    day: date,
) -> frozenset[str]:
    """Of the `claimed` owner ids (extra owner_user_id), the one the token is the user token
    of today: asked of X at the first run of the day, then read from the warehouse."""
    if not claimed:
        return frozenset()
    with connect() as conn:
        row = conn.execute(
            "select user_id from meta.x_token_owner where connection_id = %s and day = %s",
            (client.connection_id, day),
        ).fetchone()
    if row is not None:
        user = row[0]
    else:
        try:
            user = _token_user(client)
        except UsageCapExceeded:  # the run meets the same refusal and ends with it
            return frozenset()
        with connect() as conn:
            conn.execute(
                "insert into meta.x_token_owner (connection_id, day, user_id) values (%s, %s, %s)"
                " on conflict (connection_id, day) do update set user_id = excluded.user_id,"
                " checked_at = now()",
                (client.connection_id, day, user),
            )
    if user in claimed:
        return frozenset({user})
    log.warning(
        "%s: extra owner_user_id %s is not the user of the connection's token (X says: %s); "
        "our brand's timelines are not Owned Reads with it: it is read by search and counted at "
        "the full price. Give the connection that account's OAuth 2.0 user token, or remove "
        "owner_user_id",
        client.connection_id,
        ", ".join(claimed),
        f"the token is user {user}" if user else "the token authenticates no user (app-only)",
    )
    return frozenset()


def _token_user(client: ApiClient) -> str | None:
    """The id of the user the token authenticates (None: an app-only token, refused)."""
    try:
        body = client.get_json("users/me")
    except ApiAuthError as exc:
        if exc.status != 403:  # 401: the token itself is refused, not only here
            raise
        return None
    data = body.get("data")
    user = data.get("id") if isinstance(data, dict) else None
    return str(user) if user is not None else None
