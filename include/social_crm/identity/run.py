"""The nightly identity matching step: train the record linkage model on today's profiles and
customers, score the pairs, and replace `scoring.identity_match_pairs` and
`scoring.identity_model` in one transaction (a failed run leaves yesterday's pairs in place).

Profiles whose account the CRM already knows are not scored (nothing overrides that link):
they are the true pairs the model's m probabilities are counted on. Which pairs become links,
and which go to the review queue, is decided in dbt
(int_identity_links, identity_review_queue) with the thresholds in dbt_project.yml.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pandas as pd
import psycopg

from social_crm import warehouse
from social_crm.identity import model

log = logging.getLogger(__name__)


def _frame(conn: psycopg.Connection, query: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query)
        columns = [c.name for c in cur.description or ()]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def read_inputs(conn: psycopg.Connection) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """(profiles, customers, the profiles the CRM knows -> their customer) as the model reads
    them."""
    profiles = _frame(
        conn,
        "select profile_key, platform, display_name, handle, location_text as location"
        " from intermediate.int_social_profiles",
    )
    customers = _frame(
        conn,
        "select customer_id, first_name, last_name, email, city, country"
        " from staging.stg_crm__customers",
    )
    known = conn.execute(
        "select profile_key, customer_id from intermediate.int_identity_known_accounts"
    ).fetchall()
    return profiles, customers, dict(known)


def write(conn: psycopg.Connection, scored: model.Scored, profiles: int, customers: int) -> None:
    now = datetime.now(UTC)
    conn.execute("truncate scoring.identity_match_pairs, scoring.identity_model")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.identity_match_pairs (profile_key, customer_id, match_weight,"
            " match_probability, evidence, scored_at) from stdin"
        ) as copy,
    ):
        for row in scored.pairs.itertuples(index=False):
            copy.write_row(
                (
                    row.profile_key,
                    row.customer_id,
                    float(row.match_weight),
                    float(row.match_probability),
                    row.evidence,
                    now,
                )
            )
    conn.execute(
        "insert into scoring.identity_model values (%s, %s, %s, %s, %s)",
        (now, profiles, customers, len(scored.pairs), json.dumps(scored.parameters)),
    )


def run(conn: psycopg.Connection) -> dict[str, int]:
    began = time.monotonic()
    profiles, customers, known = read_inputs(conn)
    log.info(
        "identity matching: %d profiles (%d known to the CRM), %d customers",
        len(profiles),
        len(known),
        len(customers),
    )
    scored = model.score(profiles, customers, known)
    with conn.transaction():
        write(conn, scored, len(profiles), len(customers))
    warehouse.analyze(conn, "scoring.identity_match_pairs")
    log.info(
        "identity matching: %d candidate pairs kept in %.1f s",
        len(scored.pairs),
        time.monotonic() - began,
    )
    return {"profiles": len(profiles), "customers": len(customers), "pairs": len(scored.pairs)}
