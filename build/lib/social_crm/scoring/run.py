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
from social_crm.scoring.influence import influence_scores

log = logging.getLogger(__name__)
WEEK_SECONDS = 7 * 86_400


def score_influence(conn: psycopg.Connection, now: datetime) -> int:
    edges = conn.execute(
        "select follower_profile_id, followed_profile_id from staging.stg_x__followers"
    ).fetchall()
    followers = [e[0] for e in edges]
    followed = [e[1] for e in edges]
    scores = influence_scores(followers, followed)
    in_degree: dict[str, int] = {}
    for target in followed:
        in_degree[target] = in_degree.get(target, 0) + 1
    conn.execute("truncate scoring.influence")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.influence (platform, profile_id, influence, followers_in_graph,"
            " scored_at) from stdin"
        ) as copy,
    ):
        for account, score in scores.items():
            copy.write_row(("x", account, score, in_degree.get(account, 0), now))
    log.info("influence: PageRank over %d accounts and %d follow edges", len(scores), len(edges))
    return len(scores)


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


def run(conn: psycopg.Connection, horizon_weeks: int = 52) -> dict[str, int]:
    now = datetime.now(UTC)
    with conn.transaction():
        counts = {
            "influence": score_influence(conn, now),
            "clv_customers": score_clv(conn, now, horizon_weeks),
        }
    return counts
