"""How well consent and erasure reach a person's profiles, against the simulator's truth (which
knows whose each profile is, linked or not): what the truth tests assert and print.

- leaks: rows of a detail mart naming, or made of, a profile that truly belongs to a customer
  who opted out of profiling or asked to be erased (per mart), and raw rows of an erased
  customer's profiles (per raw table);
- cost: of the other people's profiles the pipeline saw (customers not excluded, and people
  the CRM does not know), the share left out of the details or erased because they may be an
  excluded customer's (the privacy threshold, int_excluded_profiles).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg

from social_crm import catalog
from social_crm_dev.simulator.profile_names import shows_surname


@dataclass(frozen=True)
class PrivacyQuality:
    excluded_customers: int  # per the truth: opted out or asked to be erased
    excluded_profiles_seen: int  # their profiles the pipeline saw (linked or not)
    other_profiles_seen: int
    other_profiles_hidden: int  # other people's profiles left out of details or erased
    mart_leaks: dict[str, list[str]]  # mart -> rows naming an excluded person's profile
    raw_leaks: dict[str, int]  # raw table -> rows of an erased customer's profiles
    leaked_profiles: frozenset[str]  # the excluded customers' profiles those rows are of

    @property
    def hidden_share(self) -> float:
        return self.other_profiles_hidden / max(1, self.other_profiles_seen)

    def lines(self) -> list[str]:
        return [
            f"consent: {self.excluded_profiles_seen} profiles of {self.excluded_customers}"
            " customers who opted out or asked to be erased seen;"
            f" {sum(len(v) for v in self.mart_leaks.values())} mart rows and"
            f" {sum(self.raw_leaks.values())} raw rows of theirs left",
            f"cost: {self.other_profiles_hidden:,} of {self.other_profiles_seen:,} other"
            f" people's profiles hidden or erased ({self.hidden_share:.2%})",
        ]


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shows_owner_name(profile: dict, customer: dict) -> bool:
    """Whether a profile (a row of the truth's profiles.csv) shows something of its owner's
    name that the identity model compares: the surname in its display name, or its start in
    its X handle; not a first name or a pseudonym alone."""
    return shows_surname(customer["last_name"], profile["name"], profile["handle"])


def excluded_customers(world_dir: Path) -> tuple[set[str], set[str]]:
    """(customers who opted out of profiling, customers who asked to be erased), per the
    world's CRM export and truth."""
    # the export as written, or where the CRM inbox moved it once landed (`make demo` drops
    # the world's own export); an erased customer's record may be gone from it, but they are
    # in the truth's erasures
    export = world_dir / "crm" / "customers.csv"
    if not export.exists():
        export = world_dir / "crm" / "processed" / "customers.csv"
    opted_out = {c["customer_id"] for c in _csv(export) if c["profiling_opt_out"] == "true"}
    erased = {e["customer_id"] for e in _csv(world_dir / "truth" / "erasures.csv")}
    return opted_out, erased


# per detail mart: the profile keys its rows name or are made of
_MART_PROFILES = {
    "people": "select person_id, 'facebook:' || facebook_profile_id from {m}.people"
    " union all select person_id, 'x:' || x_profile_id from {m}.people"
    " union all select person_id, substr(person_id, 10) from {m}.people"
    "  where person_id like 'prospect:%%'",
    "engagements": "select t.engagement_id, e.platform || ':' || e.profile_id"
    " from {m}.engagements t join intermediate.int_engagements_unified e using (engagement_id)",
    "customer_messages": "select t.message_id, a.platform || ':' || a.profile_id"
    " from {m}.customer_messages t join intermediate.int_messages_answered a using (message_id)",
    # the queue keeps an excluded person's message (it needs an answer), never who wrote it
    "open_conversations": "select t.message_id, a.platform || ':' || a.profile_id"
    " from {m}.open_conversations t join intermediate.int_messages_answered a using (message_id)"
    " where t.person_id is not null or t.customer_id is not null or t.segments is not null",
    "people_segments": "select person_id || ' ' || segment, substr(person_id, 10)"
    " from {m}.people_segments where person_id like 'prospect:%%'",
    "identity_review_queue": "select profile_key || ' ' || customer_id, profile_key"
    " from {m}.identity_review_queue",
}
# per detail mart: the customer ids its rows name
_MART_CUSTOMERS = {
    "people": "customer_id",
    "engagements": "customer_id",
    "customer_lifetime_value": "customer_id",
    "people_segments": "person_id",
    "customer_messages": "person_id",
    "open_conversations": "customer_id",
    "identity_review_queue": "customer_id",
}


def measure(
    conn: psycopg.Connection, world_dir: Path, marts_schema: str = "marts_build"
) -> PrivacyQuality:
    opted_out, erased = excluded_customers(world_dir)
    excluded = opted_out | erased
    profiles = _csv(world_dir / "truth" / "profiles.csv")
    owner = {f"{p['platform']}:{p['profile_id']}": p["customer_id"] for p in profiles}
    theirs = {key for key, customer in owner.items() if customer in excluded}
    erased_ids = {key.split(":")[1] for key, customer in owner.items() if customer in erased}

    logged = {
        profile_id
        for (ids,) in conn.execute("select profile_ids from meta.erasure_log")
        for profile_id in ids
    }
    landed = {
        r[0] for r in conn.execute("select profile_key from intermediate.int_social_profiles")
    }
    # erased profiles left int_social_profiles with their data: the erasure log names them
    erased_keys = {key for key in owner if key.split(":")[1] in logged}
    seen = landed | erased_keys
    hidden = erased_keys | {
        r[0]
        for r in conn.execute(
            "select profile_key from intermediate.int_people_profiles"
            " where is_excluded_from_details"
        )
    }
    others = {key for key in seen if key not in theirs}

    leaks: dict[str, list[str]] = {}
    leaked: set[str] = set()
    for mart, query in _MART_PROFILES.items():
        rows = conn.execute(query.format(m=marts_schema)).fetchall()
        found = sorted({row for row, key in rows if key in theirs})
        leaked |= {key for _, key in rows if key in theirs}
        if found:
            leaks[mart] = found
    for mart, column in _MART_CUSTOMERS.items():
        rows = conn.execute(
            f"select distinct {column} from {marts_schema}.{mart}"  # noqa: S608
        ).fetchall()
        found = sorted(r[0] for r in rows if r[0] in excluded)
        if found:
            leaks.setdefault(mart, []).extend(found)

    raw_leaks: dict[str, int] = {}
    for table in catalog.RAW_TABLES:
        for column in table.profile_columns:
            found = conn.execute(
                f"select {column}, count(*) from {table.relation}"  # noqa: S608
                f" where {column} = any(%s) group by 1",
                (sorted(erased_ids),),
            ).fetchall()
            for profile_id, n in found:
                raw_leaks[table.relation] = raw_leaks.get(table.relation, 0) + n
                leaked |= {key for key in owner if key.split(":")[1] == profile_id}
    return PrivacyQuality(
        excluded_customers=len(excluded),
        excluded_profiles_seen=len(seen & theirs),
        other_profiles_seen=len(others),
        other_profiles_hidden=len(others & hidden),
        mart_leaks=leaks,
        raw_leaks=raw_leaks,
        leaked_profiles=frozenset(leaked),
    )
