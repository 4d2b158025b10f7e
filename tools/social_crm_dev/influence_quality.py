"""How well the estimated influence ranks people, against the simulator's truth: Spearman rank
correlation with the true influence (the replies a profile's messages draw on average, summed
over its messages: truth/influence.csv), among the profiles with at least `min_interactions`
interactions received, on one platform or all. What `make demo` prints and the truth tests
assert."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg
from scipy.stats import spearmanr

PLATFORMS = ("facebook", "instagram", "x")


def true_influence(world_dir: Path) -> dict[str, float]:
    """Profile key ("platform:id") -> true influence; a profile not listed has none (0)."""
    with open(world_dir / "truth" / "influence.csv", newline="", encoding="utf-8") as handle:
        return {
            f"{r['platform']}:{r['profile_id']}": float(r["true_influence"])
            for r in csv.DictReader(handle)
        }


def spearman(
    conn: psycopg.Connection,
    world_dir: Path,
    min_interactions: int = 5,
    platform: str | None = None,
) -> tuple[float, int]:
    """(Spearman rho, profiles compared) over the scored profiles of `platform` (None: every
    platform) with at least `min_interactions` interactions received."""
    truth = true_influence(world_dir)
    estimated = conn.execute(
        "select platform || ':' || profile_id, influence from scoring.influence"
        " where interactions_received >= %s and (%s::text is null or platform = %s)",
        (min_interactions, platform, platform),
    ).fetchall()
    if len(estimated) < 2:
        return float("nan"), len(estimated)
    rho = spearmanr(
        [score for _, score in estimated], [truth.get(key, 0.0) for key, _ in estimated]
    ).statistic
    return float(rho), len(estimated)


@dataclass(frozen=True)
class Rank:
    """Spearman rho over the profiles of `platform` ("all": every platform) with at least
    `min_interactions` interactions received."""

    platform: str
    min_interactions: int
    rho: float
    profiles: int

    def line(self) -> str:
        who = (
            "every profile"
            if self.min_interactions == 0
            else (f"profiles with >= {self.min_interactions} interactions received")
        )
        return f"{self.platform}: Spearman {self.rho:.3f} over {self.profiles:,} {who}"


def measure(
    conn: psycopg.Connection, world_dir: Path, floors: tuple[int, ...] = (5, 0)
) -> list[Rank]:
    """Every platform together, then each, at each floor of interactions received."""
    found = []
    for platform in (None, *PLATFORMS):
        for floor in floors:
            rho, profiles = spearman(conn, world_dir, floor, platform)
            found.append(Rank(platform or "all", floor, rho, profiles))
    return found
