"""Attacks on cross-platform vouching (model.with_vouched_handles) through the real
`match_identities` step (social_crm.identity.run) on a real PostgreSQL: the tables it reads
filled from a simulated population (bench.linking_inputs), as
tests/integration/test_identity_incremental.py fills them, plus a staff decision.

Promises attacked (docs/data-model.md#identity-resolution): "A reject keeps that pair apart for
good"; "The nights between two trainings keep the handles vouched for at the last one"."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from social_crm.identity import run as identity
from social_crm.identity.features import handle_letters
from social_crm.warehouse import migrations
from social_crm_dev.bench import linking_inputs

pytestmark = [
    pytest.mark.integration,
    # an open defect an outside attack found: runs in `make eval` until it is fixed
    pytest.mark.eval_only,
    pytest.mark.xfail(strict=True, reason="open identity defect"),
]

INPUTS = """
create schema if not exists intermediate;
create schema if not exists staging;
create table intermediate.int_social_profiles (
    profile_key text primary key, platform text, display_name text, handle text,
    location_text text, profile_id text
);
create table staging.stg_crm__customer_social_accounts (
    customer_id text, platform text, account_id text, handle text
);
create table staging.stg_crm__identity_decisions (
    profile_key text, customer_id text, decision text
);
create table intermediate.int_identity_known_accounts (
    profile_key text primary key, customer_id text
);
create table staging.stg_crm__customers (
    customer_id text primary key, first_name text, last_name text, email text, city text,
    country text
);
"""


def _rows(frame: pd.DataFrame):
    return frame.astype(object).where(frame.notna(), None).itertuples(index=False)


def _fill(conn: psycopg.Connection, profiles, customers, known, rejects=()) -> None:
    conn.execute(
        "truncate intermediate.int_social_profiles, intermediate.int_identity_known_accounts,"
        " staging.stg_crm__customers, staging.stg_crm__identity_decisions"
    )
    with conn.cursor() as cur:
        cur.executemany(
            "insert into intermediate.int_social_profiles values (%s, %s, %s, %s, %s)",
            _rows(profiles),
        )
        cur.executemany(
            "insert into staging.stg_crm__customers values (%s, %s, %s, %s, %s, %s)",
            _rows(customers),
        )
        cur.executemany(
            "insert into intermediate.int_identity_known_accounts values (%s, %s)",
            known.items(),
        )
        cur.executemany(
            "insert into staging.stg_crm__identity_decisions values (%s, %s, 'reject')", rejects
        )


def _lonely(profiles, customers, truth, known) -> list[pd.Series]:
    """Customers with no profile in this world and none the CRM knows."""
    present = set(profiles["profile_key"])
    owned = {c for k, c in truth.items() if k in present} | set(known.values())
    return [row for _, row in customers.iterrows() if row["customer_id"] not in owned]


def _x_and_instagram(tag: str, customer: pd.Series) -> list[dict]:
    """One person's X profile (their name, their city, a handle that spells their name) and
    their Instagram profile with the same handle."""
    handle = f"{handle_letters(customer['first_name'])}_{handle_letters(customer['last_name'])}"
    handle = handle[:15]
    return [
        {
            "profile_key": f"x:99{tag}",
            "platform": "x",
            "display_name": f"{customer['first_name']} {customer['last_name']}",
            "handle": handle,
            "location": customer["city"],
        },
        {
            "profile_key": f"instagram:{handle.lower()}",
            "platform": "instagram",
            "display_name": None,
            "handle": handle,
            "location": None,
        },
    ]


def _record(conn, customer_id: str) -> dict:
    row = conn.execute(
        "select x_handle, instagram_username from scoring.identity_comparison_records"
        " where side = 'customer' and unique_id = %s",
        (customer_id,),
    ).fetchone()
    return {"x_handle": row[0], "instagram_username": row[1]}


def _pair(conn, profile_key: str, customer_id: str):
    return conn.execute(
        "select match_probability, evidence from scoring.identity_match_pairs"
        " where profile_key = %s and customer_id = %s",
        (profile_key, customer_id),
    ).fetchone()


@pytest.fixture(scope="module")
def nights(warehouse_url):
    """Night 1 trains. Customer `rejected`: staff rejected their X namesake's profile. Customer
    `corrected`: the CRM corrects their email before night 2 (scored then without training)."""
    from tests.databases import new_database

    profiles, customers, truth, known = linking_inputs(300, 500)
    lonely = _lonely(profiles, customers, truth, known)
    rejected, corrected = lonely[0], lonely[1]
    extra = pd.DataFrame(_x_and_instagram("1", rejected) + _x_and_instagram("2", corrected))
    profiles = pd.concat([profiles, extra], ignore_index=True)
    rejects = [("x:991", rejected["customer_id"])]
    with new_database(warehouse_url) as db, psycopg.connect(db.libpq()) as conn:
        migrations.apply(conn)
        conn.execute(INPUTS)
        _fill(conn, profiles, customers, known, rejects)
        conn.commit()
        first = identity.run(conn)
        assert first.get("trained") == 1
        night1 = {
            "record": _record(conn, corrected["customer_id"]),
            "pair": _pair(conn, extra["profile_key"].iloc[3], corrected["customer_id"]),
        }
        later = customers.copy()
        row = later["customer_id"] == corrected["customer_id"]
        later.loc[row, "email"] = later.loc[row, "email"].str.replace(
            r"@.*$", "@corrected.example", regex=True
        )
        _fill(conn, profiles, later, known, rejects)
        conn.commit()
        second = identity.run(conn)
        assert "trained" not in second, second
        print("second night", second)
        yield conn, extra, rejected, corrected, night1


def test_a_profile_staff_rejected_for_a_customer_vouches_no_handle_for_them(nights):
    """Staff rejected x:991 for the customer (a namesake). The step never reads the rejects:
    the rejected profile's handle becomes the customer's X handle, and the Instagram profile
    of the same handle is compared with it as 'their handle on the other platform' -- the
    rejected person's evidence brought back onto the customer."""
    conn, extra, rejected, _, _ = nights
    record = _record(conn, rejected["customer_id"])
    pair = _pair(conn, extra["profile_key"].iloc[1], rejected["customer_id"])
    print(record, pair)
    assert record["x_handle"] != extra["handle"].iloc[0].lower(), (
        f"the rejected profile's handle {record['x_handle']!r} is vouched for the customer"
    )


def test_a_crm_correction_between_trainings_keeps_the_pairs_evidence(nights):
    """The customer's email is corrected (its domain only) on a night between two trainings:
    their record is made again without the X handle vouched for at the training, so their
    Instagram profile loses 'their handle on the other platform' (0.99992 -> 0.96) until the
    next training, though the docs say the nights in between keep the handles vouched for and
    the pairs are those a whole scoring with the stored model gives."""
    conn, extra, _, corrected, night1 = nights
    pair = _pair(conn, extra["profile_key"].iloc[3], corrected["customer_id"])
    before = night1["pair"][1]["other_handle"]["level"]
    after = pair[1]["other_handle"]["level"] if pair else None
    print(night1["pair"][0], before, "->", pair and pair[0], after)
    assert after == before
