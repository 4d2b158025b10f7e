"""Erasure requests for generated customers (known accounts and answered messages, profiles
linked by the model, no profile at all) with exports naming them in the drop folder (padded
ids, records over several lines, other encodings and delimiters, a file without a header that
is rejected): after the nightly run, no table or view of any schema, no file under the local
data folder or the drop folder, and no stored model holds anything that names them, outside
the erasure requests and the erasure log.

One world is built for the module. SOCIAL_CRM_ERASURE_CASES customers of each kind are
erased (1; a soak sets more) among those SOCIAL_CRM_ERASURE_SEED picks."""

import csv
import json
import logging
import os
import random
import re
import shutil
from collections import Counter
from datetime import timedelta

import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.identity import features
from tests.end_to_end.conftest import (
    BRAND_X_IDS,
    copy_of,
    csv_rows,
    extracted_copy,
    left_unchanged,
    nightly_build,
    raise_an_sla_alert_about_a_customer,
    use_local_dir,
    world_now,
)
from tests.webhook import receiving_webhook

pytestmark = pytest.mark.integration

CASES = int(os.environ.get("SOCIAL_CRM_ERASURE_CASES", "1"))
SEED = int(os.environ.get("SOCIAL_CRM_ERASURE_SEED", "0"))
# what holds the erasure requests themselves (the proof they were honoured) and the list the
# marts exclude by: the erasure log
ERASURE_LOG = {
    "raw.crm_erasure_requests",
    "staging.stg_crm__erasure_requests",
    "intermediate.int_excluded_customers",
    "meta.erasure_log",
    "meta.erasure_holds",
}
SECOND_RECORD = "C800001"  # the first erased person's second customer record
REQUEST_FILES = "erasure_requests"  # the request files (their names start so)
# a whole identifier, not part of a longer one (an id inside a longer id is another id)
BOUNDARY = "[^0-9A-Za-z_.@-]"
WORD = "[0-9a-z_.@-]+"


def _most_answered_known_customer(truth) -> str:
    """Of the customers whose Facebook or X accounts the CRM knows, the one with the most
    messages the brand answered: an erasure that must reach the brand's replies (messages.csv
    holds Facebook's and X's; a customer known on Instagram alone has none there)."""
    known = {
        a["customer_id"]
        for a in csv_rows(truth.folder / "crm" / "customer_social_accounts.csv")
        if a["platform"] in ("facebook", "x")
    }
    answered = Counter(
        m["customer_id"]
        for m in truth.rows("messages.csv")
        if m["customer_id"] in known and m["answer_id"]
    )
    return answered.most_common(1)[0][0]


def _kinds(truth) -> dict[str, list[str]]:
    """The CRM's customers by what the pipeline knows of their social life."""
    profiles = truth.rows("profiles.csv")
    known = {p["customer_id"] for p in profiles if p["link_method"] == "known"}
    linked = {p["customer_id"] for p in profiles if p["link_method"] == "model"} - known
    everyone = {c["customer_id"] for c in csv_rows(truth.folder / "crm" / "customers.csv")}
    answered = {m["customer_id"] for m in truth.rows("messages.csv") if m["answer_id"]}
    return {
        "known accounts": sorted(known),
        "answered, linked by the model": sorted(linked & answered),
        "linked by the model": sorted(linked - answered),
        "no profile": sorted(everyone - known - linked),
    }


def _generated_customers(truth) -> list[str]:
    """The most answered known customer, and CASES customers of each kind, drawn by SEED."""
    draw = random.Random(SEED)
    chosen = [_most_answered_known_customer(truth)]
    for candidates in _kinds(truth).values():
        left = [c for c in candidates if c not in chosen]
        chosen += draw.sample(left, min(CASES, len(left)))
    return chosen


def _other_record(truth, customers: list[str]) -> dict:
    """The first erased person's second customer record: another id and email, their name
    (a record with that email and another name may be someone else's: it is held, not
    erased, test_consent_outsider_attacks2.py)."""
    first = next(
        c
        for c in csv_rows(truth.folder / "crm" / "customers.csv")
        if c["customer_id"] == customers[0]
    )
    return {
        **first,
        "customer_id": SECOND_RECORD,
        "email": f"second.record.{first['customer_id'].lower()}@example.org",
        "profiling_opt_out": "false",
    }


def _write_exports_naming(drop, customers: list[dict]) -> None:
    """Exports naming the customers as hostile files do: orders with padded ids beside
    lower-cased ones (another id; Windows-1252, semicolons), orders with a note over two
    lines naming them (UTF-8 with a BOM, tabs), and a customers export without a header,
    their row first (rejected, unquoted)."""
    padded = ["order_id;customer_id;ordered_at;amount"]
    noted = ["order_id\tcustomer_id\tordered_at\tamount\tnote"]
    for n, c in enumerate(customers):
        name = f"{c['first_name']} {c['last_name']}"
        padded.append(f"OE{n}P;  {c['customer_id']}  ;2026-01-02T10:00:00Z;10.00")
        # ... and lower-cased: another id (ids are case-sensitive, as the CRM's and the
        # warehouse's keys), no known customer: quarantined, and no erased customer's
        padded.append(f"OE{n}L; {c['customer_id'].lower()} ;2026-01-02T10:00:00Z;10.00")
        noted.append(f'OE{n}N\t{c["customer_id"]}\t2026-01-02T10:00:00Z\t5.00\t"call\n{name}"')
    (drop / "orders_erasure_padded.csv").write_bytes(
        "\r\n".join(padded).encode("cp1252", "replace") + b"\r\n"
    )
    (drop / "orders_erasure_notes.csv").write_bytes(("\n".join(noted) + "\n").encode("utf-8-sig"))
    for n, c in enumerate(customers):
        with open(drop / f"customers_headerless_{n}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(c.values())


@pytest.fixture(scope="module")
def erased(extracted_once, warehouse_url, tmp_path_factory):
    from social_crm.alerts import run as alerts
    from social_crm.orchestration import nightly

    with extracted_copy(extracted_once, warehouse_url, tmp_path_factory) as (
        pipeline,
        truth,
        patch,
    ):
        sim, db = pipeline.sim, pipeline.db
        local = tmp_path_factory.mktemp("local")  # what the run writes: docs, logs, dbt target
        use_local_dir(patch, local)
        customers = _generated_customers(truth)
        rows = {c["customer_id"]: c for c in csv_rows(truth.folder / "crm" / "customers.csv")}
        drop = truth.folder / "crm_drop"
        shutil.copytree(truth.folder / "crm", drop)
        # the first erased person's second customer record (their name, another email), in the
        # CRM from the first night on: their request names its email
        other = _other_record(truth, customers)
        with open(drop / "customers.csv", "a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=list(other)).writerow(other)
        # the task log a worker writes (Airflow's logs folder), through the landing and the runs
        task_log = local / "airflow" / "logs" / "dag_id=social_crm_nightly" / "attempt=1.log"
        task_log.parent.mkdir(parents=True)
        handler = logging.FileHandler(task_log, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        level = root.level
        root.setLevel(logging.INFO)
        try:
            patch.setenv("WAREHOUSE_URL", db.libpq())
            patch.setenv("CRM_DROP_DIR", str(drop))
            # a first night, then the live queue alerts a customer's message while the webhook
            # is down (the alert waits to be delivered): that customer is erased too
            land_drop_folder(pipeline.connect, drop)
            nightly_build(as_of=world_now(sim))  # the docs site: the second night makes it
            patch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", "http://127.0.0.1:9/down")
            alerted = raise_an_sla_alert_about_a_customer(pipeline, sim, set())
            assert alerted, "no SLA alert named a customer"
            if alerted not in customers:
                customers.append(alerted)
            undelivered = pipeline.rows(
                "select alert_id from meta.alerts where delivered_at is null"
                " and details->>'customer_id' = %s",
                alerted,
            )
            requested = (world_now(sim) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            # the first request also names another email of theirs: the CRM's record of it is
            # theirs
            with open(drop / "erasure_requests_today.csv", "w", encoding="utf-8") as handle:
                handle.write("customer_id,requested_at,identifiers\n")
                handle.write(f"{customers[0]},{requested},{other['email'].upper()}\n")
                handle.writelines(f"{c},{requested},\n" for c in customers[1:])
            _write_exports_naming(drop, [rows[c] for c in customers])
            land_drop_folder(pipeline.connect, drop)
            nightly.run_all(as_of=world_now(sim))
            # the webhook is back: what the next live cycle delivers
            with receiving_webhook() as (url, received):
                patch.setenv("SOCIAL_CRM_ALERT_WEBHOOK", url)
                with pipeline.connect() as conn:
                    alerts.deliver(conn)
            patch.delenv("SOCIAL_CRM_ALERT_WEBHOOK")
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            handler.close()
        alerting = {"customer": alerted, "undelivered": undelivered, "delivered": received}
        with left_unchanged(pipeline):
            yield pipeline, truth, customers, drop, local, alerting


def _erased_customers(pipeline) -> list[str]:
    return sorted({c for (c,) in pipeline.rows("select natural_key from raw.crm_erasure_requests")})


def _erased_profiles(pipeline, customer) -> set[str]:
    return {
        profile
        for logged, ids in pipeline.rows("select customer_id, profile_ids from meta.erasure_log")
        for profile in ids
        if logged == customer
    }


def _identifiers(pipeline, truth, customer) -> set[str]:
    """What the pipeline knew of the customer: id, email, full name (when no one else has
    it), the profiles the erasure log says were erased with them, ids and handles, and the
    accounts the CRM knew for them."""
    customers = csv_rows(truth.folder / "crm" / "customers.csv")
    profiles = _erased_profiles(pipeline, customer)
    names = Counter(f"{c['first_name']} {c['last_name']}" for c in customers)
    names.update(p["name"] for p in truth.rows("profiles.csv") if p["profile_id"] not in profiles)
    row = next(c for c in customers if c["customer_id"] == customer)
    found = {customer, row["email"].lower()}
    full_name = f"{row['first_name']} {row['last_name']}"
    if names[full_name] == 1:
        found.add(full_name)
    found |= profiles
    found |= {p["handle"] for p in truth.rows("profiles.csv") if p["profile_id"] in profiles}
    accounts = csv_rows(truth.folder / "crm" / "customer_social_accounts.csv")
    found |= {
        a[k] for a in accounts if a["customer_id"] == customer for k in ("account_id", "handle")
    }
    found.discard("")
    return found


def _ids(pipeline, truth, customer) -> set[str]:
    """Of their identifiers, the ids (the customer's, their profiles' and accounts'): matched
    case-sensitively, as the warehouse keys them; the others (email, name, handles) in any
    case."""
    accounts = csv_rows(truth.folder / "crm" / "customer_social_accounts.csv")
    found = {customer} | _erased_profiles(pipeline, customer)
    found |= {a["account_id"] for a in accounts if a["customer_id"] == customer}
    return found - {""}


def _patterns(identifiers) -> list[str]:
    return [rf"(^|{BOUNDARY}){re.escape(i)}($|{BOUNDARY})" for i in sorted(identifiers)]


def test_another_persons_x_reply_to_an_erased_customer_stays_without_their_id(erased):
    """Someone else's reply to an erased customer is that person's: it stays, but names the
    erased account and their Post no more (a reply without the id of the Post it replies to;
    the scan of every relation checks that nothing names them)."""
    pipeline = erased[0]
    replied = (
        "jsonb_path_exists(payload,"
        " '$.referenced_tweets[*] ? (@.type == \"replied_to\" && !(exists(@.id)))')"
    )
    kept = (
        f"select natural_key from raw.x_tweets where {replied}"  # noqa: S608
        " and not payload ? 'in_reply_to_user_id'"
        f" and payload ->> 'author_id' not in {BRAND_X_IDS}"
    )
    staged = pipeline.scalar(
        "select count(*) from staging.stg_x__tweets"  # noqa: S608
        " where replied_to_tweet_id is null and in_reply_to_profile_id is null"
        f" and tweet_id in ({kept})"
    )
    assert pipeline.scalar(f"select count(*) from ({kept}) k") > 0 and staged > 0  # noqa: S608


def test_the_customer_record_an_erasure_request_names_by_email_is_erased_too(erased):
    pipeline, truth, customers, _, _, _ = erased
    other = _other_record(truth, customers)["customer_id"]
    left = pipeline.rows(
        "select 'raw.crm_customers' from raw.crm_customers where natural_key = %s"
        " union all select 'raw.crm_orders' from raw.crm_orders where scope_key = %s"
        " union all select 'marts_build.people' from marts_build.people where customer_id = %s",
        other,
        other,
        other,
    )
    assert left == []


def test_the_erasure_log_names_the_profiles_erased_with_the_customer(erased):
    pipeline, truth, customers, _, _, _ = erased
    customer = customers[0]
    theirs = {p["profile_id"] for p in truth.rows("profiles.csv") if p["customer_id"] == customer}
    # on Instagram, their username and the Instagram-scoped id seen with it
    theirs |= {
        i
        for p in truth.rows("instagram_profiles.csv")
        if p["customer_id"] == customer
        for i in (p["profile_id"], p["ig_scoped_id"])
    }
    known = {
        a["account_id"]
        for a in csv_rows(truth.folder / "crm" / "customer_social_accounts.csv")
        if a["customer_id"] == customer and a["account_id"]
    }
    logged = _erased_profiles(pipeline, customer)
    assert known and known <= logged <= theirs


def test_every_generated_customer_was_erased(erased):
    pipeline, _, customers, _, _, _ = erased
    assert set(customers) <= set(_erased_customers(pipeline))


def _relations(pipeline) -> list[str]:
    """Every table, view and materialized view of every schema (the database's catalog)."""
    return [
        name
        for (name,) in pipeline.rows(
            "select format('%%I.%%I', n.nspname, c.relname) from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p', 'v', 'm') and n.nspname not in"
            " ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%%'"
            " order by 1"
        )
    ]


def test_no_table_or_view_of_any_schema_names_an_erased_customer(erased):
    pipeline, truth = erased[0], erased[1]
    ids = {i for c in _erased_customers(pipeline) for i in _ids(pipeline, truth, c)}
    others = {
        i for c in _erased_customers(pipeline) for i in _identifiers(pipeline, truth, c)
    } - ids
    exact, folded = _patterns(ids), _patterns(others)
    traces = {}
    relations = _relations(pipeline)
    for relation in relations:
        if relation in ERASURE_LOG:
            continue
        found = pipeline.rows(
            f"select t::text from {relation} as t where t::text ~ any(%s)"  # noqa: S608
            " or t::text ~* any(%s) limit 3",
            exact,
            folded,
        )
        if found:
            traces[relation] = [text[:200] for (text,) in found]
    assert len(relations) > 50 and traces == {}


def _files(*folders):
    return [
        p for folder in folders for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
    ]


def _naming(identifiers, ids):
    """Which identifiers a text names, as whole words (ids as they are; emails, handles case
    folded) or anywhere (names, with their spaces)."""
    words = {i.lower() for i in identifiers - ids if re.fullmatch(WORD, i)}
    phrases = {i.lower() for i in identifiers - ids} - words

    def found(text: str) -> set[str]:
        seen = set(re.findall("[0-9A-Za-z_.@-]+", text))
        exact = ids & (seen | {w.strip("._@-") for w in seen})
        text = text.lower()
        seen = set(re.findall(WORD, text))
        seen |= {w.strip("._@-") for w in seen}
        return exact | (words & seen) | {p for p in phrases if p in text}

    return found


def test_no_file_of_the_local_data_or_drop_folder_names_an_erased_customer(erased):
    pipeline, truth, _, drop, local, _ = erased
    identifiers = {i for c in _erased_customers(pipeline) for i in _identifiers(pipeline, truth, c)}
    ids = {i for c in _erased_customers(pipeline) for i in _ids(pipeline, truth, c)}
    naming = _naming(identifiers, ids)
    files = _files(drop, local)
    left = {}
    for path in files:
        if path.name.startswith(REQUEST_FILES):
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
        found = naming(text)
        if found:
            left[str(path)] = sorted(found)[:5]
    # what was searched: the drop folder's landed and rejected files, the task log, Data Docs,
    # the dbt docs site, dbt's target and log
    written = {p.parent.name for p in files} | {p.name for p in files}
    searched = {"processed", "rejected", "attempt=1.log", "index.html", "static_index.html"}
    searched |= {"run_results.json", "dbt.log"}
    assert searched <= written and left == {}


def test_the_task_log_keeps_what_names_no_erased_customer(erased):
    local = erased[4]
    task_log = local / "airflow" / "logs" / "dag_id=social_crm_nightly" / "attempt=1.log"
    assert "nightly step publish_marts" in task_log.read_text(encoding="utf-8")


def test_a_rejected_load_keeps_no_error_naming_an_erased_customer(erased):
    """The inbox never quotes a rejected file in its reason (the header of an export without
    one is its first record); erasure replaces any other error naming them (ERASED_TEXT)."""
    pipeline, _, customers, _, _, _ = erased
    errors = [
        e for (e,) in pipeline.rows("select error from meta.load_batches where status = 'failed'")
    ]
    assert len(errors) >= len(customers)  # one export without a header each
    assert not [e for e in errors for c in customers if c.lower() in (e or "").lower()]


def test_no_alert_about_an_erased_customer_is_delivered_after_the_erasure(erased):
    """An SLA alert about the customer waited for a webhook that was down; once it is back,
    what it receives names none of them."""
    alerting = erased[5]
    assert alerting["undelivered"], "no alert about the customer waited for the webhook"
    named = [body for body in alerting["delivered"] if alerting["customer"] in json.dumps(body)]
    assert named == []


def _name_terms(truth, customer, profiles) -> set[str]:
    """The customer's forename and surname, and the words of their erased profiles' names,
    folded as the identity model folds them, that no one else's name has."""
    customers = csv_rows(truth.folder / "crm" / "customers.csv")
    theirs, others = set(), set()
    for c in customers:
        words = set((features.fold(f"{c['first_name']} {c['last_name']}") or "").split())
        (theirs if c["customer_id"] == customer else others).update(words)
    for p in truth.rows("profiles.csv"):
        words = set((features.fold(p["name"]) or "").split())
        (theirs if p["profile_id"] in profiles else others).update(words)
    return theirs - others


def test_the_identity_model_keeps_no_name_only_an_erased_customer_had(erased):
    pipeline, truth, _, _, _, _ = erased
    terms = {
        t
        for c in _erased_customers(pipeline)
        for t in _name_terms(truth, c, _erased_profiles(pipeline, c))
    }
    (vocabulary,) = pipeline.rows("select vocabulary from scoring.identity_model")[0]
    kept = {
        term
        for values in [*vocabulary["term_frequencies"].values(), vocabulary["forenames"]]
        for term in values
    }
    assert terms and kept and terms & kept == set()


def test_the_identity_model_scores_the_remaining_pairs_as_before_erasure(erased):
    """Erasure changed the model's vocabulary: the pairs stored before it (scored with the
    whole vocabulary) score the same under what is left."""
    from social_crm.identity import model, run

    pipeline = erased[0]
    columns = ", ".join(model.COLUMNS)
    with pipeline.connect() as conn:
        scrubbed, _ = run.stored_model(conn)
        left, right = (
            run._frame(conn, f"select {columns} from {run.RECORDS} where side = %s", (side,))  # noqa: S608
            for side in ("profile", "customer")
        )
        stored = run._frame(
            conn,
            f"select profile_key, customer_id, match_probability from {run.PAIRS}",  # noqa: S608
        )
    scored = model.predict(scrubbed, left, right).set_index(["profile_key", "customer_id"])
    again = scored["match_probability"].reindex(
        list(zip(stored["profile_key"], stored["customer_id"], strict=True))
    )
    assert len(stored) > 0
    assert again.round(9).tolist() == stored["match_probability"].round(9).tolist()


# --- later nights: what the APIs land again of an erased person, and what a pass reads ------
# (on copies of the erased world)


@pytest.fixture(scope="module")
def next_night(erased, warehouse_url, tmp_path_factory):
    """The next night, on a copy of the erased world: the X API lands a new Post by the erased
    customer's X account (their CRM rows and links are gone by then), and the nightly runs
    again. (pipeline, truth, the Post's id)"""
    folder = tmp_path_factory.mktemp("next_night") / "erased"
    with copy_of(erased[:2], warehouse_url, folder) as (pipeline, truth):
        tweet = _land_again(pipeline, truth, erased[2])
        with left_unchanged(pipeline):
            yield pipeline, truth, tweet


@pytest.fixture(scope="module")
def landed_again(next_night):
    pipeline, _, tweet = next_night
    return pipeline, tweet


@pytest.fixture
def next_night_copy(next_night, warehouse_url, tmp_path):
    """A copy of the world after the next night, for a test that runs erasure again: (pipeline,
    its CRM drop folder)."""
    with copy_of(next_night[:2], warehouse_url, tmp_path / "next") as (pipeline, truth):
        yield pipeline, truth.folder / "crm_drop"


def _land_again(pipeline, truth, customers):
    from social_crm.load.landing import LandingBatch, RawRecord

    customer = customers[0]
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
    nightly_build(as_of=world_now(pipeline.sim))
    return payload["id"]


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
    # the passes of the night the customers were erased and of the next
    *_, first, second = pipeline.rows(
        "select customers_read_whole from meta.erasure_passes order by pass_id"
    )
    assert first[0] > 0 and second[0] == 0


def test_a_change_of_what_erasure_covers_reads_every_customer_whole(next_night_copy, monkeypatch):
    from social_crm.privacy import erasure

    pipeline, drop = next_night_copy
    monkeypatch.setattr(erasure, "coverage", lambda: "another coverage")
    with pipeline.connect() as conn:
        erasure.erase_requested(conn, drop_dir=drop)
    requested = pipeline.scalar(
        "select count(distinct natural_key) from raw.crm_erasure_requests where not is_deleted"
    )
    latest = pipeline.scalar(
        "select customers_read_whole from meta.erasure_passes order by pass_id desc limit 1"
    )
    assert latest == requested


def test_the_next_pass_reads_from_the_oldest_transaction_open_when_a_pass_began(next_night_copy):
    """A batch landing while a pass runs commits after it: the next pass must read it."""
    from social_crm.privacy import erasure

    pipeline, drop = next_night_copy
    with pipeline.connect() as landing:
        began = landing.execute("select now()").fetchone()[0]  # a transaction left open
        with pipeline.connect() as conn:
            erasure.erase_requested(conn, drop_dir=drop)
        reads_from = pipeline.scalar(
            "select reads_from from meta.erasure_passes order by pass_id desc limit 1"
        )
    assert reads_from == began
