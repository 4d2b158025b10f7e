"""The probabilistic link between social profiles and CRM customers: a Fellegi-Sunter model in
Splink (DuckDB, in process). Its u probabilities come from random pairs; its m probabilities
are counted on the identities the CRM already knows (true pairs), or trained by expectation
maximisation when the CRM knows fewer than MIN_LABELS.

Each profile is compared with the customers it shares a surname with, a forename and the
start or the end of a surname (a typo), whose name or email its handle spells, or whose
handle on the other platform it equals (an Instagram username and the customer's X handle,
or the other way round: blocking). An Instagram profile shows no display name: the name its
username spells is its name (features.shown_name), and the username is compared with the
customer's name, email and other handle. A customer's other handle is the CRM's, or that of a
profile the model is all but sure is theirs (with_vouched_handles: one hop, never a chain).
What decides a pair is kept with it: the level each comparison fell in and its match weight
(`evidence`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from social_crm.identity import features

if TYPE_CHECKING:
    from splink import Linker, SettingsCreator
    from splink.internals.blocking_rule_creator import BlockingRuleCreator
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

log = logging.getLogger(__name__)

# the columns both sides carry (Splink links two tables of the same shape)
COLUMNS = (
    "unique_id",
    "side",  # profile | customer
    "platform",  # profiles only
    "forename",
    "surname",
    "forename_aliases",
    "handle_letters",  # profiles: the handle's letters (X handle, Instagram username)
    "handle_key",  # profiles: the handle in lower case
    "handle_forename",  # profiles: the forename or initial the handle spells
    "handle_surname",  # profiles: the start of the surname the handle spells
    "email_letters",  # customers: the letters of the email's local part
    "location",  # profiles: X location, folded
    "location_city",  # profiles: the customers' city the location names, if any
    "city",  # customers
    "country_names",  # customers
    "x_handle",  # customers: the X handle the CRM knows for them, lower case
    "instagram_username",  # customers: the Instagram username the CRM knows for them
)
_COMPARED = ("forename", "surname", "location", "handle", "other_handle")


def _lower(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def profile_rows(
    profiles: pd.DataFrame, cities: frozenset[str], forenames: frozenset[str]
) -> pd.DataFrame:
    """profiles: profile_key, platform, display_name, handle, location; cities and forenames:
    the customers', folded (the places a location can name, the given names that tell a name
    written surname first)."""
    names = [
        features.shown_name(n, h, forenames)
        for n, h in zip(profiles["display_name"], profiles["handle"], strict=True)
    ]
    handle_names = [features.handle_name(h, forenames) for h in profiles["handle"]]
    locations = [features.fold(t) for t in profiles["location"]]
    return pd.DataFrame(
        {
            "unique_id": profiles["profile_key"],
            "side": "profile",
            "platform": profiles["platform"],
            "forename": [f for f, _ in names],
            "surname": [s for _, s in names],
            "forename_aliases": [list(features.forename_aliases(f)) for f, _ in names],
            "handle_letters": [features.handle_letters(h) for h in profiles["handle"]],
            "handle_key": [_lower(h) for h in profiles["handle"]],
            "handle_forename": [f for f, _ in handle_names],
            "handle_surname": [s for _, s in handle_names],
            "email_letters": None,
            "location": locations,
            "location_city": [features.city_named(t, cities) for t in locations],
            "city": None,
            "country_names": [[] for _ in range(len(profiles))],
            "x_handle": None,
            "instagram_username": None,
        },
        columns=list(COLUMNS),
    )


def customer_rows(customers: pd.DataFrame) -> pd.DataFrame:
    """customers: customer_id, first_name, last_name, email, city, country, and (when known)
    x_handle, instagram_username: their handles the CRM knows."""
    handles = {
        column: [_lower(h) for h in customers[column]]
        if column in customers
        else [None] * len(customers)
        for column in ("x_handle", "instagram_username")
    }
    forenames = [(features.fold(f) or " ").split(" ")[0] or None for f in customers["first_name"]]
    surnames = [(features.fold(s) or " ").split(" ")[-1] or None for s in customers["last_name"]]
    return pd.DataFrame(
        {
            "unique_id": customers["customer_id"],
            "side": "customer",
            "platform": None,
            "forename": forenames,
            "surname": surnames,
            "forename_aliases": [list(features.forename_aliases(f)) for f in forenames],
            "handle_letters": None,
            "handle_key": None,
            "handle_forename": None,
            "handle_surname": None,
            "email_letters": [features.email_letters(e) for e in customers["email"]],
            "location": None,
            "location_city": None,
            "city": [features.fold(c) for c in customers["city"]],
            "country_names": [list(features.country_names(c)) for c in customers["country"]],
            "x_handle": handles["x_handle"],
            "instagram_username": handles["instagram_username"],
        },
        columns=list(COLUMNS),
    )


def _levels() -> list:
    from splink import comparison_level_library as cll
    from splink import comparison_library as cl

    # forename and surname apart, each weighed by how common the name is (term frequencies):
    # agreeing on a rare surname says more than agreeing on a common one. EM (the fallback)
    # starts from these m probabilities (the share of true pairs in each level): a display
    # name is mostly the name itself; without a start near the truth, EM on name-only pairs
    # can settle on a cluster of namesakes instead of matches.
    def name(column: str, *between: ComparisonLevelCreator) -> object:
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                cll.ExactMatchLevel(column, term_frequency_adjustments=True).configure(
                    m_probability=0.8
                ),
                *between,
                cll.CustomLevel(
                    f"(length({column}_l) = 1 or length({column}_r) = 1)"
                    f" and left({column}_l, 1) = left({column}_r, 1)",
                    "an initial of it",
                ).configure(m_probability=0.04),
                cll.CustomLevel(
                    f"damerau_levenshtein({column}_l, {column}_r) <= 1 and length({column}_l) > 4",
                    "one typo away",  # a letter dropped, added or changed, or two swapped
                ).configure(m_probability=0.04),
                cll.ElseLevel().configure(m_probability=0.1),
            ],
        )

    forename = name(
        "forename",
        cll.CustomLevel(
            "list_has_any(forename_aliases_l, forename_aliases_r)", "a nickname of it"
        ).configure(m_probability=0.03),
    )
    surname = name("surname")
    location = cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.CustomLevel(
                "coalesce(location_l, location_r) is null or coalesce(city_l, city_r) is null",
                "no location",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "coalesce(location_city_l, location_city_r) = coalesce(city_l, city_r)",
                "location names the city",
            ).configure(m_probability=0.5),
            cll.CustomLevel(
                "coalesce(location_city_l, location_city_r) is not null",
                "location names another city",
            ).configure(m_probability=0.1),
            cll.CustomLevel(
                "list_has_any(string_split(coalesce(location_l, location_r), ' '),"
                " list_concat(country_names_l, country_names_r))"
                " or list_contains(list_concat(country_names_l, country_names_r),"
                " coalesce(location_l, location_r))",
                "location names the country",
            ).configure(m_probability=0.2),
            cll.ElseLevel().configure(m_probability=0.2),
        ],
    )

    # the handle spells the customer's name: its forename (or initial) then the start of the
    # surname, as features.handle_name reads the handle; written for the profile on either side
    def spells(p: str, c: str) -> str:
        return (
            f"((handle_forename_{p} = forename_{c} or (length(handle_forename_{p}) = 1"
            f" and handle_forename_{p} = left(forename_{c}, 1)))"
            f" and length(handle_surname_{p}) >= 3"
            f" and (starts_with(surname_{c}, handle_surname_{p})"
            f" or starts_with(handle_surname_{p}, surname_{c})))"
        )

    spells_email = (
        "length(coalesce(email_letters_l, email_letters_r)) >= 5 and contains("
        "coalesce(handle_letters_l, handle_letters_r), coalesce(email_letters_l, email_letters_r))"
    )
    # a handle built from the person's own name agrees with the display name's surname: where
    # the display name gives a surname, the handle spelling it again is no new evidence (it
    # would count the name twice, and a handle's 3-letter surname start fits other surnames)
    display_surname = (
        "((handle_letters_l is not null and length(surname_l) > 1)"
        " or (handle_letters_r is not null and length(surname_r) > 1))"
    )
    handle = cl.CustomComparison(
        output_column_name="handle",
        comparison_levels=[
            cll.CustomLevel(
                "coalesce(handle_letters_l, handle_letters_r) is null"
                f" or ({display_surname} and not coalesce({spells_email}, false))",
                "no handle, or the display name's surname says more",
            ).configure(is_null_level=True),
            cll.CustomLevel(spells_email, "the handle spells the email's name").configure(
                m_probability=0.2
            ),
            cll.CustomLevel(
                f"{spells('l', 'r')} or {spells('r', 'l')}", "the handle spells the name"
            ).configure(m_probability=0.4),
            cll.ElseLevel().configure(m_probability=0.4),
        ],
    )
    # the profile's handle against the customer's handle on the other platform (an Instagram
    # username against their X handle, an X handle against their Instagram username): people
    # keep a name across platforms, exactly or but for its digits, periods and underscores
    handle_key = "coalesce(handle_key_l, handle_key_r)"
    other = (
        "(case coalesce(platform_l, platform_r)"
        " when 'instagram' then coalesce(x_handle_l, x_handle_r)"
        " when 'x' then coalesce(instagram_username_l, instagram_username_r) end)"
    )

    def joined(text: str) -> str:
        return f"regexp_replace({text}, '[._]', '', 'g')"

    # the same handle but for its periods and underscores, or with an ending added ("_ig",
    # "official", digits): the shorter keeps its digits ("annaberg84" is not "annaberg85", a
    # namesake's) and has CLOSE_HANDLE_CHARACTERS or more ("mialan" is many people's)
    shorter = f"least(length({joined(handle_key)}), length({joined(other)}))"
    close = (
        f"{shorter} >= {CLOSE_HANDLE_CHARACTERS} and (starts_with({joined(handle_key)},"
        f" {joined(other)}) or starts_with({joined(other)}, {joined(handle_key)}))"
    )

    other_handle = cl.CustomComparison(
        output_column_name="other_handle",
        comparison_levels=[
            cll.CustomLevel(
                f"{handle_key} is null or {other} is null",
                "no handle, or none of the customer's on the other platform",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                f"{handle_key} = {other}", "their handle on the other platform"
            ).configure(m_probability=0.5),
            cll.CustomLevel(close, "close to their handle on the other platform").configure(
                m_probability=0.2
            ),
            cll.ElseLevel().configure(m_probability=0.3),
        ],
    )
    return [forename, surname, location, handle, other_handle]


# the fewest characters (periods and underscores aside) of the shorter of two handles that
# are "close" (other_handle): one is the other with an ending added
CLOSE_HANDLE_CHARACTERS = 8
_CLOSE_KEY = f"left(regexp_replace({{}}, '[._]', '', 'g'), {CLOSE_HANDLE_CHARACTERS})"


# Blocking: a pair is compared when one of these holds. Each is an equality of a profile's key
# and a customer's (`{}`: the record's alias), then any further condition on the pair (l: the
# profile, r: the customer). BLOCKING_KEYS are the equalities alone: a record can pair only
# with a record of the other side that shares one of them.
_BLOCKING = (
    ("{}.surname", "{}.surname", ""),
    ("{}.forename", "{}.forename", "left(l.surname, 2) = left(r.surname, 2)"),
    (
        "{}.forename",
        "{}.forename",
        "left(l.surname, 1) = left(r.surname, 1)"
        " and (length(l.surname) = 1 or length(r.surname) = 1)",
    ),
    ("left({}.handle_letters, 6)", "left({}.email_letters, 6)", ""),
    # a typo in the surname's first letters
    ("{}.forename", "{}.forename", "right(l.surname, 3) = right(r.surname, 3)"),
    # the handle spells the name (features.handle_name)
    ("{}.handle_forename", "{}.forename", "left(l.handle_surname, 3) = left(r.surname, 3)"),
    (
        "left({}.handle_surname, 5)",
        "left({}.surname, 5)",
        "length(l.handle_forename) = 1 and l.handle_forename = left(r.forename, 1)",
    ),
    # the handle is the customer's handle on the other platform
    ("{}.handle_key", "{}.x_handle", "l.platform = 'instagram'"),
    ("{}.handle_key", "{}.instagram_username", "l.platform = 'x'"),
    # ... or close to it (other_handle): their first characters, periods and underscores aside
    (
        _CLOSE_KEY.format("{}.handle_key"),
        _CLOSE_KEY.format("{}.x_handle"),
        "l.platform = 'instagram'",
    ),
    (
        _CLOSE_KEY.format("{}.handle_key"),
        _CLOSE_KEY.format("{}.instagram_username"),
        "l.platform = 'x'",
    ),
)
BLOCKING_KEYS = tuple(dict.fromkeys((profile, customer) for profile, customer, _ in _BLOCKING))


def _blocking_rules() -> list[BlockingRuleCreator | dict[str, Any]]:
    from splink.blocking_rule_library import CustomRule

    return [
        CustomRule(
            f"{profile.format('l')} = {customer.format('r')}" + (f" and {more}" if more else "")
        )
        for profile, customer, more in _BLOCKING
    ]


def _linker(
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: SettingsCreator | dict[str, Any],
    threads: int | None,
) -> Linker:
    """A Splink linker of profiles (left) and customers (right) on a new in-memory DuckDB."""
    import duckdb
    from splink import DuckDBAPI, Linker

    conn = duckdb.connect()
    if threads:
        conn.execute(f"set threads = {int(threads)}")
    db = DuckDBAPI(conn)
    return Linker(
        [
            db.register(left, dataset_display_name="a_profiles"),
            db.register(right, dataset_display_name="b_customers"),
        ],
        settings,
        log_level=logging.WARNING,
    )


def _m_toward_priors(trained: dict, priors: dict, labels: int) -> dict:
    """The trained model with each level's m = (labels x counted m + PRIOR_PAIRS x prior m) /
    (labels + PRIOR_PAIRS)."""
    for comparison, prior in zip(trained["comparisons"], priors["comparisons"], strict=True):
        for level, start in zip(
            comparison["comparison_levels"], prior["comparison_levels"], strict=True
        ):
            if level.get("is_null_level") or start.get("m_probability") is None:
                continue
            counted = level.get("m_probability") or 0.0
            level["m_probability"] = (labels * counted + PRIOR_PAIRS * start["m_probability"]) / (
                labels + PRIOR_PAIRS
            )
    return trained


def _u_without_matches(parameters: dict) -> dict:
    """Each level's u with the true matches taken out: random pairs hold matches at the prior
    rate lambda, so the u counted on them is lambda x m + (1 - lambda) x u. Negligible for a
    common agreement, it is most of the u of a rare one (an Instagram username equal to the
    customer's X handle: counted 1.2e-4 where 0.8e-4 of it is true matches, in the demo's
    world), whose weight it would halve. Never below a tenth of the u counted, nor above 1."""
    prior = float(parameters.get("probability_two_random_records_match") or 0.0)
    for comparison in parameters["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or m is None or u is None:
                continue
            level["u_probability"] = min(1.0, max((u - prior * m) / (1 - prior), u / 10))
    return parameters


def _names(records: pd.DataFrame) -> dict[str, tuple[Any, Any]]:
    """Each record's (forename, surname), by unique_id."""
    return {
        key: (forename, surname)
        for key, forename, surname in zip(
            records["unique_id"], records["forename"], records["surname"], strict=True
        )
    }


def _exact_name_recall(
    left: pd.DataFrame, right: pd.DataFrame, known: list[tuple[str, str]]
) -> float:
    """Of the known true pairs, the share whose forename and surname agree exactly, drawn
    toward 0.6 as m is toward its priors."""
    names_l = _names(left)
    names_r = _names(right)
    # name by name with ==: a missing name held as NaN (a string column) agrees with nothing
    same = sum(
        1
        for k, c in known
        if c in names_r and all(a == b for a, b in zip(names_l[k], names_r[c], strict=True))
    )
    return max(0.05, (same + 0.6 * PRIOR_PAIRS) / (len(known) + PRIOR_PAIRS))


# fewer known identities than this, and the m probabilities come from EM alone
MIN_LABELS = 10
# the m probabilities configured in _levels weigh as much as this many known identities: a
# few known pairs move m a little, thousands decide it (and a level no known pair fell in
# keeps a share instead of m = 0, which would forbid it)
PRIOR_PAIRS = 30


@dataclass(frozen=True)
class Model:
    """What scores a pair, fixed when the model is trained: its parameters (Splink's settings
    with m, u and the prior), the customers' cities a location can name and forenames that tell
    a name written surname first (features.py), and how common each forename and surname was.
    A record compared under one Model always gets the same comparison record, and a pair the
    same probability, whichever records are scored with it."""

    parameters: dict
    cities: frozenset[str]
    forenames: frozenset[str]
    term_frequencies: dict[str, dict[str, float]]  # column -> value -> share of the records

    def vocabulary(self) -> dict:
        """The model's fixed inputs other than its parameters, as JSON."""
        return {
            "cities": sorted(self.cities),
            "forenames": sorted(self.forenames),
            "term_frequencies": self.term_frequencies,
        }

    @classmethod
    def of(cls, parameters: dict, vocabulary: dict) -> Model:
        return cls(
            parameters,
            frozenset(vocabulary["cities"]),
            frozenset(vocabulary["forenames"]),
            vocabulary["term_frequencies"],
        )

    def profile_rows(self, profiles: pd.DataFrame) -> pd.DataFrame:
        return profile_rows(profiles, self.cities, self.forenames)


@dataclass(frozen=True)
class Scored:
    pairs: pd.DataFrame  # profile_key, customer_id, match_weight, match_probability, evidence
    model: Model
    profile_rows: pd.DataFrame  # the comparison records scored (profile_rows under `model`)
    customer_rows: pd.DataFrame  # ... and customer_rows


def train(
    profiles: pd.DataFrame,
    customers: pd.DataFrame,
    labels: dict[str, str] | None = None,
    threads: int | None = None,
) -> Model | None:
    """Train the model on these profiles and customers; None when either side is empty.

    labels: profile_key -> customer_id the CRM already knows (its known identities): true
    pairs, from which the m probabilities are counted when there are MIN_LABELS of them."""
    labels = labels or {}
    from splink import SettingsCreator

    right = customer_rows(customers)
    cities = frozenset(c for c in right["city"] if c)
    forenames = frozenset(f for f in right["forename"] if f)
    left = profile_rows(profiles, cities, forenames)
    if left.empty or right.empty:
        return None
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=_levels(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["side"],
        max_iterations=40,
    )
    linker = _linker(left, right, settings, threads)
    priors = linker.misc.save_model_to_json()
    present = set(left["unique_id"])
    known = [(k, c) for k, c in labels.items() if k in present]
    # the prior: pairs with the same forename and surname, scaled up by the share of true pairs
    # such a rule finds (counted on the known identities; 0.6 without them)
    linker.training.estimate_probability_two_random_records_match(
        ["l.forename = r.forename and l.surname = r.surname"],
        recall=_exact_name_recall(left, right, known),
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    if len(known) >= MIN_LABELS:
        # the CRM's known identities are true pairs: the share of them in each level is m
        # itself. EM is not identifiable on these signals: pairs blocked on a forename share
        # its language, so country agreement passes for evidence of a match (measured: m of an
        # exact surname 0.11 by EM, 0.83 counted on known pairs)
        table = pd.DataFrame(
            {
                "source_dataset_l": "a_profiles",
                "unique_id_l": [k for k, _ in known],
                "source_dataset_r": "b_customers",
                "unique_id_r": [c for _, c in known],
            }
        )
        linker.table_management.register_table(table, "__known_pairs", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels("__known_pairs")
        parameters = _m_toward_priors(linker.misc.save_model_to_json(), priors, len(known))
    else:
        log.warning(
            "identity model: %d known identities (< %d): m probabilities by EM, less reliable",
            len(known),
            MIN_LABELS,
        )
        # EM twice, each training what it does not block on: the same surname (forename,
        # location and handle trained), then the same forename (surname trained)
        linker.training.estimate_parameters_using_expectation_maximisation(
            "l.surname = r.surname", max_pairs=2e6
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            "l.forename = r.forename", max_pairs=2e6
        )
        parameters = linker.misc.save_model_to_json()
    parameters = _u_without_matches(parameters)
    frequencies = {}
    # the columns the comparisons weigh by how common a value is (_levels)
    for column in {
        level["tf_adjustment_column"]
        for comparison in parameters["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }:
        table = linker.table_management.compute_tf_table(column).as_pandas_dataframe()
        frequencies[column] = dict(
            zip(table[column], table[f"tf_{column}"].astype(float), strict=True)
        )
    return Model(parameters, cities, forenames, frequencies)


def predict(
    model: Model,
    left: pd.DataFrame,
    right: pd.DataFrame,
    keep_probability: float = 0.01,
    threads: int | None = None,
) -> pd.DataFrame:
    """Every blocked pair of comparison records `left` x `right` (profile_rows and
    customer_rows under `model`) of match probability >= keep_probability, scored by `model`:
    a pair's score depends on its two records and the model alone."""
    if left.empty or right.empty:
        return _empty()
    columns = list(COLUMNS)
    linker = _linker(left[columns], right[columns], model.parameters, threads)
    for column, shares in model.term_frequencies.items():
        table = pd.DataFrame({column: list(shares), f"tf_{column}": list(shares.values())})
        registered = linker.table_management.register_table(
            table, f"__term_frequencies_{column}", overwrite=True
        )
        linker.table_management.register_term_frequency_lookup(registered, column)
    frame = linker.inference.predict(
        threshold_match_probability=keep_probability
    ).as_pandas_dataframe()
    return _pairs(frame, model.parameters)


def score(
    profiles: pd.DataFrame,
    customers: pd.DataFrame,
    labels: dict[str, str] | None = None,
    keep_probability: float = 0.01,
    threads: int | None = None,
) -> Scored | None:
    """Train the model on these profiles and customers and score every blocked pair; keep the
    pairs of match probability >= keep_probability of the profiles not in `labels` (see
    train). When that scoring vouches for handles (with_vouched_handles), the customers'
    records take them and every pair is scored again with them, once. None when either side
    is empty."""
    labels = labels or {}
    trained = train(profiles, customers, labels, threads)
    if trained is None:
        return None
    left, right = trained.profile_rows(profiles), customer_rows(customers)
    pairs = predict(trained, left, right, keep_probability, threads)
    pairs = pairs[~pairs["profile_key"].isin(labels)]
    vouched = with_vouched_handles(right, left, pairs)
    if vouched is not right:
        # once: the handles vouched for come from the first scoring only (never a chain)
        right = vouched
        pairs = predict(trained, left, right, keep_probability, threads)
    return Scored(
        pairs[~pairs["profile_key"].isin(labels)].reset_index(drop=True), trained, left, right
    )


# a pair this probable, when no other pair of its profile reaches VOUCH_RIVAL_PROBABILITY,
# vouches for the profile's handle as the customer's handle on that platform (cross-platform
# evidence, model.score): the default auto-link probability (dbt var
# identity_auto_link_probability): an X profile sure enough to link vouches for its handle
VOUCH_PROBABILITY = 0.9
VOUCH_RIVAL_PROBABILITY = 0.05
# the platforms whose profiles vouch, and the customer column each fills: X alone. An Instagram
# username is sure only by the name it spells (features.shown_name), which anyone can register:
# names never vouch
_HANDLE_COLUMNS = {"x": "x_handle"}


def with_vouched_handles(
    right: pd.DataFrame, left: pd.DataFrame, pairs: pd.DataFrame
) -> pd.DataFrame:
    """The customer records `right` with the X handle of an X profile the model is sure is
    theirs filled in where the CRM knows none on that platform: the
    other platform's profile is then compared with it (other_handle), as with a known one.
    Only a pair of VOUCH_PROBABILITY or more whose profile has no other pair from
    VOUCH_RIVAL_PROBABILITY, and a customer whom one profile alone on that platform vouches
    for: a profile that could be someone else's vouches for nobody. Names never vouch (a name
    is what an impersonator copies): an Instagram profile, which shows nothing but a username
    that may spell a name, vouches for nobody; an X profile vouches for its X handle. `right`
    itself when none is vouched for."""
    if pairs.empty:
        return right
    handles = dict(zip(left["unique_id"], left["handle_key"], strict=True))
    platforms = dict(zip(left["unique_id"], left["platform"], strict=True))
    doubtful = pairs["match_probability"] >= VOUCH_RIVAL_PROBABILITY
    rivals = doubtful.groupby(pairs["profile_key"]).transform("sum")
    sure = pairs[(pairs["match_probability"] >= VOUCH_PROBABILITY) & (rivals == 1)]
    found: dict[tuple[str, str], list[str]] = {}
    for profile_key, customer_id in zip(sure["profile_key"], sure["customer_id"], strict=True):
        column = _HANDLE_COLUMNS.get(str(platforms.get(profile_key)))
        if column and isinstance(handles.get(profile_key), str) and handles[profile_key]:
            found.setdefault((customer_id, column), []).append(handles[profile_key])
    vouched = {key: found[key][0] for key in found if len(found[key]) == 1}
    if not vouched:
        return right
    right = right.copy()
    for column in _HANDLE_COLUMNS.values():
        right[column] = [
            known if isinstance(known, str) and known else vouched.get((customer_id, column))
            for customer_id, known in zip(right["unique_id"], right[column], strict=True)
        ]
    return right


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["profile_key", "customer_id", "match_weight", "match_probability", "evidence"]
    )


def level_labels(parameters: dict) -> dict[str, dict[int, str]]:
    """Comparison -> Splink's comparison vector value (gamma) -> the level's label. Gamma counts
    the levels from the last (else, 0) up; the null level is -1."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in parameters.get("comparisons", ()):
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        by_gamma = {
            len(non_null) - 1 - i: lv.get("label_for_charts", "") for i, lv in enumerate(non_null)
        }
        by_gamma[-1] = next(
            (lv.get("label_for_charts", "no value") for lv in levels if lv.get("is_null_level")),
            "no value",
        )
        labels[comparison["output_column_name"]] = by_gamma
    return labels


def _pairs(frame: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    if frame.empty:
        return _empty()
    labels = level_labels(parameters)
    profile_left = frame["side_l"] == "profile"
    columns = {c: (frame[f"gamma_{c}"].tolist(), frame[f"mw_{c}"].tolist()) for c in _COMPARED}
    evidence = [
        json.dumps(
            {
                c: {
                    "level": labels[c].get(int(gammas[i]), str(gammas[i])),
                    "match_weight": round(float(weights[i]), 3),
                }
                for c, (gammas, weights) in columns.items()
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        for i in range(len(frame))
    ]
    return pd.DataFrame(
        {
            "profile_key": frame["unique_id_l"].where(profile_left, frame["unique_id_r"]),
            "customer_id": frame["unique_id_r"].where(profile_left, frame["unique_id_l"]),
            "match_weight": frame["match_weight"].astype(float),
            "match_probability": frame["match_probability"].astype(float),
            "evidence": evidence,
        }
    )
