"""How right the identity links and the review queue are, against the simulator's truth: what
`make demo` prints and the truth tests assert.

- precision: of the links made, the share that name the profile's true customer;
- recall, per tier: of the profiles that truly belong to a customer (among those the pipeline
  saw), the share linked to that customer; "known" = the CRM knows the account, "model" = only
  what the profile shows can link it; and per platform (Facebook, X, Instagram);
- queue share: profiles with a pair in identity_review_queue / profiles seen;
- forced precision: if staff accepted each queued profile's first candidate, the share right
  (a queue of truly ambiguous pairs sits well between 0 and 1).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg


@dataclass(frozen=True)
class IdentityQuality:
    links: int
    precision: float
    recall: float
    recall_by_tier: dict[str, float]
    recall_by_platform: dict[str, float]
    profiles_seen: int
    queued_profiles: int
    queue_share: float
    forced_precision: float | None

    def lines(self) -> list[str]:
        tiers = ", ".join(f"{t} {r:.3f}" for t, r in sorted(self.recall_by_tier.items()))
        platforms = ", ".join(f"{p} {r:.3f}" for p, r in sorted(self.recall_by_platform.items()))
        forced = "n/a" if self.forced_precision is None else f"{self.forced_precision:.3f}"
        return [
            f"auto links {self.links:,}: precision {self.precision:.3f}, recall"
            f" {self.recall:.3f} (by tier: {tiers}; by platform: {platforms})",
            f"review queue: {self.queued_profiles:,} of {self.profiles_seen:,} profiles"
            f" ({self.queue_share:.1%}); a forced decision would be right {forced}",
        ]


def _truth_profiles(world_dir: Path) -> dict[str, tuple[str, str]]:
    """profile_key -> (true customer id or "", link_method): Facebook's and X's, and
    Instagram's where the world has them (its profile id is the username in lower case)."""
    found = {}
    with open(world_dir / "truth" / "profiles.csv", newline="", encoding="utf-8") as handle:
        found = {
            f"{r['platform']}:{r['profile_id']}": (r["customer_id"], r["link_method"])
            for r in csv.DictReader(handle)
        }
    instagram = world_dir / "truth" / "instagram_profiles.csv"
    if instagram.exists():
        with open(instagram, newline="", encoding="utf-8") as handle:
            found |= {
                f"instagram:{r['profile_id']}": (r["customer_id"], r["link_method"])
                for r in csv.DictReader(handle)
            }
    return found


def measure(
    conn: psycopg.Connection,
    world_dir: Path,
    marts_schema: str = "marts_build",
    platform: str | None = None,
) -> IdentityQuality:
    """The quality of every link, or of the links of one `platform`'s profiles."""
    truth = _truth_profiles(world_dir)
    mine = (lambda key: key.startswith(f"{platform}:")) if platform else (lambda key: True)
    seen = [
        r[0]
        for r in conn.execute("select profile_key from intermediate.int_social_profiles")
        if mine(r[0])
    ]
    links = {
        k: c
        for k, c in conn.execute(
            "select profile_key, customer_id from intermediate.int_identity_links"
        )
        if mine(k)
    }
    queue = [
        (k, c)
        for k, c in conn.execute(
            f"select profile_key, customer_id from {marts_schema}.identity_review_queue"  # noqa: S608
            " where candidate_rank = 1"
        )
        if mine(k)
    ]
    correct = sum(1 for k, c in links.items() if truth.get(k, ("", ""))[0] == c)
    belonging = [k for k in seen if truth.get(k, ("", ""))[0]]
    by_tier: dict[str, list[str]] = {}
    for key in belonging:
        by_tier.setdefault(truth[key][1], []).append(key)
    recall_by_tier = {
        tier: sum(1 for k in keys if links.get(k) == truth[k][0]) / len(keys)
        for tier, keys in by_tier.items()
    }
    by_platform: dict[str, list[str]] = {}
    for key in belonging:
        by_platform.setdefault(key.split(":", 1)[0], []).append(key)
    forced = sum(1 for k, c in queue if truth.get(k, ("", ""))[0] == c)
    return IdentityQuality(
        links=len(links),
        precision=correct / len(links) if links else 1.0,
        recall=sum(1 for k in belonging if links.get(k) == truth[k][0]) / max(1, len(belonging)),
        recall_by_tier=recall_by_tier,
        recall_by_platform={
            platform: sum(1 for k in keys if links.get(k) == truth[k][0]) / len(keys)
            for platform, keys in by_platform.items()
        },
        profiles_seen=len(seen),
        queued_profiles=len(queue),
        queue_share=len(queue) / max(1, len(seen)),
        forced_precision=forced / len(queue) if queue else None,
    )
