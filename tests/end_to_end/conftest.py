"""End to end: the pipeline against the simulator (real HTTP) into a scratch database (real
PostgreSQL), compared with the simulator's truth. Every test here is marked `end_to_end`
(tests/conftest.py)."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from social_crm.extract import brands
from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, RetryPolicy
from social_crm.extract.x import XExtractor, XSettings
from social_crm.extract.x_policy import XPolicy
from social_crm.orchestration.extraction import GRAPH_API_VERSION
from social_crm_dev.simulator.config import WORLD_START, WorldConfig
from social_crm_dev.simulator.server import DEFAULT_FB_TOKEN, DEFAULT_X_TOKEN, SimulatorServer
from social_crm_dev.simulator.truth import write_world
from social_crm_dev.simulator.world import World
from social_crm_dev.simulator.x_api import XProfile
from tests import dbt_parse
from tests.databases import migrated_database, new_database

WORLD = WorldConfig(seed=11, scale=0.03, days=20)
# every test database's first dbt build starts from the last parse of the project, not a full
# parse (tests/dbt_parse.py)
dbt_parse.install()


def test_x_profile() -> XProfile:
    """A pay-per-use project (what a brand that signs up today gets) whose 15-minute request
    limits are reported but not enforced (the tests of those limits use a profile of their
    own)."""
    return XProfile(tier="pay_per_use", window_seconds=0)


test_x_profile.__test__ = False  # a helper, not a test
FAST_RETRY = RetryPolicy(
    max_attempts=12, backoff_base=0.01, backoff_cap=0.05, rate_limit_wait=0.01, rate_limit_cap=0.05
)


@pytest.fixture
def sim():
    with SimulatorServer(World(WORLD), x_profile=test_x_profile()) as server:
        yield server


@pytest.fixture
def db(warehouse_url):
    """A new database with the warehouse's migrations applied (a copy: `migrated_database`)."""
    with migrated_database(warehouse_url) as copy:
        yield copy


def graph_client(sim: SimulatorServer) -> ApiClient:
    """A Graph client of the brand's token against `sim`, as a brand signing up today."""
    return ApiClient(
        "facebook_graph",
        sim.url,
        sim.fb_token,
        policy=GraphPolicy(),
        api_version=GRAPH_API_VERSION,
        retry=FAST_RETRY,
    )


class Pipeline:
    """The extractors of every API entity, wired to a simulator and a scratch database."""

    def __init__(
        self,
        sim: SimulatorServer,
        db,
        *,
        fb_token: str = DEFAULT_FB_TOKEN,
        x_token: str = DEFAULT_X_TOKEN,
        read_timeout: float = 10.0,
        x_settings: dict | None = None,
        recheck_hours: int = 24,
        lookback_days: int = 60,
    ) -> None:
        self.sim, self.db = sim, db
        tracked = brands.load()
        timeout = (5.0, read_timeout)
        self.fb_client = ApiClient(
            "facebook_graph",
            sim.url,
            fb_token,
            policy=GraphPolicy(),
            api_version=GRAPH_API_VERSION,  # as a brand signing up today: a new app
            retry=FAST_RETRY,
            timeout=timeout,
        )
        self.x_client = ApiClient(
            "x_api",
            sim.url,
            x_token,
            policy=XPolicy(full_archive_spacing=0.0),  # the test simulator limits no rate
            api_version="2",
            retry=FAST_RETRY,
            timeout=timeout,
        )
        self.facebook = FacebookExtractor(
            self.fb_client,
            self.connect,
            FacebookSettings(
                tuple(b.facebook_page_id for b in tracked),
                lookback_days=lookback_days,
                page_size=25,
                recheck_hours=recheck_hours,
                own_page_ids=tuple(b.facebook_page_id for b in tracked if b.is_ours),
            ),
        )
        self.x = XExtractor(
            self.x_client,
            self.connect,
            XSettings(
                tuple(b.x_handle for b in tracked),
                tuple(b.x_user_id for b in tracked),
                **{
                    "lookback_days": lookback_days,
                    "page_size": 50,
                    "tier": "pay_per_use",
                    "full_archive": True,
                    "follower_walks": "authors",
                    "recheck_hours": recheck_hours,
                    "own_accounts": tuple((b.x_handle, b.x_user_id) for b in tracked if b.is_ours),
                    **(x_settings or {}),
                },
            ),
        )

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.db.libpq())

    def run(self) -> list:
        results = [self.facebook.page_snapshots(), self.facebook.insights()]
        results += self.facebook.posts_with_activity("posts")
        results += self.facebook.posts_with_activity("feed")
        results += self.x.tweets()
        results += self.x.followers()
        return results

    def alive(self, table: str, where: str = "true") -> set[str]:
        with self.connect() as conn:
            rows = conn.execute(
                f"select natural_key from (select distinct on (natural_key) * from raw.{table}"  # noqa: S608
                f" order by natural_key, ingest_seq desc) v where not is_deleted and {where}"
            ).fetchall()
        return {r[0] for r in rows}

    def reactions_by_person(self) -> Counter:
        brand_of_page = {b.facebook_page_id: b.key for b in brands.load()}
        with self.connect() as conn:
            rows = conn.execute(
                "select payload->>'user_id', split_part(payload->>'post_id', '_', 1),"
                " lower(payload->>'type') from (select distinct on (natural_key) *"
                " from raw.facebook_reactions order by natural_key, ingest_seq desc) v"
                " where not is_deleted"
            ).fetchall()
        return Counter((user, brand_of_page[page], kind) for user, page, kind in rows)

    def land_negative_order(self, order_id: str = "O-BAD") -> None:
        """A corrupt CRM row in raw, written by hand (loading refuses it): an order with a
        negative amount."""
        with self.connect() as conn:
            batch = conn.execute(
                "select batch_id from meta.load_batches where entity = 'orders' limit 1"
            ).fetchone()[0]
            conn.execute(
                "insert into raw.crm_orders (natural_key, scope_key, event_at, payload,"
                " payload_hash, extracted_at, batch_id) values (%s, 'C000001', now(),"
                " jsonb_build_object('order_id', %s::text, 'customer_id', 'C000001',"
                " 'amount', '-50.00'), 'bad', now(), %s)",
                (order_id, order_id, batch),
            )

    def rows(self, query: str, *params) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def published_indexes(self, table: str) -> dict[tuple[str, ...], bool]:
        """The published table `marts.<table>`'s indexes: their columns in order -> unique."""
        rows = self.rows(
            "select array_agg(a.attname order by k.ord), i.indisunique"
            " from pg_index i cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)"
            " join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum"
            " where i.indrelid = %s::regclass group by i.indexrelid, i.indisunique",
            f"marts.{table}",
        )
        return {tuple(columns): unique for columns, unique in rows}

    def scalar(self, query: str, *params):
        with self.connect() as conn:
            return conn.execute(query, params).fetchone()[0]


@pytest.fixture
def pipeline(sim, db):
    return Pipeline(sim, db)


class Truth:
    def __init__(self, world: World, folder: Path) -> None:
        write_world(world, folder, progress=lambda _: None)
        self.folder = folder
        self.clock_days = world.clock // 86_400

    def rows(self, name: str) -> list[dict]:
        with open(self.folder / "truth" / name, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def messages(self, platform: str, kinds: set[str]) -> set[str]:
        return {
            m["message_id"]
            for m in self.rows("messages.csv")
            if m["platform"] == platform and m["kind"] in kinds
        }

    def answers(self, platform: str) -> set[str]:
        return {
            m["answer_id"]
            for m in self.rows("messages.csv")
            if m["platform"] == platform and m["answer_id"]
        }

    def reactions_by_person(self) -> Counter:
        """(facebook user id, brand key, reaction type) -> count."""
        kinds = {"like", "love", "haha", "wow", "sad", "angry"}
        fb_id = {
            p["person_id"]: p["profile_id"]
            for p in self.rows("profiles.csv")
            if p["platform"] == "facebook"
        }
        return Counter(
            {
                (fb_id[e["person_id"]], e["brand"], e["type"]): int(e["count"])
                for e in self.rows("engagements.csv")
                if e["type"] in kinds
            }
        )

    def follow_edges(self) -> set[str]:
        return {f"{f['followed_x_id']}:{f['follower_x_id']}" for f in self.rows("follows.csv")}


# the marts that only count (no row describes a person)
AGGREGATE_MARTS = (
    "brand_daily_metrics",
    "brand_response_times_daily",
    "clv_calibration_by_frequency",
)


def detail_mart_columns_holding(pipeline, values: list[str]) -> tuple[list, list]:
    """The text columns of the published detail marts, and those holding any of `values`."""
    columns = pipeline.rows(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and data_type = 'text'"
        " and table_name <> all(%s) order by 1, 2",
        list(AGGREGATE_MARTS),
    )
    found = [
        (table, column)
        for table, column in columns
        if pipeline.scalar(
            f"select count(*) from marts.{table} where {column} = any(%s)",  # noqa: S608
            values,
        )
    ]
    return columns, found


def use_local_dir(patch: pytest.MonkeyPatch, local: Path) -> None:
    """Point the pipeline's local data folder, dbt's target and logs and Airflow's home at
    `local` (a test's own: a search of its files sees only what that test made), keeping dbt's
    parse of the project (not its results) and the manifest the nightly's freshness check
    reads (`dbt_manifest.ensure_manifest`: the project's nodes, no rows), so the project is
    not parsed again."""
    import os

    from social_crm.transform import dbt_manifest

    parsed = Path(os.environ.get("DBT_TARGET_PATH") or ".") / "partial_parse.msgpack"
    (local / "dbt_target").mkdir()
    if parsed.is_file():
        shutil.copy2(parsed, local / "dbt_target")
    # a full `dbt parse` when the folder has no manifest (13 s on a quiet machine, 39 s loaded):
    # made once in the worker's folder, copied (with its time: it stays newer than the project)
    manifest = dbt_manifest.ensure_manifest()
    for name, value in {
        "SOCIAL_CRM_LOCAL_DIR": local,
        "DBT_TARGET_PATH": local / "dbt_target",
        "DBT_LOG_PATH": local / "dbt_logs",
        "AIRFLOW_HOME": local / "airflow",
    }.items():
        patch.setenv(name, str(value))
    patch.delenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", raising=False)
    dbt_manifest.manifest_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(manifest, dbt_manifest.manifest_path())


# dbt's own variable: the project's dbt unit tests read fixed inputs, not the world, so the
# worlds' builds leave them out; test_dbt_unit_tests.py runs every one of them once, and the
# nightly DAG's runs (test_nightly_dag_run.py, tests/dags/) keep them, as production does
WITHOUT_DBT_UNIT_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}


@contextmanager
def world_environment() -> Iterator[pytest.MonkeyPatch]:
    """A MonkeyPatch for a test world's environment, undone at the end: its dbt builds leave
    the dbt unit tests out (WITHOUT_DBT_UNIT_TESTS)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in WITHOUT_DBT_UNIT_TESTS.items():
            patch.setenv(name, value)
        yield patch


def world_now(sim: SimulatorServer) -> datetime:
    """The simulator's clock as a moment: what a nightly build over its data is as of."""
    return WORLD_START + timedelta(seconds=sim.world.clock)


# The last nightly step, `dbt docs generate`, writes a site of the project's models and columns
# (no rows): a dbt start-up and catalog queries, a quarter of a build, made again for every
# database. The test worlds' builds stop before it (`nightly_build`); the builds whose tests
# read the site run it: test_nightly_dag_run.py (the DAG) and test_erasure_complete.py.
DOCS_STEP = "generate_docs"


def nightly_build(as_of: datetime | None = None, **options) -> dict[str, object]:
    """`nightly.run_all` for a test world: every step up to `until` (default: every one but
    the last, the dbt docs site: DOCS_STEP)."""
    from social_crm.orchestration import nightly
    from social_crm.orchestration.pipelines import NIGHTLY

    names = NIGHTLY.names()
    assert names[-1] == DOCS_STEP, f"the nightly's last step is {names[-1]}, not {DOCS_STEP}"
    options.setdefault("until", names[-2])
    return nightly.run_all(as_of=as_of, **options)


def land_crm_export(connect, truth: Truth) -> list:
    """The truth's CRM export landed from a copy: landing moves each file out of the drop
    folder, and the truth keeps its own."""
    from social_crm.extract.crm import land_drop_folder

    drop = truth.folder / "crm_drop"
    shutil.copytree(truth.folder / "crm", drop, dirs_exist_ok=True)
    return land_drop_folder(connect, drop)


def truth_of(sim: SimulatorServer, folder: Path) -> Truth:
    """Ground truth of the simulator's world at its current clock."""
    world = World(sim.world.config)
    world.clock = sim.world.clock
    return Truth(world, folder)


def raise_an_sla_alert_about_a_customer(pipeline, sim, excluded: set[str]) -> str | None:
    """Live cycles as of earlier moments, until the queue alerts a high-priority message of
    our brand past its SLA whose author is a customer: that customer's id."""
    from social_crm.alerts import run as alerts
    from social_crm.orchestration import live

    candidates = pipeline.rows(
        "select occurred_at, sla_target_seconds from marts.open_conversations"
        " where brand_key = 'ours' and priority = 'high' and is_sla_breached"
        " and customer_id is not null and customer_id <> all(%s) order by occurred_at desc",
        sorted(excluded),
    )
    for occurred_at, target in candidates:
        for extra in (timedelta(minutes=30), timedelta(hours=14), timedelta(hours=62)):
            as_of = occurred_at + timedelta(seconds=target) + extra
            if as_of > world_now(sim):
                continue
            live.build_queue(as_of)
            live.publish_queue()
            with pipeline.connect() as conn:
                alerts.run(conn, as_of)
            found = pipeline.rows(
                "select details->>'customer_id' from meta.alerts where kind = 'sla_breach'"
                " and details->>'customer_id' is not null and details->>'customer_id' <> all(%s)",
                sorted(excluded),
            )
            if found:
                return found[0][0]
    return None


PAGE_IDS = "('104000000000001', '104000000000002', '104000000000003')"
BRAND_X_IDS = "('1400000000000000001', '1400000000000000002', '1400000000000000003')"


def _walked_follows(pipeline: Pipeline, truth: Truth) -> tuple:
    """The follows of every account the X extraction walks: the brands and every author."""
    authors = {
        r[0] for r in pipeline.rows("select distinct payload->>'author_id' from raw.x_tweets")
    }
    walked = authors | {b.x_user_id for b in brands.load()}
    expected = {e for e in truth.follow_edges() if e.split(":")[0] in walked}
    return pipeline.alive("x_followers"), expected, True


# what the extraction landed against the truth, entity by entity: each gives (landed, expected,
# exact); not exact, what landed holds at least what is expected (the brands' own answers: the
# world knows those it wrote in reply, not every one)
TRUTH_CHECKS: dict[str, Callable[[Pipeline, Truth], tuple]] = {
    "facebook_comments_of_people": lambda pipeline, truth: (
        pipeline.alive("facebook_comments", f"payload->'from'->>'id' not in {PAGE_IDS}"),
        truth.messages("facebook", {"comment", "reply"}),
        True,
    ),
    "facebook_visitor_posts": lambda pipeline, truth: (
        pipeline.alive("facebook_visitor_posts"),
        truth.messages("facebook", {"visitor_post"}),
        True,
    ),
    "facebook_answers_of_the_brands": lambda pipeline, truth: (
        pipeline.alive("facebook_comments", f"payload->'from'->>'id' in {PAGE_IDS}"),
        truth.answers("facebook"),
        False,
    ),
    "x_mentions": lambda pipeline, truth: (
        pipeline.alive("x_tweets", f"payload->>'author_id' not in {BRAND_X_IDS}"),
        truth.messages("x", {"mention"}),
        True,
    ),
    "x_answers_of_the_brands": lambda pipeline, truth: (
        pipeline.alive("x_tweets", f"payload->>'author_id' in {BRAND_X_IDS}"),
        truth.answers("x"),
        False,
    ),
    "x_follows_of_walked_accounts": _walked_follows,
    "facebook_posts_two_a_day_a_page": lambda pipeline, truth: (
        len(pipeline.alive("facebook_posts")),
        3 * 2 * truth.clock_days,
        True,
    ),
    "facebook_reactions_per_person": lambda pipeline, truth: (
        pipeline.reactions_by_person(),
        truth.reactions_by_person(),
        True,
    ),
}


def truth_mismatch(landed, expected, exact: bool) -> dict:
    """Nothing when `landed` is as expected; else what is missing (and, exact, what is not in
    the truth), a few of each."""
    if landed == expected or (not exact and landed >= expected):
        return {}
    if not isinstance(landed, set | Counter):
        return {"landed": landed, "expected": expected}
    missing, extra = expected - landed, landed - expected if exact else set()
    return {
        "missing": (len(missing), sorted(missing)[:5]),
        "not in the truth": (len(extra), sorted(extra)[:5]),
    }


def assert_matches_truth(pipeline: Pipeline, truth: Truth) -> None:
    """Every entity checked, every mismatch shown at once."""
    wrong = {name: truth_mismatch(*check(pipeline, truth)) for name, check in TRUTH_CHECKS.items()}
    assert {name: found for name, found in wrong.items() if found} == {}


def csv_rows(path) -> list[dict]:
    """A CSV export's rows, as the CRM writes them (UTF-8, a header)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path, rows: list[dict], fields: list[str] | None = None) -> None:
    """`rows` written as a CRM export: a header (`fields`, or the first row's keys), UTF-8."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@contextmanager
def extracted_world(
    warehouse_url, tmp_path_factory, world: WorldConfig = WORLD, lookback_days: int = 60
) -> Iterator:
    """The test world (or `world`) served by the simulator, every API entity extracted into a
    new database (`lookback_days` back, as the extraction settings say): (pipeline, truth,
    patch), `patch` a MonkeyPatch undone at the end."""
    with (
        SimulatorServer(World(world), x_profile=test_x_profile()) as sim,
        migrated_database(warehouse_url) as db,
        world_environment() as patch,
    ):
        pipeline = Pipeline(sim, db, lookback_days=lookback_days)
        pipeline.run()
        yield pipeline, truth_of(sim, tmp_path_factory.mktemp("truth")), patch


@contextmanager
def landed_world(warehouse_url, tmp_path_factory) -> Iterator:
    """The extracted test world with the truth's CRM export landed, the pipeline pointed at its
    database and drop folder, and a local data folder of its own (what a search of files sees):
    (pipeline, truth, patch, drop, local)."""
    with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, patch):
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        land_crm_export(pipeline.connect, truth)
        drop = truth.folder / "crm_drop"
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(drop))
        yield pipeline, truth, patch, drop, local


@dataclass(frozen=True)
class ExtractedOnce:
    """The test world extracted once per worker process: `database` every API entity landed,
    nothing of the CRM yet (nobody stays connected: modules copy it); `truth` its folder (the
    world's truth and its CRM export, nothing landed from it), `x_profile` the simulator's X
    project (what the extraction charged) and `clock` its world's clock."""

    database: object
    truth: Truth
    x_profile: XProfile
    clock: int


@pytest.fixture(scope="session")
def extracted_once(warehouse_url, tmp_path_factory) -> Iterator[ExtractedOnce]:
    """Every API entity of the test world extracted once per worker process (`extracted_copy`
    gives a module its own copy: a template copy instead of an extraction)."""
    with new_database(warehouse_url) as template:
        with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, _):
            _copy_database(warehouse_url, pipeline.db.database, template.database)
            x_profile, clock = _copy_x_profile(pipeline.sim.x_profile), pipeline.sim.world.clock
        yield ExtractedOnce(template, truth, x_profile, clock)


@contextmanager
def extracted_copy(once: ExtractedOnce, warehouse_url, tmp_path_factory) -> Iterator:
    """A copy of the world `extracted_once` extracted, as `extracted_world` gives it: its own
    simulator (of the same world, clock and X charges), database (a template copy of the
    extraction) and truth folder (a copy, nothing landed from its CRM export): (pipeline,
    truth, patch), `patch` a MonkeyPatch undone at the end."""
    world = World(WORLD)
    world.clock = once.clock
    with (
        SimulatorServer(world, x_profile=_copy_x_profile(once.x_profile)) as sim,
        new_database(warehouse_url, template=once.database.database) as db,
        world_environment() as patch,
    ):
        yield Pipeline(sim, db), _copy_truth(once.truth, tmp_path_factory), patch


def _copy_truth(truth: Truth, tmp_path_factory) -> Truth:
    """A copy of `truth`'s folder, in a new folder of the session's."""
    folder = tmp_path_factory.mktemp("truth_copy") / "truth"
    shutil.copytree(truth.folder, folder)
    twin = Truth.__new__(Truth)
    twin.folder, twin.clock_days = folder, truth.clock_days
    return twin


@dataclass(frozen=True)
class BuiltOnce:
    """The test world built once per worker process: `landed` its database with the truth's CRM
    export landed, `built` a copy after the nightly build published; nobody stays connected to
    either (modules copy them). `truth` and `local` the folders the build used, `x_profile` the
    simulator's X project (what it charged) and `clock` its world's clock at the end."""

    landed: object
    built: object
    truth: Truth
    local: Path
    x_profile: XProfile
    clock: int

    def landed_rows(self, query: str, *params) -> list[tuple]:
        """`query`'s rows in the landed world, before the nightly build."""
        with psycopg.connect(self.landed.libpq()) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture(scope="session")
def built_once(extracted_once, warehouse_url, tmp_path_factory) -> Iterator[BuiltOnce]:
    """A copy of the extracted world (`extracted_once`), the CRM export landed and the nightly
    build published once per worker process (a build takes half a minute; every module that
    needs it takes a copy: `built`, `built_world`)."""
    with (
        new_database(warehouse_url) as landed,
        new_database(warehouse_url) as db,
    ):
        with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
            pipeline,
            truth,
            patch,
        ):
            sim = pipeline.sim
            local = tmp_path_factory.mktemp("built_local")
            use_local_dir(patch, local)
            land_crm_export(pipeline.connect, truth)
            patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
            patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
            _copy_database(warehouse_url, pipeline.db.database, landed.database)
            nightly_build(as_of=world_now(sim))
            _copy_database(warehouse_url, pipeline.db.database, db.database)
            x_profile, clock = _copy_x_profile(sim.x_profile), sim.world.clock
        yield BuiltOnce(landed, db, truth, local, x_profile, clock)


@contextmanager
def built_world(once: BuiltOnce, warehouse_url, tmp_path_factory) -> Iterator:
    """A copy of the world `built_once` made, as `landed_world` gives it after a nightly build:
    its own simulator (of the same world, clock and X charges), database (a template copy),
    truth folder and local data folder (a copy of what the build wrote), the pipeline pointed
    at them: (pipeline, truth, patch, drop, local)."""
    world = World(WORLD)
    world.clock = once.clock
    with (
        SimulatorServer(world, x_profile=_copy_x_profile(once.x_profile)) as sim,
        new_database(warehouse_url, template=once.built.database) as db,
        world_environment() as patch,
    ):
        truth = _copy_truth(once.truth, tmp_path_factory)
        folder = truth.folder
        local = tmp_path_factory.mktemp("local")
        use_local_dir(patch, local)
        shutil.copytree(once.local, local, dirs_exist_ok=True)
        drop = folder / "crm_drop"
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(drop))
        yield Pipeline(sim, db), truth, patch, drop, local


def _copy_database(server, source: str, target: str) -> None:
    """The database `target` (empty, nobody connected) replaced by a copy of `source`."""
    _close_connections_to(server, source)
    with psycopg.connect(server.libpq(), autocommit=True) as conn:
        conn.execute(f'drop database "{target}" with (force)')
        conn.execute(f'create database "{target}" template "{source}" strategy file_copy')


def _copy_x_profile(profile: XProfile) -> XProfile:
    """A copy of a simulated X project with what it counted and charged so far."""
    import copy
    import dataclasses

    state = {
        f.name: copy.deepcopy(getattr(profile, f.name))
        for f in dataclasses.fields(profile)
        if f.name not in ("_lock", "billing")
    }
    billing = {
        f.name: copy.deepcopy(getattr(profile.billing, f.name))
        for f in dataclasses.fields(profile.billing)
        if f.name != "_lock"
    }
    return XProfile(**state, billing=type(profile.billing)(**billing))


@pytest.fixture(scope="module")
def built(built_once, warehouse_url, tmp_path_factory):
    """Everything extracted, the CRM export landed and the nightly build published: a copy of
    the worker's build (`built_once`) for the module. Tests read it; a test that changes it
    changes a copy (`copy_of`)."""
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, truth, *_):
        with left_unchanged(pipeline):
            yield pipeline, truth


@contextmanager
def left_unchanged(pipeline: Pipeline) -> Iterator[None]:
    """For a module-scoped world: fails at the end when any table of its warehouse changed
    meanwhile (a test that changes a world changes a copy: `copy_of`)."""
    before = fingerprint(pipeline)
    yield
    after = fingerprint(pipeline)
    changed = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    assert changed == [], "the module's tests changed its world (a test that does: copy_of)"


def fingerprint(pipeline: Pipeline) -> dict[str, str]:
    """Every table of the warehouse, by name: a digest of its rows."""
    tables = pipeline.rows(
        "select table_schema, table_name from information_schema.tables"
        " where table_type = 'BASE TABLE'"
        " and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2"
    )
    digest = "select md5(coalesce(string_agg(r::text, e'\\n' order by r::text), '')) from {} as r"
    return {
        f"{schema}.{table}": pipeline.scalar(digest.format(f'"{schema}"."{table}"'))
        for schema, table in tables
    }


@contextmanager
def copy_of(built: tuple, warehouse_url, folder: Path) -> Iterator[tuple[Pipeline, Truth]]:
    """A copy of a `built` world for a test that changes it: its database copied (a template
    copy: a second or two, not a build's half minute) and its truth folder copied to `folder`,
    with WAREHOUSE_URL and CRM_DROP_DIR pointing at the copies until the end. The simulator is
    the same one: a test that advances its world needs a world of its own."""
    pipeline, truth = built
    _close_connections_to(warehouse_url, pipeline.db.database)
    with (
        new_database(warehouse_url, template=pipeline.db.database) as db,
        pytest.MonkeyPatch.context() as patch,
    ):
        shutil.copytree(truth.folder, folder)
        twin = Truth.__new__(Truth)
        twin.folder, twin.clock_days = folder, truth.clock_days
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(folder / "crm_drop"))
        yield Pipeline(pipeline.sim, db), twin


def _close_connections_to(server, database: str) -> None:
    """A template copy needs the template to itself: sessions left open by a pool nobody uses
    any more (each quality gate makes a Great Expectations context and engine of its own; the
    last one's pool lives until it is collected) are ended."""
    with psycopg.connect(server.libpq(), autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (database,),
        )


@pytest.fixture
def changed_build(built, warehouse_url, tmp_path) -> Iterator[tuple[Pipeline, Truth]]:
    """A copy of the module's build, for one test that changes it."""
    with copy_of(built, warehouse_url, tmp_path / "built") as copy:
        yield copy
