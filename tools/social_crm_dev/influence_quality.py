"""How well the estimated influence ranks people, against the simulator's truth: Spearman rank
correlation with the true influence (the replies a profile's messages draw on average), among
the profiles with at least `min_interactions` interactions received. What `make demo` prints
and the truth test asserts."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
from scipy.stats import spearmanr


def spearman(
    conn: psycopg.Connection, world_dir: Path, min_interactions: int = 5
) -> tuple[float, int]:
    """(Spearman rho, profiles compared)."""
    with open(world_dir / "truth" / "influence.csv", newline="", encoding="utf-8") as handle:
        true_influence = {
            f"{r['platform']}:{r['profile_id']}": float(r["true_influence"])
            for r in csv.DictReader(handle)
        }
    estimated = conn.execute(
        "select platform || ':' || profile_id, influence from scoring.influence"
        " where interactions_received >= %s",
        (min_interactions,),
    ).fetchall()
    if len(estimated) < 2:
        return float("nan"), len(estimated)
    rho = spearmanr(
        [score for _, score in estimated], [true_influence.get(key, 0.0) for key, _ in estimated]
    ).statistic
    return float(rho), len(estimated)
