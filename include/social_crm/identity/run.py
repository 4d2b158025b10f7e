"""The nightly identity matching step. It trains the record linkage model on all profiles and
customers when there is no model, the model is SOCIAL_CRM_IDENTITY_RETRAIN_DAYS old, or on a
full refresh, and scores every pair. Other nights it scores, with the stored model, only the
profiles and customers that are new or changed since they were scored (a digest of the fields
each was made from tells), each against every record of the other side, and replaces their
pairs: the pairs are then those a whole scoring with the stored model gives.

`scoring.identity_match_pairs`, `scoring.identity_comparison_records` and
`scoring.identity_model` change in one transaction (a failed run leaves yesterday's in place).

Profiles whose account the CRM already knows are not scored (nothing overrides that link):
they are the true pairs the model's m probabilities are counted on. Which pairs become links,
and which go to the review queue, is decided in dbt
(int_identity_links, identity_review_queue) with the thresholds in dbt_project.yml.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg
from psycopg.abc import Params

from social_crm import settings, warehouse
from social_crm.identity import model

log = logging.getLogger(__name__)

# the records the model reads, with a digest of the fields each is made from: a record whose
# digest is not the one it was scored with is scored again (a profile's known customer is one
# of its fields: a profile the CRM comes to know leaves the scored ones)
PROFILES = (
    "select p.profile_key, p.platform, p.display_name, p.handle, p.location_text as location,"
    " k.customer_id as known_customer_id,"
    " md5(row(p.platform, p.display_name, p.handle, p.location_text, k.customer_id)::text)"
    " as input_digest"
    " from intermediate.int_social_profiles as p"
    " left join intermediate.int_identity_known_accounts as k using (profile_key)"
)
# a customer's handles on X and Instagram, as the CRM knows them (an X account known by id: the
# handle its profile shows) or CRM staff accepted them: compared with a profile's handle on the
# other platform. Never last night's model links: a wrong one would vouch for the next night's
# (the model vouches within one scoring, from the pairs it is sure of: model.score). A customer
# scored again between two trainings loses the handles vouched for at the last training.
CUSTOMERS = (
    "select c.customer_id, c.first_name, c.last_name, c.email, c.city, c.country,"
    " h.x_handle, h.instagram_username,"
    " md5(row(c.first_name, c.last_name, c.email, c.city, c.country, h.x_handle,"
    "  h.instagram_username)::text) as input_digest"
    " from staging.stg_crm__customers as c left join ("
    "  select customer_id,"
    "   min(handle) filter (where platform = 'x') as x_handle,"
    "   min(handle) filter (where platform = 'instagram') as instagram_username"
    "  from ("
    "   select a.customer_id, a.platform, coalesce(a.handle, lower(p.handle)) as handle"
    "   from staging.stg_crm__customer_social_accounts as a"
    "   left join intermediate.int_social_profiles as p"
    "    on a.platform = 'x' and p.platform = 'x' and p.profile_id = a.account_id"
    "   union all"
    "   select d.customer_id, p.platform, lower(p.handle)"
    "   from staging.stg_crm__identity_decisions as d"
    "   join intermediate.int_social_profiles as p using (profile_key)"
    "   where d.decision = 'accept'"
    "  ) as k group by customer_id) as h using (customer_id)"
)
SIDES = {"profile": (PROFILES, "profile_key"), "customer": (CUSTOMERS, "customer_id")}
RECORDS = "scoring.identity_comparison_records"
PAIRS = "scoring.identity_match_pairs"
# what linked the customers the CRM deleted to profiles, as last computed (migration 0032)
DEPARTED = "scoring.identity_departed_links"
LINKS = "intermediate.int_identity_links"


def _frame(conn: psycopg.Connection, query: str, params: Params | None = None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query, params)
        columns = [c.name for c in cur.description or ()]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def _known(profiles: pd.DataFrame) -> dict[str, str]:
    known = profiles[profiles["known_customer_id"].notna()]
    return dict(zip(known["profile_key"], known["known_customer_id"], strict=True))


def stored_model(conn: psycopg.Connection) -> tuple[model.Model, datetime] | None:
    """The model the records were last scored with and when it was trained; None before the
    first training (or a model stored without its vocabulary)."""
    row = conn.execute(
        "select parameters, vocabulary, trained_at from scoring.identity_model"
        " where vocabulary is not null"
    ).fetchone()
    return (model.Model.of(row[0], row[1]), row[2]) if row else None


def run(conn: psycopg.Connection, retrain: bool = False) -> dict[str, int]:
    """Train and score everything (`retrain`, no model, or a model RETRAIN_DAYS old), else
    score what is new or changed. Returns the records read and the pairs kept."""
    began = time.monotonic()
    with conn.transaction():
        departed = remember_departed_customers(conn)
    stored = None if retrain else stored_model(conn)
    max_age = timedelta(days=settings.load().identity_retrain_days)
    if stored is None or datetime.now(UTC) - stored[1] >= max_age:
        counts = _train_and_score(conn)
    else:
        counts = _score_changes(conn, stored[0])
    warehouse.analyze(conn, PAIRS, RECORDS)
    if departed:
        counts["customers departed"] = departed
    log.info(
        "identity matching: %s in %.1f s",
        ", ".join(f"{k} {v}" for k, v in counts.items()),
        time.monotonic() - began,
    )
    return counts


def remember_departed_customers(conn: psycopg.Connection) -> int:
    """Before their pairs are dropped: the links (last night's int_identity_links) and the
    model's pairs of the customers the CRM no longer has, into DEPARTED, so that their last
    known opt-out or a later erasure request still reaches those profiles; a customer who is
    back leaves it. Returns the customers remembered this time."""
    gone = (
        "select customer_id from {} where customer_id not in"
        " (select customer_id from staging.stg_crm__customers)"
    )
    conn.execute(
        f"delete from {DEPARTED} where customer_id in"  # noqa: S608 - our names
        " (select customer_id from staging.stg_crm__customers)"
    )
    links = (
        " select l.customer_id, l.profile_key, 'link:' || l.match_method, null, null, now()"  # noqa: S608
        f" from {LINKS} as l where l.customer_id in ({gone.format(LINKS)}) union all"
        if warehouse.relation_oid(conn, LINKS)  # none before the first nightly
        else ""
    )
    remembered = conn.execute(
        f"insert into {DEPARTED} (customer_id, profile_key, basis, match_probability,"  # noqa: S608
        f"  best_probability, recorded_at){links}"
        " select p.customer_id, p.profile_key, 'model', p.match_probability,"
        "  (select max(b.match_probability) from"
        f"   {PAIRS} as b where b.profile_key = p.profile_key), now()"
        f" from {PAIRS} as p where p.customer_id in ({gone.format(PAIRS)})"
        " on conflict do nothing returning customer_id"
    ).fetchall()
    return len({c for (c,) in remembered})


def _train_and_score(conn: psycopg.Connection) -> dict[str, int]:
    profiles = _frame(conn, PROFILES)
    customers = _frame(conn, CUSTOMERS)
    known = _known(profiles)
    log.info(
        "identity matching: training on %d profiles (%d known to the CRM), %d customers",
        len(profiles),
        len(known),
        len(customers),
    )
    scored = model.score(profiles, customers, known)
    with conn.transaction():
        conn.execute(f"truncate {PAIRS}, {RECORDS}, scoring.identity_model")
        if scored is None:
            return {"profiles": len(profiles), "customers": len(customers), "pairs": 0}
        left = _with_digests(scored.profile_rows, profiles)
        right = _with_digests(scored.customer_rows, customers)
        _write_records(conn, pd.concat([left, right]))
        _write_pairs(conn, scored.pairs)
        conn.execute(
            "insert into scoring.identity_model (trained_at, scored_at, profiles, customers,"
            " pairs_kept, parameters, vocabulary) values (now(), now(), %s, %s, %s, %s, %s)",
            (
                len(profiles),
                len(customers),
                len(scored.pairs),
                json.dumps(scored.model.parameters),
                json.dumps(scored.model.vocabulary()),
            ),
        )
    return {
        "profiles": len(profiles),
        "customers": len(customers),
        "pairs": len(scored.pairs),
        "trained": 1,
    }


def _changed(conn: psycopg.Connection, side: str) -> tuple[pd.DataFrame, list[str]]:
    """(the records of `side` new or changed since they were scored, the ids of those gone)."""
    query, key = SIDES[side]
    changed = _frame(
        conn,
        f"select c.* from ({query}) as c where not exists (select 1 from {RECORDS} as r"  # noqa: S608
        f" where r.side = %(side)s and r.unique_id = c.{key}"
        " and r.input_digest = c.input_digest)",
        {"side": side},
    )
    gone = conn.execute(
        f"select unique_id from {RECORDS} as r where side = %(side)s"  # noqa: S608
        f" and not exists (select 1 from ({query}) as c where c.{key} = r.unique_id)",
        {"side": side},
    ).fetchall()
    return changed, [g for (g,) in gone]


def _score_changes(conn: psycopg.Connection, stored: model.Model) -> dict[str, int]:
    profiles, profiles_gone = _changed(conn, "profile")
    customers, customers_gone = _changed(conn, "customer")
    counts = {
        "profiles scored": len(profiles),
        "customers scored": len(customers),
        "records gone": len(profiles_gone) + len(customers_gone),
    }
    if profiles.empty and customers.empty and not profiles_gone and not customers_gone:
        return counts | {"pairs": 0}
    left = _with_digests(stored.profile_rows(profiles), profiles)
    right = _with_digests(model.customer_rows(customers), customers)
    with conn.transaction():
        conn.execute("create temp table touched_records (side text, unique_id text) on commit drop")
        with conn.cursor().copy("copy touched_records from stdin") as copy:
            for side, ids in (
                ("profile", [*left["unique_id"], *profiles_gone]),
                ("customer", [*right["unique_id"], *customers_gone]),
            ):
                for unique_id in ids:
                    copy.write_row((side, unique_id))
        conn.execute(
            f"delete from {RECORDS} as r using touched_records as t"  # noqa: S608
            " where r.side = t.side and r.unique_id = t.unique_id"
        )
        _write_records(conn, pd.concat([left, right]))
        # the changed profiles against the customers they may pair with (changed or not); the
        # other profiles against the changed customers: each pair once
        pairs = pd.concat(
            [
                model.predict(stored, left, _candidates(conn, "customer")),
                model.predict(stored, _candidates(conn, "profile"), right),
            ]
        )
        replaced = 0
        for column, side in (("profile_key", "profile"), ("customer_id", "customer")):
            replaced += conn.execute(
                f"delete from {PAIRS} where {column} in"  # noqa: S608
                " (select unique_id from touched_records where side = %s)",
                (side,),
            ).rowcount
        known = conn.execute(
            "select profile_key from intermediate.int_identity_known_accounts"
        ).fetchall()
        pairs = pairs[~pairs["profile_key"].isin({k for (k,) in known})]
        _write_pairs(conn, pairs)
        conn.execute(
            "update scoring.identity_model set scored_at = now(),"  # noqa: S608 - our names
            f" profiles = (select count(*) from {RECORDS} where side = 'profile'),"
            f" customers = (select count(*) from {RECORDS} where side = 'customer'),"
            f" pairs_kept = (select count(*) from {PAIRS})"
        )
    return counts | {"pairs replaced": replaced, "pairs": len(pairs)}


def _with_digests(rows: pd.DataFrame, read: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(input_digest=read["input_digest"].to_numpy())


def _candidates(conn: psycopg.Connection, side: str) -> pd.DataFrame:
    """The stored records of `side` that share a blocking key (model.BLOCKING_KEYS) with a
    touched record of the other side: the only ones a touched record can pair with. Touched
    profiles are left out (they are scored as the changed side)."""
    other = "customer" if side == "profile" else "profile"
    shares = " or ".join(
        f"{mine.format('r')} in (select {theirs.format('c')} from {RECORDS} as c"  # noqa: S608
        " join touched_records as t on t.side = c.side and t.unique_id = c.unique_id"
        f" where c.side = '{other}')"
        for mine, theirs in (
            keys if side == "profile" else keys[::-1] for keys in model.BLOCKING_KEYS
        )
    )
    untouched = (
        " and not exists (select 1 from touched_records as t"
        " where t.side = r.side and t.unique_id = r.unique_id)"
        if side == "profile"
        else ""
    )
    return _frame(
        conn,
        f"select {', '.join(model.COLUMNS)} from {RECORDS} as r"  # noqa: S608
        f" where r.side = %s and ({shares}){untouched}",
        (side,),
    )


def _write_records(conn: psycopg.Connection, rows: pd.DataFrame) -> None:
    columns = ["input_digest", *model.COLUMNS]
    rows = rows[columns].astype(object)
    rows = rows.where(rows.notna(), None)  # a missing value is null, not the text "nan"
    with (
        conn.cursor() as cur,
        cur.copy(f"copy {RECORDS} ({', '.join(columns)}) from stdin") as copy,
    ):
        for row in rows.itertuples(index=False):
            copy.write_row(row)


def _write_pairs(conn: psycopg.Connection, pairs: pd.DataFrame) -> None:
    now = datetime.now(UTC)
    with (
        conn.cursor() as cur,
        cur.copy(
            f"copy {PAIRS} (profile_key, customer_id, match_weight,"
            " match_probability, evidence, scored_at) from stdin"
        ) as copy,
    ):
        rows = pairs[
            ["profile_key", "customer_id", "match_weight", "match_probability", "evidence"]
        ]
        for profile_key, customer_id, weight, probability, evidence in rows.itertuples(index=False):
            copy.write_row(
                (profile_key, customer_id, float(weight), float(probability), evidence, now)
            )
