"""`make demo`: the whole job on this machine, end to end, printing what it did.

Starts the embedded warehouse and the simulator, drops the simulated CRM export, runs the
extraction DAGs and the nightly DAG with `dag.test()` (each in a child process with its full log
in `.local/logs/`), and prints what landed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import requests
import yaml
from psycopg import sql

from social_crm import settings, warehouse
from social_crm.paths import dbt_project_dir, local_dir
from social_crm_dev import (
    airflow_env,
    dag_runs,
    identity_quality,
    influence_quality,
    local_warehouse,
    local_webhooks,
    privacy_quality,
    segment_quality,
)
from social_crm_dev import settings as dev_settings
from social_crm_dev.settings import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN
from social_crm_dev.simulator.config import WORLD_START, WorldConfig
from social_crm_dev.simulator.instagram import HASHTAGS
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World

DAGS = (
    "load_crm_export",
    "extract_facebook",
    "extract_instagram",
    "extract_x",
    "social_crm_nightly",
)
# The simulator's world version: bumped when what it generates changes shape (ids, fields), so a
# demo warehouse holding another world's records is rebuilt instead of mixing the two.
WORLD_VERSION = 6
LIVE_CYCLES = 4  # 10-minute cycles of the live DAG after the nightly, a crisis starting


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def simulator(
    config: WorldConfig,
    log_file: Path,
    x_window_seconds: float = 1.0,
    port: int | None = None,
    x_monthly_posts: int | None = None,
    x_tier: str = "pay_per_use",
) -> Iterator[str]:
    """Run `social-crm serve-api` in a child process on `port` (default: a free one); yields
    its base URL. Its X project has `x_tier` access (pay-per-use, what a new developer gets:
    every endpoint, charged per resource read); its 15-minute request windows last
    `x_window_seconds` (time passes faster: limits are met and waited out in minutes); its
    monthly Post cap is `x_monthly_posts` (default the access model's)."""
    if port is None:
        port = _free_port()
    elif not _port_is_free(port):
        raise RuntimeError(
            f"port {port} of the demo's simulator is in use; set SOCIAL_CRM_SIMULATOR_PORT"
        )
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "social_crm.cli",
                "serve-api",
                "--seed",
                str(config.seed),
                "--scale",
                str(config.scale),
                "--days",
                str(config.days),
                "--crises",
                str(config.crises),
                "--reply-outages",
                str(config.reply_outages),
                *(["--real-texts"] if config.real_texts else []),
                "--port",
                str(port),
                "--x-tier",
                x_tier,
                "--x-window-seconds",
                str(x_window_seconds),
                *(["--x-monthly-posts", str(x_monthly_posts)] if x_monthly_posts else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the simulator did not start; see {log_file}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def connection_env(
    url: str,
    days: int,
    x_tier: str = "pay_per_use",
    x_read_cap: int = 0,
    x_paced: bool = True,
) -> dict[str, str]:
    """Airflow connections (as env vars) pointing the extractors at the simulator: an X
    project of `x_tier` (Post cap `x_read_cap`, 0: the tier's) reading the whole history once
    (full archive) and the follow graph. `x_paced=False` for a simulator that enforces no
    request limit (`simulator(x_window_seconds=0)`): full-archive search is then not spaced
    by X's one request a second, which would otherwise set the extraction's pace."""
    extra = {"rate_limit_wait": 1, "backoff_base": 0.2}
    x_extra = {
        **extra,
        **({} if x_paced else {"full_archive_spacing": 0}),
        "tier": x_tier,
        "monthly_read_cap": x_read_cap,
        "full_archive": True,
        "lookback_days": days,
        "follower_walks": "authors",
    }
    return {
        "AIRFLOW_CONN_FACEBOOK_GRAPH": json.dumps(
            {
                "conn_type": "facebook_graph",
                "host": url,
                "password": DEFAULT_FB_TOKEN,
                "extra": extra,
            }
        ),
        # Instagram: the whole history once, and the world's campaign hashtags
        "AIRFLOW_CONN_INSTAGRAM_GRAPH": json.dumps(
            {
                "conn_type": "instagram_graph",
                "host": url,
                "password": DEFAULT_FB_TOKEN,
                "extra": {**extra, "lookback_days": days, "hashtags": list(HASHTAGS)},
            }
        ),
        "AIRFLOW_CONN_X_API": json.dumps(
            {"conn_type": "x_api", "host": url, "password": DEFAULT_X_TOKEN, "extra": x_extra}
        ),
    }


def print_reads() -> None:
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select connection_id, to_char(month, 'YYYY-MM'), reads_used, monthly_cap, spent_usd"
            " from meta.api_read_budget order by 1, 2"
        ).fetchall()
    for connection_id, month, used, cap, spent in rows:
        print(
            f"    {connection_id} {month}: {used:,} Posts read of the {cap:,} monthly cap;"
            f" X spend this month ${spent:,.2f} (pay-per-use, docs/x-costs.md)"
        )


INSTAGRAM_LANDED = {
    "media, by where they were found (own, tags, mentions, rival, hashtag)": (
        "select split_part(scope_key, ':', 1), count(*) from (select distinct on (natural_key)"
        " scope_key, is_deleted from raw.instagram_media order by natural_key, ingest_seq desc)"
        " m where not is_deleted group by 1 order by 1"
    ),
    "comments: on our media, and @mentioning us": (
        "select case when scope_key like 'mentions:%' then 'mentions' else 'on our media' end,"
        " count(*) from (select distinct on (natural_key) scope_key, is_deleted"
        " from raw.instagram_comments order by natural_key, ingest_seq desc) c"
        " where not is_deleted group by 1 order by 1"
    ),
    "insights: account days, media read": (
        "select 'account days', count(distinct payload->>'day') from raw.instagram_account_insights"
        " union all select 'media', count(distinct scope_key) from raw.instagram_media_insights"
    ),
    "webhook mentions read, hashtags queried in 7 days (of 30)": (
        "select 'mentions read: ' || r.outcome, count(*) from meta.webhook_changes_read r"
        " join raw.webhook_events e using (natural_key) where e.payload->>'field' = 'mentions'"
        " group by 1"
        " union all select 'hashtags queried', count(distinct hashtag)"
        " from meta.instagram_hashtag_queries where queried_at > (select max(queried_at)"
        " from meta.instagram_hashtag_queries) - interval '7 days'"
    ),
}


# Meta's Instagram limit is 4,800 x the account's impressions per 24 hours (Business Use Case
# rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/): a
# brand with a thousand daily impressions may make some 200,000 calls an hour. The simulator's
# stand-in (4,800 per world hour) is for the tests of the limit; the demo's clock stands still
# while it reads 90 days of history, so under the stand-in its first read would wait forever.
DEMO_INSTAGRAM_CALLS_PER_HOUR = 4800 * 1000 // 24


def lift_instagram_call_limit(url: str) -> None:
    requests.post(
        f"{url}/_admin/instagram_access",
        json={"calls_per_hour": DEMO_INSTAGRAM_CALLS_PER_HOUR},
        timeout=30,
    ).raise_for_status()


DELIVERY_TIMEOUT_S = 2 * 3600


def deliver_webhooks(url: str, logs: Path, days: int) -> None:
    """Meta's side of the webhooks: the receiver runs (as `make airflow` runs it), the
    simulated app subscribes it, and the simulator delivers the world's Instagram comments and
    @mentions and our Page's feed changes of the history, signed, batched, some twice; the
    receiver lands each change once in raw.webhook_events, which `extract_instagram` then reads
    (the mentions) and the live cycle too (comments)."""
    step("Meta webhooks: the receiver, and the world's changes delivered to it")
    print(f"    each delivery lands as it comes: follow {logs / 'webhooks.log'}", flush=True)
    with local_webhooks.receiver(logs / "webhooks.log", port=_free_port()) as callback:
        requests.post(
            f"{url}/_admin/webhooks/subscribe", json={"callback_url": callback}, timeout=30
        ).raise_for_status()
        answer = requests.post(
            f"{url}/_admin/webhooks/deliver",
            json={"url": callback, "minutes": days * 24 * 60, "seed": 1},
            # ~16,000 deliveries, each landed in its own transaction: minutes on a quiet
            # machine, over half an hour on a loaded one (seen at load 15)
            timeout=DELIVERY_TIMEOUT_S,
        )
        answer.raise_for_status()
        report = answer.json()
    with warehouse.connect() as conn:
        landed = conn.execute(
            "select payload->>'object' || ' ' || (payload->>'field'), count(*)"
            " from raw.webhook_events group by 1 order by 1"
        ).fetchall()
    print(
        f"    receiver at {callback} (log: {logs / 'webhooks.log'}): "
        f"{report.get('deliveries', 0):,} deliveries, {report.get('sent', 0):,} sent"
        f" (retries and duplicates included), {report.get('delivered', 0):,} answered 200"
    )
    for what, count in landed:
        print(f"      {what:<28} {count:>9,} changes landed once each")


def print_instagram() -> None:
    """What the Instagram extraction landed, by kind (docs/instagram.md)."""
    with warehouse.connect() as conn:
        for title, query in INSTAGRAM_LANDED.items():
            print(f"    {title}:")
            for what, count in conn.execute(query).fetchall():
                print(f"      {what:<28} {count:>9,}")


def raw_counts() -> list[tuple[str, int, int, int]]:
    """Per raw table: records alive now, versions landed, tombstones."""
    with warehouse.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
                " order by 1"
            ).fetchall()
        ]
        counts = []
        for table in tables:
            alive, versions, deleted = conn.execute(
                f"select count(*) filter (where not is_deleted), sum(n), "  # noqa: S608
                f" count(*) filter (where is_deleted) from (select distinct on (natural_key)"
                f" is_deleted, count(*) over (partition by natural_key) as n"
                f" from raw.{table} order by natural_key, ingest_seq desc) latest"
            ).fetchone()
            counts.append((table, alive, versions or 0, deleted))
        quarantined = conn.execute("select count(*) from raw_quarantine.records").fetchone()[0]
    counts.append(("raw_quarantine.records", quarantined, quarantined, 0))
    return counts


MART_QUERIES = {
    "customer segments (people per segment)": (
        "select segment, count(*), min(reason) from marts.people_segments"
        " group by 1 order by 2 desc"
    ),
    "CLV holdout calibration (purchases per customer)": (
        "select frequency_bucket, customers, predicted_per_customer, actual_per_customer,"
        " holdout_error from marts.clv_calibration_by_frequency order by bucket_order"
    ),
    "median first response per channel (brand: ours)": (
        "select channel, count(*) filter (where is_answered),"
        " count(*) filter (where not is_answered),"
        " (percentile_cont(0.5) within group (order by first_response_seconds)"
        "  / 60)::numeric(10, 1)"
        " from marts.customer_messages where brand_key = 'ours' group by 1 order by 1"
    ),
}
MART_HEADERS = {
    "customer segments (people per segment)": ("segment", "people", "example reason"),
    "CLV holdout calibration (purchases per customer)": (
        "repeat purchases before",
        "customers",
        "predicted",
        "actual",
        "whole holdout's error",
    ),
    "median first response per channel (brand: ours)": (
        "channel",
        "answered",
        "unanswered",
        "median minutes",
    ),
}


def dbt_vars() -> dict:
    """The dbt project's vars (`dbt_project.yml`): the weights and settings the marts use."""
    with open(dbt_project_dir() / "dbt_project.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vars"]


@dataclass(frozen=True)
class ClvRow:
    """A customer's social CLV and its four parts as the mart weighs them (dbt vars
    `clv_weight_*`, its `clv_from_*` columns), each to the cent: predicted purchases, influence
    x network size, influence x community size, idea sales; the total is the mart's
    `social_clv`, their sum."""

    customer_id: str
    name: str
    predicted: Decimal
    predicted_low: Decimal
    predicted_high: Decimal
    network: Decimal
    community: Decimal
    ideas: Decimal
    social_clv: Decimal


def top_social_clv(conn: psycopg.Connection, schema: str = "marts", limit: int = 10) -> list:
    """The `limit` customers of highest social CLV in `schema`, with its parts (ClvRow) as the
    mart weighs them (`clv_from_*`)."""
    query = sql.SQL(
        "select c.customer_id, d.full_name, c.predicted_clv, c.predicted_clv_low,"
        " c.predicted_clv_high, c.clv_from_network, c.clv_from_community, c.clv_from_ideas,"
        " c.social_clv from {schema}.customer_lifetime_value c"
        " join {schema}.people d on d.person_id = c.customer_id"
        " order by c.social_clv desc, c.customer_id limit %(limit)s"
    ).format(schema=sql.Identifier(schema))
    return [ClvRow(*row) for row in conn.execute(query, {"limit": limit}).fetchall()]


def clv_table(rows: list[ClvRow]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The header and lines of the top-CLV table: the parts add up to the social CLV (to the
    cent), amounts in the marts' currency (dbt var `currency`)."""
    weights = dbt_vars()
    currency = weights["currency"]
    header = (
        "customer",
        "name",
        f"predicted purchases, {currency} (90% interval)",
        f"+ {weights['clv_weight_network']} x infl x network",
        f"+ {weights['clv_weight_community']} x infl x community",
        f"+ {weights['clv_weight_ideas']} x idea sales",
        f"= social CLV, {currency}",
    )
    lines = [
        (
            r.customer_id,
            r.name,
            f"{r.predicted:,.2f} ({r.predicted_low:,.2f}-{r.predicted_high:,.2f})",
            f"{r.network:,.2f}",
            f"{r.community:,.2f}",
            f"{r.ideas:,.2f}",
            f"{r.social_clv:,.2f}",
        )
        for r in rows
    ]
    return header, lines


def print_marts() -> None:
    with warehouse.connect() as conn:
        for title, query in MART_QUERIES.items():
            step(title)
            print_table(conn.execute(query).fetchall(), MART_HEADERS[title])
        step("ten highest social CLV customers (the parts add up to the total)")
        header, lines = clv_table(top_social_clv(conn))
        print_table(lines, header)


QUEUE_QUERY = (
    "select queue_position, priority, coalesce(sentiment, '-') || ' ' || coalesce(intent, '-'),"
    " coalesce(customer_id, case when person_id is null then '-' else 'prospect' end),"
    " coalesce(to_char(social_clv, 'FM999990'), '-'),"
    " waited_business_seconds / 60 || ' / ' || sla_target_seconds / 60,"
    " priority_score, message_url"
    " from marts.open_conversations where brand_key = 'ours'"
    " order by queue_position limit 8"
)
QUEUE_HEADER = (
    "#",
    "priority",
    "sentiment intent",
    "customer",
    "social CLV",
    "waited / SLA (business min)",
    "score",
    "link",
)


def print_table(rows: list[tuple], header: tuple[str, ...]) -> None:
    table = [header, *[tuple(str(v) for v in row) for row in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for row in table:
        print("    " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def run_live_cycles(url: str, logs: Path) -> bool:
    """A crisis of our brand's X mentions starts; the live DAG runs every 10 minutes of the
    simulator's clock; then the top of our queue and the alerts raised."""
    step("live queue: a crisis starts (simulator: POST /_admin/crisis); 10-minute live cycles")
    requests.post(f"{url}/_admin/crisis", json={"brand": "ours", "hours": 3}, timeout=30)
    for number in range(1, LIVE_CYCLES + 1):
        state = requests.post(f"{url}/_admin/advance", json={"minutes": 10}, timeout=30).json()
        clock = datetime.fromisoformat(state["clock"].replace("Z", "+00:00"))
        log_file = logs / f"demo-social_crm_live-{number}.log"
        began = time.monotonic()
        outcome = dag_runs.run_isolated("social_crm_live", log_file, logical_date=clock)
        print(
            f"    cycle {number} at {clock:%Y-%m-%d %H:%M} UTC: {outcome.state} in"
            f" {time.monotonic() - began:.0f}s (log: {log_file})"
        )
        if not outcome.succeeded:
            print_task_states(outcome.tasks)
            return False
    with warehouse.connect() as conn:
        waiting = conn.execute(
            "select count(*), count(*) filter (where is_sla_breached)"
            " from marts.open_conversations where brand_key = 'ours'"
        ).fetchone()
        step(f"top of our queue ({waiting[0]:,} waiting, {waiting[1]:,} past their SLA)")
        print_table(conn.execute(QUEUE_QUERY).fetchall(), QUEUE_HEADER)
        alerts = conn.execute(
            "select kind, count(*), min(text) filter (where kind <> 'sla_breach'),"
            " (array_agg(text order by alert_id))[1]"
            " from meta.alerts group by kind order by kind"
        ).fetchall()
    step("alerts raised (meta.alerts; posted to SOCIAL_CRM_ALERT_WEBHOOK when set)")
    for kind, count, spike, first in alerts:
        print(f"    {kind}: {count}")
        print(f"      e.g. {spike or first}")
    return True


def print_task_states(tasks: dict[str, str], listed: int = 12) -> None:
    """Each task's state; for a big DAG (one task per dbt model and test), the counts per state
    and the tasks that did not succeed."""
    if len(tasks) <= listed:
        for task_id, state in tasks.items():
            print(f"    {task_id:<30} {state}")
        return
    counts: dict[str, int] = {}
    for state in tasks.values():
        counts[state] = counts.get(state, 0) + 1
    print(f"    {len(tasks)} tasks: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for task_id, state in tasks.items():
        if state != "success":
            print(f"    {task_id:<50} {state}")


# psql on the demo's warehouse from a new shell in the checkout (the URL `warehouse url` prints
# hides the password: psql could not log in with it)
PSQL = 'eval "$(.venv/bin/social-crm warehouse env)" && psql "$WAREHOUSE_URL"'


def print_where_to_look() -> None:
    from social_crm.orchestration.nightly import dbt_docs_dir
    from social_crm.quality.gate import data_docs_dir

    step("where to look")
    local = dev_settings.load()
    host = "127.0.0.1" if local.airflow_host in ("0.0.0.0", "::") else local.airflow_host
    ui = f"http://{host}:{local.airflow_port}"
    print(f"    Airflow UI:  make airflow, then {ui} (these runs are listed there)")
    print(f"    dbt docs:    {dbt_docs_dir() / 'static_index.html'}")
    print(f"    Data Docs:   {data_docs_dir() / 'index.html'}")
    print(f"    task logs:   {local_dir() / 'logs'}")
    print(f'    marts (SQL): {PSQL} -c "table marts.people"')
    print_dashboards(local.bi_port)


def print_dashboards(port: int) -> None:
    """Where `make bi` serves the starter dashboards (docs/bi.md)."""
    from social_crm.serve import superset

    url = f"http://127.0.0.1:{port}"
    print(f"    dashboards:  make bi, then Superset at {url} (docs/bi.md):")
    for dashboard in superset.dashboards_in(settings.load().superset_bundle_dir, url):
        print(f"      {dashboard.title:<14} {dashboard.url}")


def _world_marker() -> Path:
    return local_dir() / "demo" / "warehouse-world.json"


def demo_world() -> dict | None:
    """The world (seed, scale, days, simulator version) the demo's warehouse holds, if any."""
    marker = _world_marker()
    return json.loads(marker.read_text()) if marker.exists() else None


def world_dir(seed: int, scale: float) -> Path:
    """Where the demo writes a world's CRM export and truth."""
    return local_dir() / "demo" / f"world-{seed}-{scale}"


def _fresh_for_this_world(where: warehouse.WarehouseUrl, world: dict) -> bool:
    """Empty the embedded demo warehouse when it holds another world's records (another seed,
    scale, length or simulator version); never touches a warehouse that is not ours."""
    marker = _world_marker()
    known = demo_world()
    if known == world or not local_warehouse.is_embedded(where):
        return False
    admin = dataclasses.replace(where, database="postgres").libpq()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{where.database}" with (force)')
        conn.execute(f'create database "{where.database}"')
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(world))
    return True


def run(scale: float, seed: int = 42, days: int = 90) -> int:
    started = time.monotonic()
    logs = local_dir() / "logs"
    step("warehouse")
    where = local_warehouse.use(start=True)
    world = {"seed": seed, "scale": scale, "days": days, "simulator": WORLD_VERSION}
    if _fresh_for_this_world(where, world):
        print(f"    emptied: it held another simulated world than {world}")
    applied = warehouse.bootstrap()
    embedded = f" (embedded, data in {local_warehouse.data_dir()})"
    print(f"    url: {where}{embedded if local_warehouse.is_embedded(where) else ''}")
    print(f"    migrations applied now: {', '.join(applied) or 'none (up to date)'}")

    step(f"airflow metadata database in {airflow_env.airflow_home()}")
    airflow_env.migrate_metadata_db()

    config = WorldConfig(seed=seed, scale=scale, days=days)
    folder = world_dir(seed, scale)
    step(f"simulated world seed={seed} scale={scale}: CRM export and truth in {folder}")
    # a new warehouse: the export of an earlier demo (landed files in crm/processed) goes
    shutil.rmtree(folder / "crm", ignore_errors=True)
    write_world(World(config), folder, progress=lambda m: print(f"    {m}", flush=True))
    os.environ["CRM_DROP_DIR"] = str(folder / "crm")

    outcomes = []
    world_now = WORLD_START + timedelta(seconds=World(config).clock)
    port = dev_settings.load().simulator_port
    with simulator(config, logs / "simulator.log", port=port) as url:
        print(f"    simulator API at {url} (log: {logs / 'simulator.log'})")
        lift_instagram_call_limit(url)
        os.environ.update(connection_env(url, days))
        # the UI lists them, and `make airflow` (which runs this simulator) finds them
        stored = airflow_env.store_connections(connection_env(url, days))
        print(f"    Airflow connections {', '.join(stored)} saved, pointing at it")
        deliver_webhooks(url, logs, days)
        for dag_id in DAGS:
            log_file = logs / f"demo-{dag_id}.log"
            step(f"DAG {dag_id} (dag.test(); full log: {log_file})")
            began = time.monotonic()
            # the nightly build describes the world as of its clock (segments count back from
            # it), not as of this machine's date
            as_of = world_now if dag_id == "social_crm_nightly" else None
            outcome = dag_runs.run_isolated(dag_id, log_file, logical_date=as_of)
            outcomes.append(outcome)
            print_task_states(outcome.tasks)
            print(f"    {outcome.state} in {time.monotonic() - began:.0f}s")
            if not outcome.succeeded:
                print(f"    see {log_file}")
                break
        else:
            outcomes.append(dag_runs.DagRunOutcome("social_crm_live", "success"))
            if not run_live_cycles(url, logs):
                outcomes[-1] = dag_runs.DagRunOutcome("social_crm_live", "failed")

    step("landed in raw (alive records, versions, tombstones)")
    for table, alive, versions, deleted in raw_counts():
        print(f"    {table:<28} {alive:>9,} {versions:>9,} {deleted:>7,}")
    step("Instagram: what landed (extract_instagram; the webhook mentions it read)")
    print_instagram()
    step("X this month: Posts read (against the monthly Post cap) and money spent")
    print_reads()
    ok = all(o.succeeded for o in outcomes) and len(outcomes) == len(DAGS) + 1
    if ok:
        print_marts()
        step("identity links and review queue against the simulator's truth")
        with warehouse.connect() as conn:
            for line in identity_quality.measure(conn, folder, "marts").lines():
                print(f"    {line}")
            influence = influence_quality.measure(conn, folder)
            consent = privacy_quality.measure(conn, folder, "marts")
            segments = segment_quality.measure(conn, folder, "marts")
            by_true_person = segment_quality.measure_by_true_person(conn, folder, "marts")
        step("influence against the simulator's truth")
        for rank in influence:
            print(f"    {rank.line()}")
        step("advocate and detractor segments against the simulator's truth")
        for quality in segments.values():
            print(f"    {quality.line()}")
        print("    against the true people (identity links' mistakes included):")
        for quality in by_true_person.values():
            print(f"      {quality.line()}")
        step("consent and erasure against the simulator's truth")
        for line in consent.lines():
            print(f"    {line}")
        print_where_to_look()
    print(
        f"demo {'finished' if ok else 'FAILED'} in {time.monotonic() - started:.0f}s;"
        f" warehouse: {where}"
    )
    return 0 if ok else 1
