"""Generated fault schedules, checked against the simulator's truth (`make soak`; a few of them
run in the suite: tests/end_to_end/test_fault_schedules.py).

A schedule is drawn from a seed (`generate(seed)`): a small world, then steps of extraction
tasks as the DAGs call them (`orchestration.extraction.FACEBOOK_GROUPS` and `X_GROUPS`, and
the live walks), fault mixes (5xx, 429 and Graph throttles, truncated bodies, empty answers,
cut walks, duplicated items, schema drift, ranked comments, malformed items), the world moving
on (new items, edits, deletions) and runs killed at a random API request (an exception, or a
subprocess killed with SIGKILL). Then the faults stop and clean runs cover the re-walk horizon:
at the moment the faults stopped (T0) and 1, 3 and 8 days later on the world's clock, so every
post and Post passes a re-walk (re-check) point after T0 and every X account is due for a
follower walk (`FOLLOWER_WALK_DAYS`). The look-back is longer than any schedule's world, so
nothing leaves the window.

The invariant, against the world's truth (`check`):
- wrongly deleted: a tombstone landed for an item the world still shows (checked after every
  run, at that run's clock: the README's "tombstoned only when the platform says it does not
  exist");
- duplicated: a version landed that equals the record's previous one ("re-landing is a no-op");
- lost: after the clean runs, an item the world shows that raw does not hold alive, for every
  post, Post and follower list the clean runs were bound to read again (a post's re-walk
  point, or its first listing, in the clean phase; every Post; an account walked clean);
- undeleted / stale edits: a deletion or edit older than the post's last re-walk in the clean
  phase (or than a Post's re-check) that raw does not show;
- phantoms: a record alive in raw that the world never had.

Deletions and edits after an item's last re-walk are not expected yet (README: they land at
the next re-walk point). `late` counts what the world showed at T0 that the first clean runs
did not bring (the faults made it wait for a re-walk point), and that later runs landed.

A replay meets the same faults: the simulator draws them per request (simulator/faults.py),
whatever order the walks running ahead on threads send their requests in. A kill at the k-th
request is the exception: which request is k-th may differ between two replays.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

DAY_MINUTES = 24 * 60
LOOKBACK_DAYS = 30  # longer than any schedule's world: nothing leaves the window
RECHECK_HOURS = 6
FOLLOWER_WALK_DAYS = 1
LIVE_POST_DAYS = 3
# small pages: walks of several pages, which a fault can cut (X: its minimum, 10)
GRAPH_PAGE_SIZE, X_PAGE_SIZE = 4, 10
# the clean phase: runs at T0, then at T0 plus each of these (minutes); the last is longer
# than any post's or Post's age at T0, so each passes a re-walk point (its points double:
# one falls between its age and twice that) and each X account is due for a follower walk
CLEAN_STEPS = (DAY_MINUTES, 3 * DAY_MINUTES, 8 * DAY_MINUTES)
TASKS = (
    "facebook.page",
    "facebook.posts",
    "facebook.feed",
    "x.tweets",
    "x.followers",
    "facebook.live",
    "x.live",
)
TASK_WEIGHTS = (1, 3, 2, 3, 2, 1, 1)
CLEAN_TASKS = TASKS[:5]  # the hourly DAGs' tasks
FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "truncated",
    "empty_answer",
    "cut_walk",
    "duplicate_items",
    "schema_drift",
    "ranked_comments",
    "malformed",
    "slow",
)


# --- schedules --------------------------------------------------------------------------


@dataclass
class Schedule:
    seed: int
    world: dict  # WorldConfig's arguments
    steps: list[dict]  # {"faults": {...}} | {"advance": minutes} | {"run": task, "kill": ...}

    def describe(self) -> str:
        return json.dumps({"seed": self.seed, "world": self.world, "steps": self.steps})


def generate(seed: int) -> Schedule:
    """The schedule of `seed`: a world, then 3 to 6 episodes, each a fault mix (now and then
    none), 1 to 4 runs under it (a fifth of them killed) and often the world moving on."""
    rng = random.Random(seed)
    world = {"seed": rng.randrange(1_000), "scale": rng.choice((0.01, 0.02)), "days": 3}
    steps: list[dict] = []
    for _ in range(rng.randint(3, 6)):
        steps.append({"faults": _fault_mix(rng) if rng.random() < 0.8 else {}})
        for _ in range(rng.randint(1, 4)):
            task, kill = rng.choices(TASKS, TASK_WEIGHTS)[0], None
            if rng.random() < 0.2:
                # at a request the task reaches: an X task makes a few, a Facebook one dozens
                last = 4 if task.startswith("x.") else 12
                kill = [rng.choice(("raise", "raise", "sigkill")), rng.randint(1, last)]
            steps.append({"run": task, "kill": kill})
        if rng.random() < 0.6:
            steps.append({"advance": rng.choice((10, 60, 6 * 60, DAY_MINUTES, 36 * 60))})
    return Schedule(seed, world, steps)


def _fault_mix(rng: random.Random) -> dict:
    """One to five kinds of fault at once, at rates a flaky API reaches on a bad day."""
    mix: dict = {"seed": rng.randrange(10_000)}
    for kind in rng.sample(FAULT_KINDS, rng.randint(1, 5)):
        if kind == "rate_limit":
            mix["rate_limit_every"] = rng.choice((2, 5, 11))
        elif kind == "server_error":
            mix["error_rate"] = rng.choice((0.1, 0.3))
        elif kind == "truncated":
            mix["truncate_rate"] = rng.choice((0.1, 0.3))
        elif kind == "empty_answer":
            mix["empty_rate"] = rng.choice((0.2, 0.5))
        elif kind == "cut_walk":
            mix["cut_walk_rate"] = rng.choice((0.3, 0.7))
        elif kind == "malformed":
            mix["malformed_rate"] = rng.choice((0.05, 0.15))
        elif kind == "slow":
            mix.update(slow_rate=0.03, slow_seconds=0.3)
        else:
            mix[kind] = True
    return mix


# --- the pipeline under test --------------------------------------------------------------


class Killed(RuntimeError):
    """A run stopped at an API request, as a crashed worker stops."""


KILLED_TASK = """
import os, sys
from tests.end_to_end.fault_schedules import Harness
from social_crm.warehouse import WarehouseUrl
harness = Harness(sys.argv[1], WarehouseUrl.parse(os.environ["SOAK_DATABASE_URL"]))
harness.run_task(sys.argv[2], kill=("sigkill", int(sys.argv[3])))
print("finished", flush=True)
"""


class Harness:
    """A simulator world and a scratch database, with the extractors wired as the DAG tasks
    use them (fast retries: a schedule waits out no real minutes)."""

    def __init__(self, url: str, db) -> None:  # a WarehouseUrl
        self.url, self.db = url, db

    def connect(self):
        import psycopg

        return psycopg.connect(self.db.libpq())

    def extractors(self):
        from social_crm.extract import brands
        from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
        from social_crm.extract.graph_policy import GraphPolicy
        from social_crm.extract.http import ApiClient, RetryPolicy
        from social_crm.extract.x import XExtractor, XSettings
        from social_crm.extract.x_policy import XPolicy
        from social_crm.orchestration.extraction import GRAPH_API_VERSION
        from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN

        retry = RetryPolicy(
            max_attempts=12,
            backoff_base=0.01,
            backoff_cap=0.05,
            rate_limit_wait=0.01,
            rate_limit_cap=0.05,
        )
        timeout = (5.0, 0.25)  # a slow answer times out and is retried
        tracked = brands.load()
        fb = FacebookExtractor(
            ApiClient(
                "facebook_graph",
                self.url,
                DEFAULT_FB_TOKEN,
                policy=GraphPolicy(),
                api_version=GRAPH_API_VERSION,
                retry=retry,
                timeout=timeout,
            ),
            self.connect,
            FacebookSettings(
                tuple(b.facebook_page_id for b in tracked),
                lookback_days=LOOKBACK_DAYS,
                page_size=GRAPH_PAGE_SIZE,
                recheck_hours=RECHECK_HOURS,
            ),
        )
        x = XExtractor(
            ApiClient(
                "x_api",
                self.url,
                DEFAULT_X_TOKEN,
                # the test simulator limits no request rate: no spacing
                policy=XPolicy(full_archive_spacing=0.0),
                api_version="2",
                retry=retry,
            ),
            self.connect,
            XSettings(
                tuple(b.x_handle for b in tracked),
                tuple(b.x_user_id for b in tracked),
                lookback_days=LOOKBACK_DAYS,
                page_size=X_PAGE_SIZE,
                tier="pro",
                full_archive=True,
                follower_walks="authors",
                recheck_hours=RECHECK_HOURS,
                follower_walk_days=FOLLOWER_WALK_DAYS,
                own_accounts=tuple((b.x_handle, b.x_user_id) for b in tracked if b.is_ours),
            ),
        )
        return fb, x

    def run_task(self, task: str, kill: tuple[str, int] | None = None) -> None:
        """One DAG task: the janitor, then the task's extraction group; with `kill`, stopped
        at the k-th API request (Killed raised, or the process killed with SIGKILL)."""
        from social_crm.extract.x import XExtractor
        from social_crm.load.landing import mark_abandoned_batches
        from social_crm.orchestration.extraction import FACEBOOK_GROUPS, X_GROUPS

        with self.connect() as conn:
            conn.autocommit = True
            mark_abandoned_batches(conn)
        fb, x = self.extractors()
        platform, group = task.split(".")
        extractor = fb if platform == "facebook" else x
        if kill is not None:
            _stop_at_request(extractor.client, *kill)
        try:
            if task == "facebook.live":
                fb.posts_with_activity("posts", LIVE_POST_DAYS)
                fb.posts_with_activity("feed", LIVE_POST_DAYS)
            elif task == "x.live":
                XExtractor.new_tweets(x)
            elif platform == "facebook":
                FACEBOOK_GROUPS[group](fb)
            else:
                X_GROUPS[group](x)
        finally:
            fb.client.close()
            x.client.close()


def _stop_at_request(client, how: str, k: int) -> None:
    calls = 0
    get_json = client.get_json

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls >= k:
            if how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise Killed(f"killed at API request {k}")
        return get_json(*args, **kwargs)

    client.get_json = counted


# --- the world's truth --------------------------------------------------------------------


@dataclass
class Item:
    created: int  # world seconds
    deleted_at: int | None = None
    edited_at: int | None = None
    text: str | None = None  # the text the world shows now
    scope: str = ""  # the post (comments, reactions), brand handle (tweets), account (follows)

    def visible(self, clock: int) -> bool:
        return self.created <= clock and (self.deleted_at is None or self.deleted_at > clock)


def world_items(world) -> dict[str, dict[str, Item]]:  # a World
    """Every item the world has written by its clock that the brand's tokens read, by raw
    table, visible or not: on a rival's Facebook Page, its posts only (docs/rivals.md)."""
    from social_crm_dev.simulator.config import BRANDS, MANAGED_PAGES

    clock, pop = world.clock, world.population
    out: dict[str, dict[str, Item]] = {
        t: {}
        for t in (
            "facebook_posts",
            "facebook_visitor_posts",
            "facebook_comments",
            "facebook_reactions",
            "x_tweets",
        )
    }
    for brand in range(len(BRANDS)):
        managed = BRANDS[brand].page_id in MANAGED_PAGES
        for kind, table in (("post", "facebook_posts"), ("visitor_post", "facebook_visitor_posts")):
            if not managed and kind != "post":
                continue
            for day in range(world.last_day + 1):
                for post in world._day_posts(brand, day, kind):
                    if post.created > clock:
                        continue
                    gone = post.author.deleted_at if post.author else None
                    out[table][post.id] = Item(post.created, gone, scope=BRANDS[brand].page_id)
                    if not managed:
                        continue
                    if gone is not None and gone <= clock:  # world.post no longer has it
                        full = replace(post, reactions=[], comments=[])
                        world.activity.fill_activity(full)
                    else:
                        full = world.post(post.id)
                    # a deleted post's comments and reactions go with it
                    for c in full.comments:
                        if c.created <= clock:
                            out["facebook_comments"][c.id] = Item(
                                c.created,
                                _first(c.deleted_at, gone),
                                c.edited_at,
                                c.text_at(clock),
                                post.id,
                            )
                    for r in full.reactions:
                        if r.at <= clock:
                            key = f"{post.id}:{int(pop.fb_id[r.person])}"
                            out["facebook_reactions"][key] = Item(
                                r.at, _first(r.removed_at, gone), text=r.type, scope=post.id
                            )
        for day in range(world.last_day + 1):
            for t in world.tweets_created_on(brand, day):
                if t.created <= clock:
                    out["x_tweets"][t.id] = Item(
                        t.created, t.deleted_at, text=t.text, scope=BRANDS[brand].x_handle
                    )
    return out


def _first(*moments: int | None) -> int | None:
    return min((m for m in moments if m is not None), default=None)


def follower_edges(world, account: str) -> set[str]:
    """`account:follower` for every follower of an X account (the follow graph is fixed)."""
    from social_crm_dev.simulator.config import BRANDS

    pop = world.population
    brand = next((i for i, b in enumerate(BRANDS) if b.x_user_id == account), None)
    if brand is not None:
        people = pop.brand_followers[brand]
    else:
        person = world.person_by_x_id(int(account))
        people = world.x_followers(person) if person is not None else []
    return {f"{account}:{int(pop.x_id[p])}" for p in people}


# --- the check ------------------------------------------------------------------------------


@dataclass
class Outcome:
    seed: int
    runs: int = 0
    faults: Counter = field(default_factory=Counter)
    kills: Counter = field(default_factory=Counter)  # runs stopped: raise, sigkill
    counts: Counter = field(default_factory=Counter)  # lost, duplicated, wrongly_deleted ...
    examples: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(self.counts[k] for k in PROBLEMS)

    def note(self, problem: str, keys: list[str]) -> None:
        if keys:
            self.counts[problem] += len(keys)
            shown = self.examples.setdefault(problem, [])
            shown.extend(sorted(keys)[: max(0, 5 - len(shown))])

    def line(self) -> str:
        found = ", ".join(f"{k} {self.counts[k]}" for k in (*PROBLEMS, "late") if self.counts[k])
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.examples.items())
        status = "FAIL" if self.failed else "ok"
        text = f"seed {self.seed}: {status} ({self.runs} runs, {sum(self.faults.values())} faults"
        text += f", {self.seconds:.1f} s)"
        if found:
            text += f" {found}" + (f" [{detail}]" if detail else "")
        if self.error:
            text += f" error: {self.error}"
        return text


PROBLEMS = ("lost", "duplicated", "wrongly_deleted", "undeleted", "stale_edit", "phantom")
TABLES = (
    "facebook_posts",
    "facebook_visitor_posts",
    "facebook_comments",
    "facebook_reactions",
    "x_tweets",
    "x_followers",
)


def _latest(conn, table: str) -> dict[str, tuple]:
    """natural_key -> (scope_key, is_deleted, text) of each record's latest version."""
    text = {"facebook_comments": "payload->>'message'", "x_tweets": "payload->>'text'"}.get(
        table, "payload->>'type'" if table == "facebook_reactions" else "null"
    )
    rows = conn.execute(
        _raw(
            "select distinct on (natural_key) natural_key, scope_key, is_deleted, {text}"
            " from {table} order by natural_key, ingest_seq desc",
            table,
            text=text,
        )
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


class Checker:
    """What the invariant needs to know as the schedule runs: the tombstones already judged,
    and the clean phase's runs (their world clocks)."""

    def __init__(self, harness: Harness, sim, outcome: Outcome) -> None:
        self.harness, self.sim, self.outcome = harness, sim, outcome
        self.seen_seq = dict.fromkeys(TABLES, 0)  # per raw table: the rows already judged
        self.clean_clocks: list[int] = []
        self.missing_at_t0: set[str] = set()

    def after_run(self) -> None:
        """Tombstones landed since the last look, judged at the world's clock now."""
        rows = []
        with self.harness.connect() as conn:
            for table in TABLES:
                found = conn.execute(
                    _raw(
                        "select natural_key, scope_key, ingest_seq from {table}"
                        " where is_deleted and ingest_seq > %s",
                        table,
                    ),
                    (self.seen_seq[table],),
                ).fetchall()
                rows += [(table, *r) for r in found]
                self.seen_seq[table] = conn.execute(
                    _raw("select coalesce(max(ingest_seq), 0) from {table}", table)
                ).fetchone()[0]
        if not rows:
            return
        with self.sim.lock:
            world = self.sim.world
            items = world_items(world)
            wrong = []
            for table, key, scope, _ in rows:
                if table == "x_followers":
                    if key in follower_edges(world, scope):
                        wrong.append(f"{table}:{key}")
                elif key in items[table] and items[table][key].visible(world.clock):
                    wrong.append(f"{table}:{key}")
        self.outcome.note("wrongly_deleted", wrong)

    def note_missing_at_t0(self) -> None:
        """What the world shows at T0 that raw does not hold after the first clean runs: the
        runs under faults missed it, and a later re-walk must bring it (`late`)."""
        with self.sim.lock:
            clock = self.sim.world.clock
            items = world_items(self.sim.world)
        with self.harness.connect() as conn:
            for table, truth in items.items():
                raw = _latest(conn, table)
                self.missing_at_t0 |= {
                    f"{table}:{key}"
                    for key, item in truth.items()
                    if item.visible(clock) and (key not in raw or raw[key][1])
                }

    def final(self) -> None:
        from social_crm.extract.recheck import checkpoint_due
        from social_crm.extract.x import END_TIME_GAP
        from social_crm_dev.simulator.config import WORLD_START

        out = self.outcome
        first, horizon = timedelta(hours=RECHECK_HOURS), timedelta(days=LOOKBACK_DAYS)

        def at(seconds: int) -> datetime:
            return WORLD_START + timedelta(seconds=seconds)

        clocks = self.clean_clocks
        t0 = clocks[0]

        def last_full_walk(created: int) -> int | None:
            """The last clean run bound to read the item's post (Post) whole: its first
            listing, when created after T0, or a run past one of its re-walk points."""
            found = None
            for i, now in enumerate(clocks):
                before = clocks[i - 1] if i else None
                if created > t0 and created <= now and (before is None or created > before):
                    found = now
                if before is not None and checkpoint_due(
                    at(created), at(before), at(now), first, horizon
                ):
                    found = now
            return found

        with self.sim.lock:
            world = self.sim.world
            clock = world.clock
            items = world_items(world)
        with self.harness.connect() as conn:
            raw = {t: _latest(conn, t) for t in TABLES}
            out.note("duplicated", _duplicates(conn))
            walked = dict(
                conn.execute("select account_id, walked_at from meta.x_follower_walks").fetchall()
            )
        # posts and visitor posts: listed whole by every clean run
        for table in ("facebook_posts", "facebook_visitor_posts", "x_tweets"):
            truth, have = items[table], raw[table]
            alive = {k for k, v in have.items() if not v[1]}
            # X search ends END_TIME_GAP before the request, and its `end_time` is exclusive
            # (docs.x.com/x-api/posts/search-recent-posts): a Post of the last seconds waits
            if table == "x_tweets":
                end = clock - int(END_TIME_GAP.total_seconds())
                visible = {k for k, v in truth.items() if v.visible(clock) and v.created < end}
            else:
                visible = {k for k, v in truth.items() if v.visible(clock) and v.created <= clock}
            out.note("lost", [f"{table}:{k}" for k in visible - alive])
            out.note("phantom", [f"{table}:{k}" for k in alive - set(truth)])
            if table != "x_tweets":
                out.note("undeleted", [f"{table}:{k}" for k in alive & set(truth) - visible])
        # a Post's deletion: seen by a re-check in the clean phase after it
        stale = []
        for key, item in items["x_tweets"].items():
            if item.deleted_at is None or item.deleted_at > clock:
                continue
            if key in raw["x_tweets"] and not raw["x_tweets"][key][1]:
                checked = last_full_walk(item.created)
                if checked is not None and item.deleted_at <= checked:
                    stale.append(f"x_tweets:{key}")
        out.note("undeleted", stale)
        # comments and reactions of the posts the clean runs were bound to walk whole
        posts = {**items["facebook_posts"], **items["facebook_visitor_posts"]}
        full_walk = {p: last_full_walk(item.created) for p, item in posts.items()}
        for table in ("facebook_comments", "facebook_reactions"):
            lost, undeleted, edits = [], [], []
            for key, item in items[table].items():
                walked_at = full_walk.get(item.scope)
                if walked_at is None:
                    continue
                have = raw[table].get(key)
                alive = have is not None and not have[1]
                if item.visible(clock) and not alive:
                    lost.append(f"{table}:{key}")
                elif alive and item.deleted_at is not None and item.deleted_at <= walked_at:
                    undeleted.append(f"{table}:{key}")
                elif (
                    alive
                    and item.edited_at is not None
                    and item.edited_at <= walked_at
                    and have[2] != item.text
                ):
                    edits.append(f"{table}:{key}")
            out.note("lost", lost)
            out.note("undeleted", undeleted)
            out.note("stale_edit", edits)
            alive = {k for k, v in raw[table].items() if not v[1]}
            out.note("phantom", [f"{table}:{k}" for k in alive - set(items[table])])
        # follower lists of the accounts walked in the clean phase
        lost, extra = [], []
        follows = raw["x_followers"]
        by_account: dict[str, set[str]] = {}
        for key, (scope, deleted, _) in follows.items():
            if not deleted:
                by_account.setdefault(scope, set()).add(key)
        with self.sim.lock:
            for account, walked_at in walked.items():
                if walked_at < at(t0):
                    continue
                truth = follower_edges(self.sim.world, account)
                have = by_account.get(account, set())
                lost += [f"x_followers:{k}" for k in truth - have]
                extra += [f"x_followers:{k}" for k in have - truth]
        out.note("lost", lost)
        out.note("phantom", extra)
        alive = {f"{t}:{k}" for t in raw for k, v in raw[t].items() if not v[1]}
        out.counts["late"] += len(self.missing_at_t0 & alive)


def _raw(statement: str, table: str, **fragments: str):  # composed SQL
    """`statement` on the raw table `table` ({table}), with constant SQL `fragments`."""
    from psycopg import sql

    parts = {name: sql.SQL(text) for name, text in fragments.items()}
    return sql.SQL(statement).format(table=sql.Identifier("raw", table), **parts)


def _duplicates(conn) -> list[str]:
    """Records with a version equal to the one before it (both alive)."""
    found = []
    for table in TABLES:
        found += [
            f"{table}:{r[0]}"
            for r in conn.execute(
                _raw(
                    "select natural_key from (select natural_key, is_deleted, payload_hash,"
                    " lag(payload_hash) over w as before, lag(is_deleted) over w as was_deleted"
                    " from {table} window w as (partition by natural_key order by ingest_seq))"
                    " v where payload_hash = before and not is_deleted and not was_deleted",
                    table,
                )
            ).fetchall()
        ]
    return found


# --- running a schedule ---------------------------------------------------------------------


def run_schedule(
    schedule: Schedule,
    warehouse_url,
    tamper=None,
    clean_steps: tuple[int, ...] = CLEAN_STEPS,
) -> Outcome:
    """Run `schedule` on a new simulator and a new scratch database, then the clean runs (at
    T0 and `clean_steps` minutes after it); its outcome. `tamper` (the tests of the check
    itself) is called with a connection to the database before the check."""
    import psycopg

    from social_crm.warehouse import migrations
    from social_crm_dev.simulator.config import WorldConfig
    from social_crm_dev.simulator.faults import FaultConfig
    from social_crm_dev.simulator.server import SimulatorServer
    from social_crm_dev.simulator.world import World
    from social_crm_dev.simulator.x_api import XProfile
    from tests.databases import new_database

    outcome = Outcome(schedule.seed)
    started = time.monotonic()
    with (
        SimulatorServer(
            World(WorldConfig(**schedule.world)), x_profile=XProfile(tier="pro", window_seconds=0)
        ) as sim,
        new_database(warehouse_url) as db,
    ):
        with psycopg.connect(db.libpq()) as conn:
            migrations.apply(conn)
        # a killed client resets its connections: expected, not worth a traceback
        sim.httpd.handle_error = lambda request, address: None
        harness = Harness(sim.url, db)
        checker = Checker(harness, sim, outcome)
        faults: Counter = Counter()

        def configure(config: FaultConfig) -> None:
            faults.update(sim.faults.injected)
            sim.configure_faults(config)
            sim.faults.injected.clear()

        try:
            for step in schedule.steps:
                if "faults" in step:
                    mix = step["faults"]
                    configure(FaultConfig(**mix))
                    for flag in ("duplicate_items", "schema_drift", "ranked_comments"):
                        if mix.get(flag):
                            faults[flag] += 1
                elif "advance" in step:
                    with sim.lock:
                        sim.world.advance(seconds=step["advance"] * 60)
                        sim.graph.forget_listings()
                else:
                    _run_step(harness, sim, step, outcome)
                    checker.after_run()
            configure(FaultConfig())
            for minutes in (0, *clean_steps):
                if minutes:
                    with sim.lock:
                        sim.world.advance(seconds=(minutes - _since_t0(checker, sim)) * 60)
                for task in CLEAN_TASKS:
                    harness.run_task(task)
                    outcome.runs += 1
                    checker.after_run()
                checker.clean_clocks.append(sim.world.clock)
                if not minutes:
                    checker.note_missing_at_t0()
            if tamper is not None:
                with harness.connect() as conn:
                    tamper(conn)
                checker.after_run()
            checker.final()
        except Exception as exc:  # a clean run failing is a finding, reported
            outcome.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        outcome.faults = faults
    outcome.seconds = time.monotonic() - started
    return outcome


def _since_t0(checker: Checker, sim) -> int:
    """Minutes the world moved since the clean phase began."""
    return (sim.world.clock - checker.clean_clocks[0]) // 60 if checker.clean_clocks else 0


def _run_step(harness: Harness, sim, step: dict, outcome: Outcome) -> None:
    kill = step.get("kill")
    outcome.runs += 1
    if kill and kill[0] == "sigkill":
        proc = subprocess.run(  # our own interpreter and script
            [sys.executable, "-c", KILLED_TASK, harness.url, step["run"], str(kill[1])],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            # the database's URL holds its password: in the environment, not the command line
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, (os.getcwd(), os.getenv("PYTHONPATH")))),
                "SOAK_DATABASE_URL": harness.db.libpq(),
            },
        )
        if proc.returncode == -signal.SIGKILL:
            outcome.kills["sigkill"] += 1
        elif proc.returncode != 0:
            outcome.error = f"killed run exited {proc.returncode}: {proc.stderr[-300:]}"
        return
    try:
        harness.run_task(step["run"], kill=tuple(kill) if kill else None)
    except Killed:
        outcome.kills["raise"] += 1
    except Exception as exc:  # a run failing under faults is allowed
        logging.getLogger(__name__).info("run %s failed: %s", step["run"], exc)


# --- the soak: many schedules -----------------------------------------------------------------


def summary(outcomes: list[Outcome], seconds: float) -> str:
    faults: Counter = Counter()
    kills: Counter = Counter()
    problems: Counter = Counter()
    for o in outcomes:
        faults.update(o.faults)
        kills.update(o.kills)
        problems.update(o.counts)
    failing = [o for o in outcomes if o.failed]
    lines = [
        f"schedules: {len(outcomes)}, runs: {sum(o.runs for o in outcomes)},"
        f" {seconds / 60:.1f} min",
        "faults injected: "
        + ", ".join(f"{k} {faults[k]}" for k in sorted(faults))
        + f" (total {sum(faults.values())})",
        f"runs killed: {kills['raise']} by an exception at an API request,"
        f" {kills['sigkill']} by SIGKILL",
        "found: " + ", ".join(f"{k} {problems[k]}" for k in PROBLEMS),
        f"late (missing after the first clean runs, landed by a later re-walk): {problems['late']}",
        f"failing seeds: {len(failing)}"
        + (": " + " ".join(str(o.seed) for o in failing) if failing else ""),
    ]
    if failing:
        lines.append(
            "replay one: .venv/bin/python -m tests.end_to_end.fault_schedules --seeds"
            f" {failing[0].seed} (--shrink: drop the steps it does not need)"
        )
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def _worker(seeds: list[int], results) -> None:  # a multiprocessing queue
    logging.basicConfig(level=logging.CRITICAL)  # killed runs' failed batches are expected
    url = _warehouse()
    for seed in seeds:
        results.put(run_schedule(generate(seed), url))


def _warehouse():
    from social_crm import warehouse
    from social_crm_dev import local_warehouse

    where = local_warehouse.use(start=True)
    warehouse.bootstrap()
    return where


def shrink(schedule: Schedule, warehouse_url) -> Schedule:
    """A shorter schedule that fails the same way: steps dropped one at a time while the
    failure (its kinds of problem) stays."""
    kinds = _kinds(run_schedule(schedule, warehouse_url))
    if not kinds:
        return schedule
    steps = list(schedule.steps)
    i = len(steps) - 1
    while i >= 0:
        trial = Schedule(schedule.seed, schedule.world, steps[:i] + steps[i + 1 :])
        if _kinds(run_schedule(trial, warehouse_url)) >= kinds:
            steps = trial.steps
            print(f"  dropped step {i}: {len(steps)} left", flush=True)
        i -= 1
    return Schedule(schedule.seed, schedule.world, steps)


def _kinds(outcome: Outcome) -> set[str]:
    return {k for k in PROBLEMS if outcome.counts[k]} | ({"error"} if outcome.error else set())


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-199", help="e.g. 0-199 or 3,17,40-45")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print each schedule's steps")
    parser.add_argument("--schedule", help="run this schedule (JSON, as --show prints it)")
    parser.add_argument(
        "--shrink", action="store_true", help="drop the steps a failing schedule does not need"
    )
    args = parser.parse_args(argv)
    # the tests' embedded warehouse (`make test` starts the same one): scratch databases only
    os.environ.setdefault("SOCIAL_CRM_LOCAL_DIR", os.path.join(os.getcwd(), ".local", "test"))
    logging.basicConfig(level=logging.CRITICAL)
    if args.schedule or args.shrink:
        url = _warehouse()
        if args.schedule:
            given = json.loads(args.schedule)
            schedules = [Schedule(given["seed"], given["world"], given["steps"])]
        else:
            schedules = [generate(seed) for seed in _seeds(args.seeds)]
        failed = False
        for schedule in schedules:
            if args.shrink:
                schedule = shrink(schedule, url)
            outcome = run_schedule(schedule, url)
            print(outcome.line())
            print(f"--schedule '{schedule.describe()}'")
            failed = failed or outcome.failed
        return 1 if failed else 0
    seeds = _seeds(args.seeds)
    if args.show:
        for seed in seeds:
            print(generate(seed).describe())
    _warehouse()  # started once, before the workers share it
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    jobs = max(1, min(args.jobs, len(seeds)))
    workers = [context.Process(target=_worker, args=(seeds[i::jobs], results)) for i in range(jobs)]
    for w in workers:
        w.start()
    outcomes = []
    for _ in seeds:
        outcome = results.get()
        outcomes.append(outcome)
        print(outcome.line(), flush=True)
    for w in workers:
        w.join()
    print(summary(sorted(outcomes, key=lambda o: o.seed), time.monotonic() - started))
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
