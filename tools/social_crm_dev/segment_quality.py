"""How right the sentiment segments (advocate, detractor) are, against the simulator's truth:
what `make demo` prints and the segment tests assert.

The truth's segments are recomputed from the truth's per-message labels (truth/messages.csv,
and on Instagram truth/instagram_comments.csv and the captions of truth/instagram_media.csv)
with the marketer's rule on whole counts (the dbt vars `segment_*`: an advocate wrote at least
3 positive messages and at least 3 times as many positive as negative; a detractor at least 2
negative and more negative than positive), over the messages the marts count: those to our
brand, on the platforms the pipeline reads, by people the marts show (`people`), grouped by
the person the pipeline resolved each author's profile to. So the measure is the segment
rule's and the scorer's, not the identity links' (identity_quality measures those): with the
truth's labels as the sentiment (staff overrides of every message), both give the same people.

- precision: of the people the marts put in a segment, the share the truth puts there too;
- recall: of the people the truth puts in a segment, the share the marts put there.

`measure_by_true_person` gives the same with the truth's people instead (identity links'
mistakes included): a true person's messages all counted together, a marts' person taken as
the true person their profile (prospect) or customer record is.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psycopg
import yaml

from social_crm.extract import brands
from social_crm.paths import dbt_project_dir

SEGMENTS = ("advocate", "detractor")


@dataclass(frozen=True)
class SegmentRule:
    """The marketer's thresholds, read from dbt_project.yml (where people_segments reads them)."""

    advocate_min_positive: int
    advocate_ratio: int
    detractor_min_negative: int

    def segments(self, positive: int, negative: int) -> set[str]:
        found = set()
        if positive >= self.advocate_min_positive and positive >= self.advocate_ratio * negative:
            found.add("advocate")
        if negative >= self.detractor_min_negative and negative > positive:
            found.add("detractor")
        return found


@cache
def rule() -> SegmentRule:
    with open(dbt_project_dir() / "dbt_project.yml", encoding="utf-8") as handle:
        variables = yaml.safe_load(handle)["vars"]
    return SegmentRule(
        int(variables["segment_advocate_min_positive"]),
        int(variables["segment_advocate_ratio"]),
        int(variables["segment_detractor_min_negative"]),
    )


@dataclass(frozen=True)
class SegmentQuality:
    segment: str
    found: int  # people the marts put in the segment
    true: int  # people the truth puts in it
    right: int  # of the marts' people, those the truth puts there too
    reached: int | None = None  # of the truth's, those found (when not `right`: true people)

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        reached = self.right if self.reached is None else self.reached
        return reached / self.true if self.true else 1.0

    def line(self) -> str:
        return (
            f"{self.segment}: precision {self.precision:.3f}, recall {self.recall:.3f}"
            f" ({self.found:,} people in the marts, {self.true:,} in the truth, {self.right:,}"
            " right)"
        )


@dataclass(frozen=True)
class TruthMessage:
    message_id: str
    platform: str
    profile_key: str
    sentiment: str


def _rows(world_dir: Path, name: str) -> Iterator[dict]:
    path = world_dir / "truth" / name
    if not path.exists():
        return
    with open(path, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def truth_messages(world_dir: Path, platforms: set[str]) -> list[TruthMessage]:
    """The truth's visible messages to our brand that the marts count, on `platforms`, each
    with its author's profile key (platform:profile id) and its true sentiment."""
    ours = next(b.key for b in brands.load() if b.is_ours)
    profile_of = {
        (r["platform"], r["person_id"]): f"{r['platform']}:{r['profile_id']}"
        for r in _rows(world_dir, "profiles.csv")
    }
    found = [
        TruthMessage(
            m["message_id"],
            m["platform"],
            profile_of[m["platform"], m["person_id"]],
            m["sentiment"],
        )
        for m in _rows(world_dir, "messages.csv")
        if m["brand"] == ours and m["platform"] in platforms
    ]
    if "instagram" in platforms:
        # comments and replies on our media; a comment @mentioning us elsewhere names no
        # author in the API (counted, linked to nobody); a caption @mentioning us is a message
        # of the media's owner
        found += [
            TruthMessage(
                c["comment_id"], "instagram", f"instagram:{c['username'].lower()}", c["sentiment"]
            )
            for c in _rows(world_dir, "instagram_comments.csv")
            if c["brand"] == ours and c["kind"] in ("comment", "reply") and c["person_id"]
        ]
        captions = {
            m["media_id"]
            for m in _rows(world_dir, "instagram_mentions.csv")
            if m["brand"] == ours and m["kind"] == "caption"
        }
        found += [
            TruthMessage(
                m["media_id"], "instagram", f"instagram:{m['owner'].lower()}", m["sentiment"]
            )
            for m in _rows(world_dir, "instagram_media.csv")
            if m["media_id"] in captions
        ]
    return found


def truth_segments(
    conn: psycopg.Connection, world_dir: Path, marts_schema: str = "marts_build"
) -> dict[str, set[str]]:
    """segment -> the marts' people the truth's labels put in it: the truth's messages grouped
    by the person the pipeline resolved their author's profile to, counted by the rule."""
    platforms = {
        p for (p,) in conn.execute("select distinct platform from intermediate.int_message_texts")
    }
    shown = {p for (p,) in conn.execute(f"select person_id from {marts_schema}.people")}  # noqa: S608
    person_of = {
        key: person
        for key, person in conn.execute(
            "select profile_key, person_id from intermediate.int_people_profiles"
            " where not is_excluded_from_details"
        )
        if person in shown
    }
    counts: Counter[tuple[str, str]] = Counter()
    for m in truth_messages(world_dir, platforms):
        person = person_of.get(m.profile_key)
        if person is not None:
            counts[person, m.sentiment] += 1
    people = {person for person, _ in counts}
    found: dict[str, set[str]] = {s: set() for s in SEGMENTS}
    for person in people:
        for segment in rule().segments(counts[person, "positive"], counts[person, "negative"]):
            found[segment].add(person)
    return found


def marts_segments(
    conn: psycopg.Connection, marts_schema: str = "marts_build"
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {s: set() for s in SEGMENTS}
    for person, segment in conn.execute(
        f"select person_id, segment from {marts_schema}.people_segments"  # noqa: S608
        " where segment = any(%s)",
        (list(SEGMENTS),),
    ):
        found[segment].add(person)
    return found


def measure(
    conn: psycopg.Connection, world_dir: Path, marts_schema: str = "marts_build"
) -> dict[str, SegmentQuality]:
    truth = truth_segments(conn, world_dir, marts_schema)
    marts = marts_segments(conn, marts_schema)
    return {
        s: SegmentQuality(s, len(marts[s]), len(truth[s]), len(marts[s] & truth[s]))
        for s in SEGMENTS
    }


def _true_person_of(world_dir: Path) -> dict[str, str]:
    """A marts' person id (customer id, or prospect:<profile key>) -> the truth's person."""
    found = {}
    for name, platform in (("profiles.csv", None), ("instagram_profiles.csv", "instagram")):
        for r in _rows(world_dir, name):
            key = f"{platform or r['platform']}:{r['profile_id']}"
            found[f"prospect:{key}"] = r["person_id"]
            if r["customer_id"]:
                found[r["customer_id"]] = r["person_id"]
    return found


def measure_by_true_person(
    conn: psycopg.Connection, world_dir: Path, marts_schema: str = "marts_build"
) -> dict[str, SegmentQuality]:
    """Precision and recall against the truth's people: each true person's messages counted
    together (over the people the marts show at least one profile or record of); recall counts
    a true person reached when any of the marts' people that are them is in the segment."""
    platforms = {
        p for (p,) in conn.execute("select distinct platform from intermediate.int_message_texts")
    }
    true_person = _true_person_of(world_dir)
    shown = {
        true_person[p]
        for (p,) in conn.execute(f"select person_id from {marts_schema}.people")  # noqa: S608
        if p in true_person
    }
    counts: Counter[tuple[str, str]] = Counter()
    for m in truth_messages(world_dir, platforms):
        person = true_person.get(f"prospect:{m.profile_key}")
        if person in shown:
            counts[person, m.sentiment] += 1
    truth: dict[str, set[str]] = {s: set() for s in SEGMENTS}
    for person in {p for p, _ in counts}:
        for segment in rule().segments(counts[person, "positive"], counts[person, "negative"]):
            truth[segment].add(person)
    marts = marts_segments(conn, marts_schema)
    return {
        s: SegmentQuality(
            s,
            len(marts[s]),
            len(truth[s]),
            sum(1 for p in marts[s] if true_person.get(p) in truth[s]),
            len({true_person.get(p) for p in marts[s]} & truth[s]),
        )
        for s in SEGMENTS
    }
