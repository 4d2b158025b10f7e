"""The receiver: an ASGI app (Starlette, which Airflow already brings) at `CALLBACK_PATH`.

- `GET` is Meta's subscription handshake: `hub.mode=subscribe`, `hub.verify_token` equal to
  ours and a `hub.challenge` answer the challenge (200, text); anything else 403.
- `POST` is a delivery. Refused, logged with the reason and nothing landed: a body over the
  size limit (413), a missing, malformed or wrong `X-Hub-Signature-256` (403), a signed body
  that is not JSON (400). A verified delivery's changes land (`land.py`) and only then is it
  answered 200: a crash before the commit leaves it unanswered, and Meta sends it again.
  Busy (the landing lock held for long) or a warehouse error: 503 / 500, Meta retries.
- `GET /health`: 200 when the process serves (the container's health check).

Logs name the reason, the client and the sizes, never the secret, the token or the body.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from social_crm.extract.http import json_integer
from social_crm.receive import changes, land
from social_crm.receive.config import ReceiverConfig

log = logging.getLogger("social_crm.receive")

CALLBACK_PATH = "/webhooks/meta"


class _TooLarge(Exception):
    pass


def create_app(
    config: ReceiverConfig, connect: Callable[[], psycopg.Connection] | None = None
) -> Starlette:
    """The receiver app; `connect` opens a warehouse connection (default: the warehouse's)."""
    if connect is None:
        from social_crm import warehouse

        connect = warehouse.connect

    async def handshake(request: Request) -> Response:
        params = request.query_params
        mode, token = params.get("hub.mode"), params.get("hub.verify_token") or ""
        challenge = params.get("hub.challenge")
        if (
            mode == "subscribe"
            and challenge
            and hmac.compare_digest(token.encode(), config.verify_token.encode())
        ):
            log.info("webhook handshake answered (subscription verified)")
            return PlainTextResponse(challenge)
        reason = (
            "hub.mode is not 'subscribe'"
            if mode != "subscribe"
            else "no hub.challenge"
            if not challenge
            else "wrong hub.verify_token"
        )
        log.warning("webhook handshake refused from %s: %s", _client(request), reason)
        return PlainTextResponse("forbidden", status_code=403)

    async def deliver(request: Request) -> Response:
        try:
            body = await _read_body(request, config.max_bytes)
        except _TooLarge:
            return _refuse(request, 413, f"body over the {config.max_bytes:,}-byte limit")
        problem = changes.signature_problem(
            config.app_secret, body, request.headers.get(changes.SIGNATURE_HEADER)
        )
        if problem is not None:
            return _refuse(request, 403, problem, len(body))
        try:
            # an integer past Python's digit limit is read as its digits: the change holding it
            # is quarantined (records.unstorable), the delivery's others land
            parsed = json.loads(
                body.decode("utf-8"), parse_constant=_no_constants, parse_int=json_integer
            )
        except (UnicodeDecodeError, ValueError) as exc:
            return _refuse(request, 400, f"signed body is not JSON ({type(exc).__name__})")
        try:
            found = changes.read_delivery(parsed)
            landed = await run_in_threadpool(_land, connect, found, config.secrets())
        except land.ReceiverBusy as exc:
            log.warning("webhook delivery not landed (503, Meta retries): %s", exc)
            return PlainTextResponse("busy", status_code=503)
        except psycopg.Error as exc:
            log.error(
                "webhook delivery not landed (500, Meta retries): warehouse error %s",
                type(exc).__name__,
            )
            return PlainTextResponse("warehouse unavailable", status_code=500)
        except Exception as exc:  # logged by its class only: its text may quote the delivery
            log.error("webhook delivery not landed (500, Meta retries): %s", type(exc).__name__)
            return PlainTextResponse("receiver error", status_code=500)
        log.info(
            "webhook delivery: %d change(s): %d new, %d already landed, %d quarantined (batch %s)",
            len(found),
            landed.landed,
            landed.already,
            landed.quarantined,
            landed.batch_id,
        )
        return PlainTextResponse("EVENT_RECEIVED")

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route(CALLBACK_PATH, handshake, methods=["GET"]),
            Route(CALLBACK_PATH, deliver, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def _land(connect: Callable[[], psycopg.Connection], found: list, secrets: tuple) -> land.Landed:
    with connect() as conn:
        return land.land(conn, found, secrets)


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it passes `limit` bytes (a declared Content-Length
    over it is refused before reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(request: Request, status: int, reason: str, size: int | None = None) -> Response:
    sized = f", {size:,} bytes" if size is not None else ""
    log.warning(
        "webhook delivery refused (%d) from %s: %s%s; nothing landed",
        status,
        _client(request),
        reason,
        sized,
    )
    return PlainTextResponse("refused", status_code=status)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown client"


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not JSON")
