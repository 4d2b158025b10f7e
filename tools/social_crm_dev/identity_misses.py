"""A quick measure of the identity model on a simulated world's files, without extraction or
dbt: the profiles its truth says the pipeline sees (people who engaged), the CRM export, the
model (`social_crm.identity.model.score`) and the auto-link rule of int_identity_links
replayed in Python. Then where the Instagram misses are, by what the username shows.

    python -m social_crm_dev.identity_misses WORLD_DIR [--auto 0.9] [--review 0.5]

Close to `make demo`'s figures, not equal (the pipeline sees the profiles its extraction
reached; here, every profile the truth says engaged). For iterating; the eval test
(tests/end_to_end/test_identity_demo_world.py) is the measure that counts.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from social_crm.identity import features, model

KINDS = (
    "x handle, linked",  # the username is the person's X handle (equal), their X profile linked
    "x handle, not linked",  # ... their X profile not linked (or not seen)
    "close to x handle, linked",  # the X handle plus a suffix, digits, a period or underscore
    "close to x handle, not linked",
    "first+last name",  # spells the forename and (the start of) the surname
    "forename only",  # the forename and a word
    "unrelated",
)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def world_inputs(world: Path) -> dict:
    """profiles (as run.PROFILES gives them), customers (as run.CUSTOMERS), labels, truth."""
    truth_dir, crm = world / "truth", world / "crm"
    engaged: set[tuple[str, str]] = {
        (r["platform"], r["person_id"]) for r in _rows(truth_dir / "engagements.csv")
    }
    for name in ("instagram_comments.csv", "instagram_tags.csv", "instagram_media.csv"):
        engaged |= {
            ("instagram", r["person_id"]) for r in _rows(truth_dir / name) if r["person_id"]
        }
    records, truth, x_by_person = [], {}, {}
    for r in _rows(truth_dir / "profiles.csv"):
        key = f"{r['platform']}:{r['profile_id']}"
        if r["platform"] == "x":
            x_by_person[r["person_id"]] = (key, r["handle"].lower())
        if (r["platform"], r["person_id"]) not in engaged:
            continue
        records.append(
            (key, r["platform"], r["name"] or None, r["handle"] or None, r["location"] or None)
        )
        truth[key] = (r["customer_id"], r["link_method"], r["person_id"])
    for r in _rows(truth_dir / "instagram_profiles.csv"):
        if ("instagram", r["person_id"]) not in engaged:
            continue
        key = f"instagram:{r['profile_id']}"
        records.append((key, "instagram", None, r["username"], None))
        truth[key] = (r["customer_id"], r["link_method"], r["person_id"])
    profiles = pd.DataFrame(
        records, columns=["profile_key", "platform", "display_name", "handle", "location"]
    )
    customers = pd.DataFrame(_rows(crm / "customers.csv"))
    x_ids = {k.split(":", 1)[1]: h for k, h in x_by_person.values()}
    labels, handles = {}, {}
    for r in _rows(crm / "customer_social_accounts.csv"):
        if r["platform"] == "facebook":
            labels[f"facebook:{r['account_id']}"] = r["customer_id"]
            continue
        handle = (r["handle"] or x_ids.get(r["account_id"], "")).lower().lstrip("@")
        column = "x_handle" if r["platform"] == "x" else "instagram_username"
        handles.setdefault(r["customer_id"], {})[column] = handle
        if r["platform"] == "x":
            key = f"x:{r['account_id']}" if r["account_id"] else None
            key = key or next((k for k, h in x_by_person.values() if h == handle), None)
        else:
            key = f"instagram:{handle}"
        if key:
            labels[key] = r["customer_id"]
    for column in ("x_handle", "instagram_username"):
        customers[column] = [handles.get(c, {}).get(column) for c in customers["customer_id"]]
    return {
        "profiles": profiles,
        "customers": customers,
        "labels": labels,
        "truth": truth,
        "x_by_person": x_by_person,
    }


def auto_links(
    pairs: pd.DataFrame,
    platforms: dict[str, str],
    taken: set[tuple[str, str]],
    auto: float,
    review: float,
) -> dict[str, str]:
    """int_identity_links' model tier (no decisions)."""
    pairs = pairs.copy()
    pairs["platform"] = pairs["profile_key"].map(platforms)
    pairs = pairs[
        [(c, p) not in taken for c, p in zip(pairs["customer_id"], pairs["platform"], strict=True)]
    ]
    pairs = pairs.sort_values(
        ["profile_key", "match_probability", "customer_id"], ascending=[True, False, True]
    )
    doubtful = (pairs["match_probability"] >= review).groupby(pairs["profile_key"]).transform("sum")
    best = pairs.groupby("profile_key").head(1)
    best = best[(best["match_probability"] >= auto) & (doubtful.loc[best.index] == 1)]
    claims = best.groupby(["customer_id", "platform"])["profile_key"].transform("count")
    best = best[claims == 1]
    return dict(zip(best["profile_key"], best["customer_id"], strict=True))


def username_kind(
    username: str, x_handle: str | None, x_linked: bool, first: str, last: str
) -> str:
    u = username.lower()
    if x_handle and u == x_handle:
        return KINDS[0] if x_linked else KINDS[1]
    if x_handle and u.startswith(x_handle):
        return KINDS[2] if x_linked else KINDS[3]
    first, last = features.fold(first) or "", features.fold(last) or ""
    letters = re.sub("[^a-z]", "", features.fold(u) or "")
    first, last = first.replace(" ", ""), last.replace(" ", "")
    if first and last and letters.startswith(first) and letters[len(first) :].startswith(last[:3]):
        return KINDS[4]
    if first and first in letters:
        return KINDS[5]
    return KINDS[6]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("world", type=Path)
    parser.add_argument("--auto", type=float, default=0.9)
    parser.add_argument("--review", type=float, default=0.5)
    parser.add_argument("--show", type=int, default=0, help="print this many misses per kind")
    args = parser.parse_args(argv)
    data = world_inputs(args.world)
    profiles, customers, labels, truth = (
        data[k] for k in ("profiles", "customers", "labels", "truth")
    )
    scored = model.score(profiles, customers, labels)
    assert scored is not None
    platforms = dict(zip(profiles["profile_key"], profiles["platform"], strict=True))
    taken = {(c, platforms[k]) for k, c in labels.items() if k in platforms}
    links = {k: c for k, c in labels.items() if k in platforms}
    links |= auto_links(scored.pairs, platforms, taken, args.auto, args.review)
    queued = {
        k
        for k, p in zip(scored.pairs["profile_key"], scored.pairs["match_probability"], strict=True)
        if p >= args.review and k not in links
    }
    belonging = [k for k, (c, _, _) in truth.items() if c]
    correct = sum(1 for k, c in links.items() if truth[k][0] == c)
    print(
        f"links {len(links)}: precision {correct / len(links):.4f}, recall"
        f" {sum(1 for k in belonging if links.get(k) == truth[k][0]) / len(belonging):.4f},"
        f" queue {len(queued)} of {len(truth)} ({len(queued) / len(truth):.1%})"
    )
    for platform in ("facebook", "x", "instagram"):
        mine = [k for k in belonging if platforms[k] == platform]
        made = [k for k in links if platforms[k] == platform]
        ok = sum(1 for k in made if truth[k][0] == links[k])
        wrong = [(k, links[k], truth[k][0]) for k in made if truth[k][0] != links[k]]
        print(
            f"  {platform}: {len(made)} links, {len(wrong)} wrong, recall"
            f" {sum(1 for k in mine if links.get(k) == truth[k][0]) / max(1, len(mine)):.4f}"
            f" of {len(mine)}; precision {ok / max(1, len(made)):.4f}"
        )
        for w in wrong[: args.show]:
            print("     wrong:", w)
    # Instagram: by what the username shows
    names = {r["customer_id"]: (r["first_name"], r["last_name"]) for _, r in customers.iterrows()}
    x_of_person = data["x_by_person"]
    best = (
        scored.pairs.sort_values("match_probability", ascending=False)
        .groupby("profile_key")
        .head(1)
    )
    best_of = dict(
        zip(
            best["profile_key"],
            zip(best["customer_id"], best["match_probability"], strict=True),
            strict=True,
        )
    )
    kinds: dict[str, Counter] = {k: Counter() for k in KINDS}
    examples: dict[str, list] = {k: [] for k in KINDS}
    for key in belonging:
        if platforms[key] != "instagram" or truth[key][1] == "known":
            continue
        customer, _, person = truth[key]
        x_key, x_handle = x_of_person.get(person, (None, None))
        x_linked = x_key is not None and links.get(x_key) == customer
        kind = username_kind(key.split(":", 1)[1], x_handle, x_linked, *names[customer])
        state = "linked" if links.get(key) == customer else "queued" if key in queued else "missed"
        kinds[kind][state] += 1
        if state != "linked":
            examples[kind].append((key, customer, names[customer], x_handle, best_of.get(key)))
    print("  instagram, not known to the CRM, by username kind (linked/queued/missed):")
    for kind in KINDS:
        c = kinds[kind]
        print(f"    {kind:32s} {c['linked']:4d} {c['queued']:4d} {c['missed']:4d}")
        for e in examples[kind][: args.show]:
            print("       ", e)


if __name__ == "__main__":
    main()
