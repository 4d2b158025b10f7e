"""Influence: how far a person's messages carry.

From what the APIs give about a profile's messages: the interactions they drew (replies to a
person's comments and posts, comments on their Instagram media, @mentions of them), the likes
on their Instagram media, and their public follower count (X). Each interaction and message is
weighed by its recency (half-life HALF_LIFE_DAYS, counted back from the build's as-of time).

A profile's `pull` is how many interactions a message of theirs draws, relative to the
platform's average message of its kind (1.0: average). Raw averages rank noisily (one reply to
one comment is not a star), so pull is estimated by empirical Bayes: interactions drawn are
Poisson around expected x pull, expected = the profile's messages of each kind times the
platform's rate for that kind; pull has a Gamma prior whose mean grows with ln(1 + followers)
and whose shape and slope are fitted per platform by maximum marginal (negative binomial)
likelihood. The posterior mean shrinks a profile with few messages toward its prior; a profile
with no messages gets the prior. `influence` is the interactions its messages draw as the
estimate has it: its expected x pull over the answers (not likes), scaled so that the mean
profile with messages has 1.0.

Comments on a Facebook visitor post are left out: they answer the post's subject on the
brand's Page rather than its author, and counting them ranked people worse (docs/data-model.md,
"Influence"). Likes are evidence of pull, not part of the influence: a like is not an answer,
and weaker evidence than one (LIKE_CAP, LIKE_WEIGHT: a burst of likes is capped).

Where the X follower walk is enabled, PageRank on the follow graph (follower -> followed) is
kept beside it (`follow_graph_rank`), not mixed in: against the simulator's true reach, half
and half ranked people worse (Spearman 0.70) than the interactions alone (0.81); PageRank over
the interaction graph did too (0.63), since who answers says less than how many do.
Memory is O(profiles + messages); a few million rows take seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import gammaln

HALF_LIFE_DAYS = 180.0  # a season: last year's conversations count a quarter


def pagerank(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> np.ndarray:
    """PageRank of nodes 0..n-1 for edges src -> dst (each edge a vote for dst)."""
    if n == 0:
        return np.empty(0)
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    out_degree = np.bincount(src, minlength=n).astype(float)
    weights = 1.0 / out_degree[src] if len(src) else np.empty(0)
    transition = sparse.csr_matrix((weights, (dst, src)), shape=(n, n))
    dangling = out_degree == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        spread = damping * (transition @ rank + rank[dangling].sum() / n)
        new = spread + (1.0 - damping) / n
        if np.abs(new - rank).sum() < tol:
            rank = new
            break
        rank = new
    return rank / rank.sum()


def influence_scores(followers: list[str], followed: list[str]) -> dict[str, float]:
    """Account id -> influence (PageRank scaled to mean 1.0) for every account in the edges."""
    ids = sorted(set(followers) | set(followed))
    index = {account: i for i, account in enumerate(ids)}
    src = np.array([index[a] for a in followers], dtype=np.int64)
    dst = np.array([index[a] for a in followed], dtype=np.int64)
    rank = pagerank(src, dst, len(ids)) * len(ids)
    return dict(zip(ids, rank.tolist(), strict=True))


def recency_weights(age_days: np.ndarray, half_life_days: float = HALF_LIFE_DAYS) -> np.ndarray:
    """An interaction's weight: 1 now, 0.5 one half-life ago; none in the future of the as-of
    time (a row dated later is not counted)."""
    age = np.asarray(age_days, dtype=float)
    return np.where(age < 0, 0.0, np.power(0.5, np.clip(age, 0, None) / half_life_days))


# the kind of a person's message each kind of interaction answers: Facebook and Instagram file
# a reply to a reply under the top-level comment, so replies answer top-level comments; an X
# reply answers a post; a mention answers none of theirs in particular (any message)
ANSWERS = {
    "comment_reply": "comment",
    "reply": "post",
    "comment_received": "media",
    "mention": "message",
}
LIKES = "like"  # likes on a person's media: evidence of pull, not an interaction counted
EVIDENCE_KINDS = {LIKES: "media"}
# Likes are weaker evidence than answers, and cheap to buy: a profile's likes count as the
# ratio of the likes it drew to those an average profile's media draw, capped at LIKE_CAP,
# worth LIKE_WEIGHT of the answers it is expected to draw. A burst of likes (5,000 on one
# media) adds at most LIKE_CAP x LIKE_WEIGHT of its expected answers, less than the answers
# that set two profiles with as many messages apart.
LIKE_CAP = 2.0
LIKE_WEIGHT = 0.1


@dataclass(frozen=True)
class Prior:
    """Gamma prior of pull on one platform: mean exp(log_mean + reach_slope x (ln(1 +
    followers) - centre)), shape `shape` (smaller: pulls vary more)."""

    shape: float = 1.0
    log_mean: float = 0.0
    reach_slope: float = 0.0
    centre: float = 0.0

    def mean(self, log_reach: np.ndarray) -> np.ndarray:
        return np.exp(self.log_mean + self.reach_slope * (np.asarray(log_reach) - self.centre))


def posterior_pull(
    drawn: np.ndarray, expected: np.ndarray, prior_mean: np.ndarray, shape: float
) -> np.ndarray:
    """Posterior mean of pull given `drawn` interactions where `expected` were expected of an
    average profile: (shape + drawn) / (shape / prior_mean + expected)."""
    drawn = np.clip(np.nan_to_num(np.asarray(drawn, dtype=float)), 0, None)
    expected = np.clip(np.nan_to_num(np.asarray(expected, dtype=float)), 0, None)
    return (shape + drawn) / (shape / np.asarray(prior_mean, dtype=float) + expected)


def _negative_log_likelihood(
    params: np.ndarray, drawn: np.ndarray, expected: np.ndarray, log_reach: np.ndarray
) -> float:
    shape = np.exp(params[0])
    mean = expected * np.exp(params[1] + params[2] * log_reach)
    ll = (
        gammaln(shape + drawn)
        - gammaln(shape)
        + shape * np.log(shape / (shape + mean))
        + drawn * np.log(mean / (shape + mean))
    )
    return -float(ll.sum())


def fit_prior(drawn: np.ndarray, expected: np.ndarray, log_reach: np.ndarray) -> Prior:
    """The Gamma prior of pull that makes the profiles' interactions likeliest (negative
    binomial marginal), over the profiles with messages; the default prior (mean 1, shape 1)
    when they are too few to tell (under 10) or the fit fails."""
    drawn, expected = np.asarray(drawn, dtype=float), np.asarray(expected, dtype=float)
    log_reach = np.asarray(log_reach, dtype=float)
    seen = expected > 0
    if seen.sum() < 10:
        return Prior()
    drawn, expected, log_reach = drawn[seen], expected[seen], log_reach[seen]
    centre = float(log_reach.mean())
    log_reach = log_reach - centre
    varies = float(log_reach.std()) > 1e-9
    bounds = [(-4.0, 4.0), (-3.0, 3.0), (-2.0, 2.0) if varies else (0.0, 0.0)]
    result = minimize(
        _negative_log_likelihood,
        np.zeros(3),
        args=(drawn, expected, log_reach),
        method="L-BFGS-B",
        bounds=bounds,
    )
    if not np.all(np.isfinite(result.x)):
        return Prior()
    return Prior(float(np.exp(result.x[0])), float(result.x[1]), float(result.x[2]), centre)


@dataclass(frozen=True)
class Estimate:
    """One profile's influence (mean 1.0 over the profiles with messages), pull (1.0: the
    platform's average message) and recency-weighted messages."""

    influence: float
    pull: float
    messages: float


def interaction_influence(
    messages: list[tuple[str, str, float]],
    drawn: list[tuple[str, str, float, float]],
    followers_count: dict[str, int | None],
    profiles: Iterable[str] = (),
) -> dict[str, Estimate]:
    """Profile key ("platform:id") -> Estimate, for every profile with a message, an
    interaction or in `profiles`. `messages`: (profile key, kind, age in days at the as-of
    time), kind one of ANSWERS' values; `drawn`: (profile key, interaction type or LIKES,
    age in days, how many), the type one of ANSWERS' keys (others are not counted);
    `followers_count`: public follower counts by profile key (reach)."""
    exposure: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    received: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    weights = np.nan_to_num(recency_weights(np.array([m[2] for m in messages], dtype=float)))
    for (key, kind, _), weight in zip(messages, weights.tolist(), strict=True):
        exposure[key][kind] += weight
        exposure[key]["message"] += weight
    weights = np.nan_to_num(recency_weights(np.array([d[2] for d in drawn], dtype=float)))
    for (key, kind, _, count), weight in zip(drawn, weights.tolist(), strict=True):
        if (kind in ANSWERS or kind in EVIDENCE_KINDS) and np.isfinite(count) and count > 0:
            received[key][kind] += weight * float(count)
    keys = sorted(set(exposure) | set(received) | set(profiles))
    found: dict[str, Estimate] = {}
    for platform in sorted({k.split(":", 1)[0] for k in keys}):
        found.update(
            _platform(
                platform,
                [k for k in keys if k.startswith(platform + ":")],
                exposure,
                received,
                followers_count,
            )
        )
    scale = float(np.mean([e.influence for e in found.values() if e.messages > 0] or [0.0]))
    if scale > 0:
        found = {k: Estimate(e.influence / scale, e.pull, e.messages) for k, e in found.items()}
    return found


def _platform(
    platform: str,
    keys: list[str],
    exposure: dict[str, dict[str, float]],
    received: dict[str, dict[str, float]],
    followers_count: dict[str, int | None],
) -> dict[str, Estimate]:
    """One platform's estimates: each kind's rate from its totals, then the fitted prior."""
    kinds = {**{k: v for k, v in ANSWERS.items()}, **EVIDENCE_KINDS}
    rates = {}
    for kind, answers_kind in kinds.items():
        offered_total = sum(exposure[k].get(answers_kind, 0.0) for k in keys)
        got = sum(received[k].get(kind, 0.0) for k in keys)
        rates[kind] = got / offered_total if offered_total > 0 and got > 0 else 0.0

    def expected(key: str, which: Iterable[str]) -> float:
        return sum(exposure[key].get(kinds[kind], 0.0) * rates[kind] for kind in which)

    answers = [kind for kind in ANSWERS if rates[kind] > 0]
    evidence = [kind for kind in EVIDENCE_KINDS if rates[kind] > 0]
    answered = np.array([expected(k, answers) for k in keys])
    drawn = np.array([sum(received[k].get(kind, 0.0) for kind in answers) for k in keys])
    # the likes: each profile's ratio to the average, capped, in units of its expected answers
    like_ratio = np.zeros(len(keys))
    for kind in evidence:
        expected_likes = np.array([expected(k, [kind]) for k in keys])
        liked = np.array([received[k].get(kind, 0.0) for k in keys])
        ratio = np.divide(liked, expected_likes, out=np.zeros(len(keys)), where=expected_likes > 0)
        like_ratio += np.minimum(ratio, LIKE_CAP) / len(evidence)
    if evidence:
        drawn = drawn + LIKE_WEIGHT * answered * like_ratio
        offered = answered * (1.0 + LIKE_WEIGHT)
    else:
        offered = answered
    log_reach = np.array([np.log1p(max(0, followers_count.get(k) or 0)) for k in keys])
    prior = fit_prior(drawn, offered, log_reach)
    pull = posterior_pull(drawn, offered, prior.mean(log_reach), prior.shape)
    return {
        key: Estimate(float(a * p), float(p), float(exposure[key].get("message", 0.0)))
        for key, a, p in zip(keys, answered.tolist(), pull.tolist(), strict=True)
    }
