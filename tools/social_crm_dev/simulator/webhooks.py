"""The simulated Meta app's webhooks: the changes of a window of the world (the world's
`instagram_webhook_changes` and `page_feed_changes`) delivered to a receiver URL as Meta does
(docs/real-apis.md, "Meta webhooks"):

- a delivery is a POST of `{"object", "entry": [{"id", "time", "changes": [{"field",
  "value"}]}]}`, its bytes signed `X-Hub-Signature-256: sha256=<HMAC-SHA256, key = the app
  secret>`, non-ASCII characters escaped (developers.facebook.com/docs/graph-api/webhooks/
  getting-started);
- several entries may share a delivery ("aggregated and sent in a batch", up to 1,000
  updates: `BATCH_MAX`), consecutive changes of one entry id may share its `changes`, and
  some changes are sent twice (Meta: "your server should handle deduplication"), all
  seeded;
- some Instagram deliveries come in the shape of Meta's Instagram examples
  (developers.facebook.com/docs/instagram-platform/webhooks/examples): a JSON array of the
  delivery, `field` and `value` in each entry itself (seeded, `ARRAY_RATE`);
- a comment on an Instagram album comes without the album's id (the world's changes: Meta
  leaves it out);
- a delivery not answered 2xx (or whose connection broke) is sent again at once, then after
  waits that grow (Meta: "a few more times with decreasing frequency over the next 36
  hours"), then dropped; the waits are scaled down (`Retry.scale`) so tests run in seconds.

`GET /{app-id}/subscriptions` with the app token answers the app's subscriptions
(developers.facebook.com/docs/graph-api/reference/app/subscriptions/); any other token gets
`(#15) This method must be called with an app access_token` (stricter than answering).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

from social_crm.receive.changes import FIELDS, sign

APP_ID = "188559381496048"  # the simulated app (the id of the docs' examples)
DEFAULT_APP_SECRET = "simulated-app-secret-0000000000"
# Meta's retry schedule is not published beyond "immediately, then a few more times with
# decreasing frequency over the next 36 hours": at once, then waits doubling from 1 minute
# (1, 2, 4 ... 1,024 minutes: about 34 hours in all over 12 attempts)
RETRY_WAITS_S = (0.0, *(60.0 * 2**n for n in range(11)))

Change = tuple[str, str, str, dict, int]  # object, entry id, field, value, time (Unix seconds)

BATCH_MAX = 1_000  # Meta: notifications are batched, up to 1,000 updates a delivery
ARRAY_RATE = 0.25  # the share of Instagram deliveries sent in the array shape


@dataclass
class Retry:
    """Meta's retry schedule, its waits multiplied by `scale` (1.0: real time)."""

    waits_s: tuple[float, ...] = RETRY_WAITS_S
    scale: float = 1.0
    timeout_s: float = 20.0


@dataclass
class Report:
    deliveries: int = 0  # distinct deliveries built
    sent: int = 0  # POSTs made, retries included
    delivered: int = 0  # deliveries answered 2xx
    dropped: int = 0  # deliveries given up after the last retry
    duplicates: int = 0  # changes sent twice on purpose
    changes: int = 0  # distinct changes of the window
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SimulatedApp:
    """The app's webhook product: its secret and its subscriptions."""

    secret: str = DEFAULT_APP_SECRET
    subscriptions: dict[str, dict] = field(default_factory=dict)  # object -> subscription

    @property
    def app_token(self) -> str:
        return f"{APP_ID}|{self.secret}"  # an app access token's documented form

    def subscribe(self, callback_url: str, objects: Iterable[str] = tuple(FIELDS)) -> None:
        for obj in objects:
            self.subscriptions[obj] = {
                "object": obj,
                "callback_url": callback_url,
                "active": True,
                "fields": [{"name": f, "version": "v27.0"} for f in FIELDS[obj]],
            }

    def answer(self, token: str | None) -> tuple[int, dict]:
        """`GET /{app-id}/subscriptions`: (status, body)."""
        if token != self.app_token:
            return 400, {
                "error": {
                    "message": "(#15) This method must be called with an app access_token.",
                    "type": "OAuthException",
                    "code": 15,
                    "fbtrace_id": "SimWebhooks15",
                }
            }
        return 200, {"data": list(self.subscriptions.values())}


def app_of(server: Any) -> SimulatedApp:
    """The simulator server's app (made on first use)."""
    app = getattr(server, "webhook_app", None)
    if app is None:
        app = SimulatedApp()
        server.webhook_app = app
    return app


def window_changes(world: Any, start: int, end: int) -> list[Change]:
    """The world's changes in [start, end) (world seconds): Instagram's and our Page's feed,
    in time order."""
    found = [*world.instagram_webhook_changes(start, end), *world.page_feed_changes(start, end)]
    return sorted(found, key=lambda c: (c[4], c[0], json.dumps(c[3], sort_keys=True)))


def build_deliveries(
    changes: list[Change],
    seed: int,
    *,
    duplicate_rate: float = 0.05,
    batch_max: int = BATCH_MAX,
    array_rate: float = ARRAY_RATE,
) -> tuple[list[bytes], int]:
    """The delivery bodies of `changes` (a delivery per object; 1 to `batch_max` changes
    each, at most Meta's 1,000, seeded) and how many changes were added twice. Within a
    delivery, consecutive changes of one entry id share an entry half the time; an Instagram
    delivery comes in the array shape at `array_rate` (one change an entry, `field` and
    `value` in the entry)."""
    rng = random.Random(seed)
    doubled = [c for c in changes if rng.random() < duplicate_rate]
    sent = [*changes, *doubled]
    sent.sort(key=lambda c: c[4])  # a repeat goes out near its first copy
    bodies, i = [], 0
    while i < len(sent):
        size, group = rng.randint(1, min(max(1, batch_max), BATCH_MAX)), [sent[i]]
        while len(group) < size and i + len(group) < len(sent):
            if sent[i + len(group)][0] != group[0][0]:
                break  # a delivery carries one object
            group.append(sent[i + len(group)])
        i += len(group)
        obj = group[0][0]
        if obj == "instagram" and rng.random() < array_rate:
            entries = [
                {"id": entry_id, "time": at + rng.randint(0, 3), "field": fld, "value": value}
                for _, entry_id, fld, value, at in group
            ]
            delivery: Any = [{"object": obj, "entry": entries}]
        else:
            delivery = {"object": obj, "entry": _entries(group, rng)}
        bodies.append(json.dumps(delivery, ensure_ascii=True).encode())  # escaped, as Meta's
    return bodies, len(doubled)


def _entries(group: list[Change], rng: random.Random) -> list[dict]:
    """The entries of a delivery: an entry a change, or (half the time) one entry for the
    consecutive changes of an entry id; `time` is when Meta sent it, a little later."""
    entries: list[dict] = []
    share = rng.random() < 0.5
    for _, entry_id, fld, value, at in group:
        change = {"field": fld, "value": value}
        if share and entries and entries[-1]["id"] == entry_id:
            entries[-1]["changes"].append(change)
        else:
            entries.append({"id": entry_id, "time": at + rng.randint(0, 3), "changes": [change]})
    return entries


def deliver(
    url: str,
    bodies: list[bytes],
    secret: str,
    retry: Retry | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> Report:
    """Send each body to `url`, signed, retrying each one not answered 2xx on Meta's
    schedule; the next body waits for the one before (Meta's order within an app is not
    documented; one at a time is the simpler sender)."""
    retry = retry or Retry()
    http = session or requests.Session()
    report = Report(deliveries=len(bodies))
    for body in bodies:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)}
        for wait in retry.waits_s:
            sleep(wait * retry.scale)
            report.sent += 1
            try:
                answer = http.post(url, data=body, headers=headers, timeout=retry.timeout_s)
                status = str(answer.status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            report.statuses[status] = report.statuses.get(status, 0) + 1
            if status.startswith("2") and len(status) == 3:
                report.delivered += 1
                break
        else:
            report.dropped += 1
    return report


def deliver_window(
    world: Any,
    url: str,
    start: int,
    end: int,
    *,
    secret: str = DEFAULT_APP_SECRET,
    seed: int = 0,
    duplicate_rate: float = 0.05,
    batch_max: int = BATCH_MAX,
    retry: Retry | None = None,
    lock: Any = None,
) -> Report:
    """Deliver the world's changes of [start, end) to `url` (the world read under `lock`)."""
    if lock is not None:
        with lock:
            changes = window_changes(world, start, end)
    else:
        changes = window_changes(world, start, end)
    bodies, doubled = build_deliveries(
        changes, seed, duplicate_rate=duplicate_rate, batch_max=batch_max
    )
    report = deliver(url, bodies, secret, retry)
    report.changes, report.duplicates = len(changes), doubled
    return report


def admin(server: Any, parts: list[str], payload: dict) -> tuple[int, dict]:
    """The simulator's `/_admin/webhooks/...` routes: `subscribe` {callback_url} and
    `deliver` {url, start and end (world seconds) or minutes (the last ones up to the clock),
    seed, duplicate_rate, batch_max, retry_scale}: (status, body)."""
    app = app_of(server)
    if parts == ["subscribe"]:
        url = payload.get("callback_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return 400, {"error": "subscribe takes {callback_url: http(s) URL}"}
        app.subscribe(url)
        return 200, {"data": list(app.subscriptions.values())}
    if parts != ["deliver"]:
        return 404, {"error": f"no admin route webhooks/{'/'.join(parts)}"}
    url = payload.get("url")
    clock = server.world.clock
    if "minutes" in payload:
        start, end = clock - int(payload["minutes"]) * 60, clock + 1
    else:
        start, end = payload.get("start"), payload.get("end", clock + 1)
    numbers = (start, end, payload.get("seed", 0), payload.get("batch_max", BATCH_MAX))
    if not isinstance(url, str) or not all(isinstance(n, int) for n in numbers):
        return 400, {"error": "deliver takes {url, start, end | minutes, seed, batch_max ...}"}
    retry = Retry(scale=float(payload.get("retry_scale", 0.001)))
    report = deliver_window(
        server.world,
        url,
        start,
        end,
        secret=app.secret,
        seed=numbers[2],
        duplicate_rate=float(payload.get("duplicate_rate", 0.05)),
        batch_max=numbers[3],
        retry=retry,
        lock=server.lock,
    )
    return 200, report.as_dict()
