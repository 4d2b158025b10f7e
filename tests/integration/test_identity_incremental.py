"""Identity matching between two trainings: a night scores only the profiles and customers
that are new or changed, and leaves the pairs a whole scoring with the stored model would
give. On a real PostgreSQL, with the tables the step reads filled from a simulated
population."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from social_crm.identity import model
from social_crm.identity import run as identity
from social_crm.warehouse import migrations
from social_crm_dev.bench import linking_inputs

pytestmark = pytest.mark.integration

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


def _fill(conn: psycopg.Connection, profiles, customers, known) -> None:
    conn.execute(
        "truncate intermediate.int_social_profiles, intermediate.int_identity_known_accounts,"
        " staging.stg_crm__customers"
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


def _changes(profiles, customers, known):
    """A night's changes: profiles and customers new, edited and gone, and a profile the CRM
    comes to know. Returns the new inputs and how many records of each side changed or went."""
    later_profiles = profiles.iloc[40:].copy()  # 40 gone ...
    new_profiles = profiles.iloc[:25].copy()  # ... 25 of them back under new keys
    new_profiles["profile_key"] = new_profiles["profile_key"] + "0"
    edited = later_profiles.index[:10]
    later_profiles.loc[edited, "display_name"] = later_profiles.loc[edited, "display_name"] + "a"
    later_profiles = pd.concat([later_profiles, new_profiles])
    later_customers = customers.iloc[5:].copy()  # 5 gone
    later_customers.loc[later_customers.index[:7], "last_name"] = "Nordvik"  # 7 edited
    added = customers.iloc[:3].copy()  # 3 new
    added["customer_id"] = added["customer_id"] + "N"
    later_customers = pd.concat([later_customers, added])
    later_known = {k: c for k, c in known.items() if k in set(later_profiles["profile_key"])}
    newly_known = next(k for k in later_profiles["profile_key"].iloc[50:] if k not in later_known)
    later_known[newly_known] = later_customers["customer_id"].iloc[0]
    changed = {"profiles": 10 + 25 + 1, "customers": 7 + 3, "gone": 40 + 5}
    return later_profiles, later_customers, later_known, changed


@pytest.fixture(scope="module")
def nights(warehouse_url):
    """The step run on a first night (it trains) and on the next (the changes only)."""
    from tests.databases import new_database

    profiles, customers, _, known = linking_inputs(600, 900)
    with new_database(warehouse_url) as db, psycopg.connect(db.libpq()) as conn:
        migrations.apply(conn)
        conn.execute(INPUTS)
        _fill(conn, profiles, customers, known)
        conn.commit()
        first = identity.run(conn)
        later = _changes(profiles, customers, known)
        _fill(conn, *later[:3])
        conn.commit()
        second = identity.run(conn)
        yield conn, first, second, later


def test_the_first_night_trains_the_model(nights):
    _, first, _, _ = nights
    assert first.get("trained") == 1


def test_the_next_night_scores_only_the_new_and_changed_records(nights):
    _, _, second, (_, _, _, changed) = nights
    assert (
        second["profiles scored"],
        second["customers scored"],
        second["records gone"],
        "trained" in second,
    ) == (changed["profiles"], changed["customers"], changed["gone"], False)


def test_the_pairs_equal_a_whole_scoring_with_the_stored_model(nights):
    conn, _, _, (profiles, customers, known, _) = nights
    stored, _ = identity.stored_model(conn)
    whole = model.predict(
        stored, stored.profile_rows(profiles.reset_index(drop=True)), model.customer_rows(customers)
    )
    whole = whole[~whole["profile_key"].isin(known)]
    expected = {(r.profile_key, r.customer_id): r.match_weight for r in whole.itertuples()}
    kept = dict(
        ((p, c), w)
        for p, c, w in conn.execute(
            "select profile_key, customer_id, match_weight from scoring.identity_match_pairs"
        )
    )
    assert kept.keys() == expected.keys()
    assert kept == pytest.approx(expected, rel=1e-12)


def test_a_night_with_nothing_changed_replaces_no_pair(nights):
    conn, _, _, _ = nights
    assert identity.run(conn) == {
        "profiles scored": 0,
        "customers scored": 0,
        "records gone": 0,
        "pairs": 0,
    }


def test_a_model_as_old_as_the_retrain_days_is_trained_again(nights, monkeypatch):
    conn, _, _, _ = nights
    monkeypatch.setenv("SOCIAL_CRM_IDENTITY_RETRAIN_DAYS", "3")
    conn.execute("update scoring.identity_model set trained_at = now() - interval '3 days'")
    conn.commit()
    assert identity.run(conn).get("trained") == 1
