"""The nightly scoring step: read the staging models, fit and score, replace the scoring tables in
one transaction (a failed run leaves yesterday's scores in place)."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from social_crm import settings, warehouse
from social_crm.customer_value import clv
from social_crm.customer_value.influence import LIKES, influence_scores, interaction_influence

log = logging.getLogger(__name__)
WEEK_SECONDS = 7 * 86_400


# each profile's messages that can draw interactions (influence.ANSWERS): top-level comments,
# X posts that reply to nothing, people's Instagram media (a brand's are not a person's:
# score_influence leaves out the tracked brands' accounts; a profile whose own record is
# missing, an X user the users walk lost, keeps its messages and the answers they drew)
MESSAGES_SQL = """
select 'facebook:' || author_profile_id, 'comment', created_at
from staging.stg_facebook__comments
where not is_deleted and not is_by_page and parent_comment_id is null
    and author_profile_id is not null
union all
select 'x:' || author_profile_id, 'post', created_at
from staging.stg_x__tweets
where not is_deleted and replied_to_tweet_id is null and author_profile_id is not null
union all
select 'instagram:' || profile_id, 'comment', created_at
from staging.stg_instagram__comments
where not is_deleted and profile_id is not null and parent_comment_id is null
union all
select 'instagram:' || profile_id, 'media', created_at
from staging.stg_instagram__media
where not is_deleted and profile_id is not null
"""
# what they drew: the interactions between people, but not the answers from a person's own
# other account (both profiles linked to the same customer), and the likes on people's
# Instagram media
DRAWN_SQL = """
select i.platform || ':' || i.target_profile_id, i.interaction_type, i.occurred_at, 1
from intermediate.int_interactions as i
left join intermediate.int_identity_links as s
    on s.profile_key = i.platform || ':' || i.source_profile_id
left join intermediate.int_identity_links as t
    on t.profile_key = i.platform || ':' || i.target_profile_id
where s.customer_id is null or t.customer_id is null or s.customer_id <> t.customer_id
union all
select 'instagram:' || profile_id, 'like', created_at, like_count
from staging.stg_instagram__media
where not is_deleted and profile_id is not null and like_count > 0
"""
# the tracked brands' own accounts (not people), and the profiles of customers who opted out
# of profiling or asked to be erased (the consent rule, int_excluded_profiles): no score is kept
UNSCORED_SQL = """
select 'facebook:' || facebook_page_id from staging.brands where facebook_page_id is not null
union select 'x:' || x_user_id from staging.brands where x_user_id is not null
union select 'instagram:' || lower(instagram_username) from staging.brands
where instagram_username is not null
union select profile_key from intermediate.int_excluded_profiles
"""


def _age_days(as_of: datetime, at: datetime) -> float:
    return (as_of - at).total_seconds() / 86_400.0


def score_influence(conn: psycopg.Connection, now: datetime, as_of: datetime) -> int:
    """Influence and pull per profile from its messages, the interactions and likes they drew,
    recency-weighted back from `as_of`, and its public follower count (influence.py); follow-
    graph PageRank beside it for the X accounts the follower walk reached."""
    followers_count: dict[str, int | None] = dict(
        conn.execute(
            "select profile_key, followers_count from intermediate.int_social_profiles"
        ).fetchall()
    )
    unscored = {key for (key,) in conn.execute(UNSCORED_SQL)}
    messages = [
        (key, kind, _age_days(as_of, at))
        for key, kind, at in conn.execute(MESSAGES_SQL)
        if key not in unscored
    ]
    drawn = [
        (key, kind, _age_days(as_of, at), float(count))
        for key, kind, at, count in conn.execute(DRAWN_SQL)
        if key not in unscored
    ]
    received: dict[str, int] = {}
    for key, kind, age, _ in drawn:
        if kind != LIKES and age >= 0:
            received[key] = received.get(key, 0) + 1
    edges = conn.execute(
        "select follower_profile_id, followed_profile_id from staging.stg_x__followers"
    ).fetchall()
    follow_rank = {
        f"x:{account}": score
        for account, score in influence_scores([e[0] for e in edges], [e[1] for e in edges]).items()
    }
    # every profile that drew an interaction has a row, counted in the estimate or not (a
    # visitor post's author), and every account of the follow graph
    scores = interaction_influence(
        messages, drawn, followers_count, received.keys() | follow_rank.keys()
    )
    in_graph: dict[str, int] = {}
    for _, followed in edges:
        in_graph[f"x:{followed}"] = in_graph.get(f"x:{followed}", 0) + 1
    conn.execute("truncate scoring.influence")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.influence (platform, profile_id, influence, followers_in_graph,"
            " follow_graph_rank, interactions_received, followers_count, scored_at, pull,"
            " messages) from stdin"
        ) as copy,
    ):
        for key, estimate in scores.items():
            if key in unscored:
                continue
            platform, profile_id = key.split(":", 1)
            copy.write_row(
                (
                    platform,
                    profile_id,
                    estimate.influence,
                    in_graph.get(key, 0),
                    follow_rank.get(key),
                    received.get(key, 0),
                    followers_count.get(key),
                    now,
                    estimate.pull,
                    estimate.messages,
                )
            )
    log.info(
        "influence: %d messages drew %d interactions and likes; %d profiles; follow graph of"
        " %d edges",
        len(messages),
        len(drawn),
        len(scores),
        len(edges),
    )
    return len(scores)


INTERVAL_COLUMNS = (
    "expected_purchases_low",
    "expected_purchases_high",
    "predicted_clv_low",
    "predicted_clv_high",
)
FREQUENCY_BUCKETS = 7  # calibration buckets: 0..6 repeat purchases, then "7+"


def _previous_parameters(conn: psycopg.Connection) -> tuple[clv.BgNbd, clv.GammaGamma] | None:
    rows = conn.execute("select model, parameter, value from scoring.clv_model").fetchall()
    values = {(m, p): v for m, p, v in rows}
    try:
        return (
            clv.BgNbd(**{k: values["bg_nbd", k] for k in ("r", "alpha", "a", "b")}),
            clv.GammaGamma(**{k: values["gamma_gamma", k] for k in ("p", "q", "gamma")}),
        )
    except KeyError:
        return None


def _rfm(summary: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """BG/NBD's inputs (x, t_x, T) from a `clv.summarize` frame."""
    return summary["frequency"], summary["recency_weeks"], summary["age_weeks"]


def _fit(summary: pd.DataFrame) -> tuple[clv.BgNbd, clv.GammaGamma]:
    return (
        clv.fit_bgnbd(*_rfm(summary)),
        clv.fit_gamma_gamma(summary["frequency"], summary["monetary_value"]),
    )


def _calibrate(
    orders: pd.DataFrame, holdout_from: datetime, observed_until: datetime, period: str
) -> pd.DataFrame | None:
    """Per frequency bucket: customers, predicted and actual purchases in the holdout, of the
    model fitted on the orders before `holdout_from`. None when that fit is impossible."""
    before = clv.summarize(orders, holdout_from, period)
    try:
        bg = clv.fit_bgnbd(*_rfm(before))
    except clv.FitError as error:
        log.warning("clv: no calibration fit (%s)", error)
        return None
    weeks = (observed_until - holdout_from).total_seconds() / WEEK_SECONDS
    predicted = clv.expected_purchases(bg, weeks, *_rfm(before))
    actual = clv.purchases_between(orders, holdout_from, observed_until, period)
    frame = pd.DataFrame(
        {
            "bucket": np.minimum(before["frequency"].to_numpy(), FREQUENCY_BUCKETS),
            "predicted": predicted,
            "actual": actual.reindex(before.index, fill_value=0).to_numpy(),
        }
    )
    return frame.groupby("bucket").agg(
        customers=("actual", "size"), predicted=("predicted", "sum"), actual=("actual", "sum")
    )


def _kept_parameters(
    conn: psycopg.Connection, model_digest: str, observed_until: datetime, refit_every: timedelta
) -> tuple[clv.BgNbd, clv.GammaGamma, datetime] | None:
    """The last fit's parameters and time, when that fit was made by this code and settings and
    its observation ended at most `refit_every` before `observed_until` (not after it: a run
    replayed for an earlier day fits again)."""
    last = conn.execute(
        "select fitted_at, observed_until, model_digest from scoring.clv_fits"
        " where parameters_source = 'fitted' order by fitted_at desc limit 1"
    ).fetchone()
    if last is None or last[2] != model_digest:
        return None
    if not timedelta(0) <= observed_until - last[1] < refit_every:
        return None
    parameters = _previous_parameters(conn)
    return None if parameters is None else (*parameters, last[0])


def score_clv(conn: psycopg.Connection, now: datetime, as_of: datetime) -> int:
    """BG/NBD + Gamma-Gamma on every customer's purchases up to the observation end (the
    setting, else `as_of`). The models are fitted, with a holdout calibration, when the last
    fit's observation ended SOCIAL_CRM_CLV_REFIT_DAYS before this one's or the fitting code or
    settings changed; in between, every customer is scored with the last fit's parameters (a
    population's parameters move little in a day; the fit is most of the step's time). Scores
    are kept as they are when the orders and settings are those last scored
    (scoring.clv_fit_input). A fit that fails takes the last good parameters, with a warning;
    the nightly run goes on."""
    config = settings.load()
    observed_until = config.clv_observation_end or as_of
    orders = pd.DataFrame(
        conn.execute(
            "select customer_id, ordered_at, amount::float from staging.stg_crm__orders"
            " where ordered_at < %s order by customer_id, ordered_at, order_id",
            (observed_until,),
        ).fetchall(),
        columns=["customer_id", "ordered_at", "amount"],
    )
    summary = clv.summarize(orders, observed_until, config.clv_period)
    if len(summary) < 10:
        log.warning("clv: only %d customers with orders; not fitting", len(summary))
        conn.execute("truncate scoring.clv_customers, scoring.clv_fit_input")
        return 0
    # the fitting code and the settings are part of the input: either changed, it fits again
    inputs = (config.clv_period, config.clv_horizon_weeks, config.clv_holdout_weeks)
    model_digest = hashlib.sha256(
        Path(clv.__file__).read_bytes() + repr(inputs).encode()
    ).hexdigest()
    digest = hashlib.sha256(
        model_digest.encode()
        + observed_until.isoformat().encode()
        + pd.util.hash_pandas_object(orders, index=False).to_numpy().tobytes()
    ).hexdigest()
    scored_at = conn.execute(
        "select scored_at from scoring.clv_fit_input where digest = %s", (digest,)
    ).fetchone()
    if scored_at:
        log.info("clv: orders unchanged since the scores of %s; they stand", scored_at[0])
        return len(summary)
    kept = _kept_parameters(
        conn, model_digest, observed_until, timedelta(days=config.clv_refit_days)
    )
    if kept is not None:
        bg, gg, fitted_at = kept
        source = "kept"
    else:
        source = "fitted"
        try:
            bg, gg = _fit(summary)
        except clv.FitError as error:
            previous = _previous_parameters(conn)
            if previous is None:
                log.warning("clv: the fit failed (%s) and there are no earlier parameters", error)
                return 0
            log.warning("clv: the fit failed (%s); scoring with the last good parameters", error)
            (bg, gg), source = previous, "previous"
    x, tx, t = _rfm(summary)
    alive = clv.probability_alive(bg, x, tx, t)
    purchases = clv.expected_purchases(bg, config.clv_horizon_weeks, x, tx, t)
    value = clv.expected_order_value(gg, x, summary["monetary_value"])
    bands = clv.intervals(bg, gg, config.clv_horizon_weeks, x, tx, t, summary["monetary_value"])
    conn.execute("truncate scoring.clv_customers")
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy scoring.clv_customers (customer_id, orders, frequency, recency_weeks, age_weeks,"
            " repeat_purchase_value, probability_alive, expected_purchases, expected_order_value,"
            " horizon_weeks, scored_at, expected_purchases_low, expected_purchases_high,"
            " predicted_clv_low, predicted_clv_high) from stdin"
        ) as copy,
    ):
        columns = summary[["orders", "frequency", "recency_weeks", "age_weeks", "monetary_value"]]
        for i, (customer_id, orders_made, frequency, recency, age, repeat_value) in enumerate(
            columns.itertuples()
        ):
            copy.write_row(
                (
                    customer_id,
                    int(orders_made),
                    int(frequency),
                    float(recency),
                    float(age),
                    round(float(repeat_value), 2),
                    float(alive[i]),
                    float(purchases[i]),
                    float(value[i]),
                    config.clv_horizon_weeks,
                    now,
                    *(float(bands[name][i]) for name in INTERVAL_COLUMNS),
                )
            )
    if source != "kept":
        _record_fit(
            conn, config, now, summary, orders, observed_until, source, (bg, gg), model_digest
        )
    conn.execute("truncate scoring.clv_fit_input")
    conn.execute(
        "insert into scoring.clv_fit_input (digest, scored_at, observed_until) values (%s, %s, %s)",
        (digest, now, observed_until),
    )
    if source == "kept":
        log.info(
            "clv: %d customers scored with the parameters of the fit of %s (fitted again once"
            " %d days old); BG/NBD %s; Gamma-Gamma %s",
            len(summary),
            f"{fitted_at:%Y-%m-%d %H:%M %Z}",
            config.clv_refit_days,
            bg,
            gg,
        )
    else:
        log.info("clv: %s on %d customers; BG/NBD %s; Gamma-Gamma %s", source, len(summary), bg, gg)
    return len(summary)


def _record_fit(
    conn: psycopg.Connection,
    config: settings.Settings,
    now: datetime,
    summary: pd.DataFrame,
    orders: pd.DataFrame,
    observed_until: datetime,
    source: str,
    models: tuple[clv.BgNbd, clv.GammaGamma],
    model_digest: str,
) -> None:
    """A fit's parameters (when fitted), its holdout calibration and its row in clv_fits."""
    holdout_from = observed_until - timedelta(weeks=config.clv_holdout_weeks)
    if source == "fitted":
        conn.execute("truncate scoring.clv_model")
        for model, params in (
            ("bg_nbd", models[0].as_dict()),
            ("gamma_gamma", models[1].as_dict()),
        ):
            for name, fitted in params.items():
                conn.execute(
                    "insert into scoring.clv_model values (%s, %s, %s, %s, %s)",
                    (model, name, fitted, len(summary), now),
                )
    calibration = _calibrate(orders, holdout_from, observed_until, config.clv_period)
    conn.execute("truncate scoring.clv_calibration")
    if calibration is not None:
        rows = calibration[["customers", "predicted", "actual"]]
        for bucket, customers, predicted, actual in rows.itertuples():
            label = f"{bucket}+" if bucket == FREQUENCY_BUCKETS else str(bucket)
            conn.execute(
                "insert into scoring.clv_calibration values (%s, %s, %s, %s, %s, %s)",
                (label, int(bucket), int(customers), float(predicted), int(actual), now),
            )
    conn.execute(
        "insert into scoring.clv_fits values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            now,
            config.clv_period,
            observed_until,
            config.clv_horizon_weeks,
            len(summary),
            source,
            holdout_from,
            None if calibration is None else int(calibration["customers"].sum()),
            None if calibration is None else float(calibration["predicted"].sum()),
            None if calibration is None else int(calibration["actual"].sum()),
            model_digest,
        ),
    )


def run(conn: psycopg.Connection, as_of: datetime | None = None) -> dict[str, int]:
    """`as_of`: the moment the scores describe (the run's data interval end; default now)."""
    now = datetime.now(UTC)
    counts, seconds = {}, {}
    with conn.transaction():
        for name, part in (("influence", score_influence), ("clv_customers", score_clv)):
            started = time.monotonic()
            counts[name] = part(conn, now, as_of or now)
            seconds[name] = time.monotonic() - started
    warehouse.analyze(conn, "scoring.influence", "scoring.clv_customers")
    log.info("scoring: influence %.1fs, CLV %.1fs", seconds["influence"], seconds["clv_customers"])
    return counts
