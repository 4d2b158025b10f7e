"""The nightly scoring step: read the staging models, fit and score, replace the scoring tables in
one transaction (a failed run leaves yesterday's scores in place)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg

from social_crm.scoring import clv
from social_crm.scoring.influence import influence_scores, interaction_influence

log = logging.getLogger(__name__)
WEEK_SECONDS = 7 * 86_400


def score_influence(conn: psycopg.Connection, now: datetime, as_of: datetime) -> int:
    """Influence per profile from the interactions its messages drew, recency-weighted back
    from `as_of`, times reach (public follower count); follow-graph PageRank beside it for the
    X accounts the follower walk reached."""
    interactions = conn.execute(
        "select platform || ':' || target_profile_id,"
        " (extract(epoch from (%s - occurred_at)) / 86400.0)::float"
        " from intermediate.int_interactions",
        (as_of,),
    ).fetchall()
    followers_count = dict(
        conn.execute(
            "select profile_key, followers_count from intermediate.int_social_profiles"
            " where followers_count is not null"
        ).fetchall()
    )
    scores = interaction_influence(
        [i[0] for i in interactions], [i[1] for i in interactions], followers_count
    )
    received: dict[str, int] = {}
    for target, age in interactions:
        if age >= 0:
            received[target] = received.get(target, 0) + 1
    edges = conn.execute(
        "select follower_profile_id, followed_profile_id from staging.stg_x__followers"
    ).fetchall()
    follow_rank = {
        f"x:{account}": score
        for account, score in influence_scores([e[0] for e in edges], [e[1] for e in edges]).items()
    }
    in_graph: dict[str, int] = {}
    for _, followed in edges:
        in_graph[f"x:{followed}"] = in_graph.get(f"x:{followed}", 0) + 1
    conn.execute("truncate scoring.influence")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.influence (platform, profile_id, influence, followers_in_graph,"
            " follow_graph_rank, interactions_received, followers_count, scored_at) from stdin"
        ) as copy,
    ):
        for key in scores.keys() | follow_rank.keys():
            platform, profile_id = key.split(":", 1)
            copy.write_row(
                (
                    platform,
                    profile_id,
                    scores.get(key, 0.0),
                    in_graph.get(key, 0),
                    follow_rank.get(key),
                    received.get(key, 0),
                    followers_count.get(key),
                    now,
                )
            )
    log.info(
        "influence: %d interactions between %d people; follow graph of %d edges",
        len(interactions),
        len(scores),
        len(edges),
    )
    return len(scores.keys() | follow_rank.keys())


def score_clv(conn: psycopg.Connection, now: datetime, horizon_weeks: int = 52) -> int:
    """BG/NBD + Gamma-Gamma on every customer's orders, observed up to the newest order; kept
    as they are when the orders are those of the last fit (scoring.clv_fit_input)."""
    rows = conn.execute(
        "select customer_id, count(*), extract(epoch from min(ordered_at)),"
        " extract(epoch from max(ordered_at)), avg(amount)::float,"
        " extract(epoch from (select max(ordered_at) from staging.stg_crm__orders))"
        " from staging.stg_crm__orders where amount > 0 group by customer_id order by 1"
    ).fetchall()
    if len(rows) < 10:
        log.warning("clv: only %d customers with orders; not fitting", len(rows))
        conn.execute("truncate scoring.clv_customers, scoring.clv_fit_input")
        return 0
    # the fitting code is part of the input: a new version fits again
    fit_code = Path(clv.__file__).read_bytes()
    digest = hashlib.sha256(fit_code + repr((horizon_weeks, rows)).encode()).hexdigest()
    fitted_at = conn.execute(
        "select fitted_at from scoring.clv_fit_input where digest = %s", (digest,)
    ).fetchone()
    if fitted_at:
        log.info("clv: orders unchanged since the fit of %s; its scores stand", fitted_at[0])
        return len(rows)
    ids = [r[0] for r in rows]
    orders = np.array([r[1] for r in rows], dtype=float)
    first, last = (np.array([float(r[i]) for r in rows]) for i in (2, 3))
    mean_value = np.array([r[4] for r in rows], dtype=float)
    observed_until = float(rows[0][5])
    frequency = orders - 1
    recency = (last - first) / WEEK_SECONDS
    age = (observed_until - first) / WEEK_SECONDS
    bg = clv.fit_bgnbd(frequency, recency, age)
    gg = clv.fit_gamma_gamma(orders, mean_value)
    alive = clv.probability_alive(bg, frequency, recency, age)
    purchases = clv.expected_purchases(bg, horizon_weeks, frequency, recency, age)
    value = clv.expected_order_value(gg, orders, mean_value)
    conn.execute("truncate scoring.clv_customers")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.clv_customers (customer_id, orders, frequency, recency_weeks, age_weeks,"
            " mean_order_value, probability_alive, expected_purchases, expected_order_value,"
            " horizon_weeks, scored_at) from stdin"
        ) as copy,
    ):
        for i, customer in enumerate(ids):
            copy.write_row(
                (
                    customer,
                    int(orders[i]),
                    int(frequency[i]),
                    float(recency[i]),
                    float(age[i]),
                    round(float(mean_value[i]), 2),
                    float(alive[i]),
                    float(purchases[i]),
                    float(value[i]),
                    horizon_weeks,
                    now,
                )
            )
    conn.execute("truncate scoring.clv_model")
    for model, params in (("bg_nbd", bg.as_dict()), ("gamma_gamma", gg.as_dict())):
        for name, fitted in params.items():
            conn.execute(
                "insert into scoring.clv_model values (%s, %s, %s, %s, %s)",
                (model, name, fitted, len(ids), now),
            )
    conn.execute("truncate scoring.clv_fit_input")
    conn.execute("insert into scoring.clv_fit_input values (%s, %s)", (digest, now))
    log.info("clv: fitted on %d customers; BG/NBD %s; Gamma-Gamma %s", len(ids), bg, gg)
    return len(ids)


def run(
    conn: psycopg.Connection, horizon_weeks: int = 52, as_of: datetime | None = None
) -> dict[str, int]:
    """`as_of`: the moment the scores describe (the run's data interval end; default now)."""
    now = datetime.now(UTC)
    with conn.transaction():
        counts = {
            "influence": score_influence(conn, now, as_of or now),
            "clv_customers": score_clv(conn, now, horizon_weeks),
        }
    return counts
