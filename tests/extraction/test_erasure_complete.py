"""An erasure request for a customer with social profiles, messages and brand replies: after
the nightly run, no table of any schema and no file of the CRM drop folder holds anything
that names them, outside the erasure log."""

import csv
import re
import shutil
from collections import Counter
from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from tests.extraction.conftest import extracted_world, world_now

pytestmark = pytest.mark.integration

# what holds the erasure requests themselves (the proof they were honoured) and the list the
# marts exclude by: the erasure log
ERASURE_LOG = {
    "raw.crm_erasure_requests",
    "intermediate.int_excluded_customers",
    "meta.erasure_log",
}


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _most_answered_known_customer(truth) -> str:
    """Of the customers whose accounts the CRM knows, the one with the most messages the
    brand answered: an erasure that must reach the brand's replies."""
    known = {a["customer_id"] for a in _rows(truth.folder / "crm" / "customer_social_accounts.csv")}
    answered = Counter(
        m["customer_id"]
        for m in truth.rows("messages.csv")
        if m["customer_id"] in known and m["answer_id"]
    )
    return answered.most_common(1)[0][0]


def _other_record(truth, customer: str) -> dict:
    """A customer record the test takes for the erased person's second record (another
    email): the first customer who neither opted out nor asked to be erased."""
    erasures = {e["customer_id"] for e in truth.rows("erasures.csv")}
    return next(
        c
        for c in _rows(truth.folder / "crm" / "customers.csv")
        if c["customer_id"] not in erasures | {customer} and c["profiling_opt_out"] == "false"
    )


@pytest.fixture(scope="module")
def erased(warehouse_url, tmp_path_factory):
    from social_crm.orchestration import nightly

    with extracted_world(warehouse_url, tmp_path_factory) as (pipeline, truth, patch):
        sim, db = pipeline.sim, pipeline.db
        customer = _most_answered_known_customer(truth)
        drop = truth.folder / "crm_drop"
        shutil.copytree(truth.folder / "crm", drop)
        requested = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # the request also names another email of theirs: the CRM's record of it is theirs
        other = _other_record(truth, customer)
        with open(drop / "erasure_requests_today.csv", "w", encoding="utf-8") as handle:
            handle.write("customer_id,requested_at,identifiers\n")
            handle.write(f"{customer},{requested},{other['email'].upper()}\n")
        land_drop_folder(pipeline.connect, drop)
        patch.setenv("WAREHOUSE_URL", db.libpq())
        patch.setenv("CRM_DROP_DIR", str(drop))
        nightly.run_all(as_of=world_now(sim))
        yield pipeline, truth, customer, drop


def _identifiers(pipeline, truth, customer) -> set[str]:
    """What the pipeline knew of the customer: id, email, full name (when no one else has
    it), and the profiles the erasure log says were erased with them, ids and handles."""
    customers = _rows(truth.folder / "crm" / "customers.csv")
    names = Counter(f"{c['first_name']} {c['last_name']}" for c in customers)
    names.update(p["name"] for p in truth.rows("profiles.csv"))
    row = next(c for c in customers if c["customer_id"] == customer)
    found = {customer, row["email"].lower()}
    full_name = f"{row['first_name']} {row['last_name']}"
    if names[full_name] == 1:
        found.add(full_name)
    profiles = {
        profile
        for logged, ids in pipeline.rows("select customer_id, profile_ids from meta.erasure_log")
        for profile in ids
        if logged == customer
    }
    found |= profiles
    found |= {p["handle"] for p in truth.rows("profiles.csv") if p["profile_id"] in profiles}
    found.discard("")
    return found


def test_the_erasure_log_names_the_profiles_erased_with_the_customer(erased):
    pipeline, truth, customer, _ = erased
    theirs = {p["profile_id"] for p in truth.rows("profiles.csv") if p["customer_id"] == customer}
    known = {
        a["account_id"]
        for a in _rows(truth.folder / "crm" / "customer_social_accounts.csv")
        if a["customer_id"] == customer and a["account_id"]
    }
    logged = _identifiers(pipeline, truth, customer) & theirs
    assert known and known <= logged <= theirs


def test_no_table_of_any_schema_names_the_erased_customer(erased):
    pipeline, truth, customer, _ = erased
    identifiers = sorted(_identifiers(pipeline, truth, customer))
    # a whole value, not part of a longer one (an id inside a longer id is another id)
    patterns = [rf"(^|[^0-9A-Za-z_.@-]){re.escape(i)}($|[^0-9A-Za-z_.@-])" for i in identifiers]
    tables = pipeline.rows(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_type = 'BASE TABLE' and table_schema not in"
        " ('pg_catalog', 'information_schema') and table_schema not like 'pg_%%'"
    )
    traces = {}
    for (table,) in tables:
        if table in ERASURE_LOG:
            continue
        schema, name = table.split(".")
        found = pipeline.rows(
            f'select t::text from "{schema}"."{name}" as t'  # noqa: S608
            " where t::text ~* any(%s) limit 3",
            patterns,
        )
        if found:
            traces[table] = [text[:200] for (text,) in found]
    assert traces == {}


def test_no_file_of_the_drop_folder_names_the_erased_customer(erased):
    pipeline, truth, customer, drop = erased
    identifiers = _identifiers(pipeline, truth, customer) - {customer}
    files = [p for p in drop.rglob("*") if p.is_file()]
    left = {
        str(p.relative_to(drop)): sorted(i for i in identifiers if i in p.read_text("latin-1"))
        for p in files
        if "erasure_requests" not in p.name  # the request itself
    }
    assert files and {path: found for path, found in left.items() if found} == {}
    customer_rows = [
        p.name for p in files if "erasure_requests" not in p.name and customer in p.read_text()
    ]
    assert customer_rows == []


def test_the_customer_record_an_erasure_request_names_by_email_is_erased_too(erased):
    pipeline, truth, customer, _ = erased
    other = _other_record(truth, customer)["customer_id"]
    left = pipeline.rows(
        "select 'raw.crm_customers' from raw.crm_customers where natural_key = %s"
        " union all select 'raw.crm_orders' from raw.crm_orders where scope_key = %s"
        " union all select 'marts_build.people' from marts_build.people where customer_id = %s",
        other,
        other,
        other,
    )
    assert left == []


# --- later nights: what the APIs land again of an erased person, and what a pass reads ------
# (these tests change the fixture's warehouse: they run after the ones above)


def _erased_profiles(pipeline, customer) -> set[str]:
    return {
        profile
        for logged, ids in pipeline.rows("select customer_id, profile_ids from meta.erasure_log")
        for profile in ids
        if logged == customer
    }


@pytest.fixture(scope="module")
def landed_again(erased):
    """The next night: the X API lands a new Post by the erased customer's X account (their
    CRM rows and links are gone by then), and the nightly runs again."""
    from social_crm.load.landing import LandingBatch, RawRecord
    from social_crm.orchestration import nightly

    pipeline, truth, customer, _ = erased
    x_profiles = {p["profile_id"] for p in truth.rows("profiles.csv") if p["platform"] == "x"}
    author = sorted(_erased_profiles(pipeline, customer) & x_profiles)[0]
    (payload, event_at) = pipeline.rows(
        "select payload, event_at from raw.x_tweets where payload ->> 'author_id' <> %s"
        " order by ingest_seq desc limit 1",
        author,
    )[0]
    payload = {**payload, "id": "9" * 19, "author_id": author, "text": "landed again"}
    with pipeline.connect() as conn, LandingBatch(conn, "x", "tweets") as batch:
        batch.add(RawRecord(payload["id"], payload, payload.get("brand_handle"), event_at))
    nightly.run_all(as_of=world_now(pipeline.sim))
    return pipeline, payload["id"]


def test_what_the_apis_land_again_of_an_erased_person_is_erased_the_next_night(landed_again):
    pipeline, tweet = landed_again
    found = [
        table
        for table, key in (("raw.x_tweets", "natural_key"), ("staging.stg_x__tweets", "tweet_id"))
        if pipeline.rows(f"select 1 from {table} where {key} = %s", tweet)  # noqa: S608
    ]
    assert found == []


def test_the_next_night_reads_no_customer_erased_before_whole(landed_again):
    pipeline, _ = landed_again
    first, second = pipeline.rows(
        "select customers_read_whole from meta.erasure_passes order by pass_id"
    )
    assert first[0] > 0 and second[0] == 0


def test_a_change_of_what_erasure_covers_reads_every_customer_whole(
    erased, landed_again, monkeypatch
):
    from social_crm.privacy import erasure

    pipeline, _ = landed_again
    monkeypatch.setattr(erasure, "coverage", lambda: "another coverage")
    with pipeline.connect() as conn:
        erasure.erase_requested(conn, drop_dir=erased[3])
    requested = pipeline.scalar(
        "select count(distinct natural_key) from raw.crm_erasure_requests where not is_deleted"
    )
    latest = pipeline.scalar(
        "select customers_read_whole from meta.erasure_passes order by pass_id desc limit 1"
    )
    assert latest == requested


def test_the_next_pass_reads_from_the_oldest_transaction_open_when_a_pass_began(
    erased, landed_again
):
    """A batch landing while a pass runs commits after it: the next pass must read it."""
    from social_crm.privacy import erasure

    pipeline, _ = landed_again
    with pipeline.connect() as landing:
        began = landing.execute("select now()").fetchone()[0]  # a transaction left open
        with pipeline.connect() as conn:
            erasure.erase_requested(conn, drop_dir=erased[3])
        reads_from = pipeline.scalar(
            "select reads_from from meta.erasure_passes order by pass_id desc limit 1"
        )
    assert reads_from == began
