"""The one list of the warehouse's tables: raw landing tables, the incremental dbt tables that
keep what they merged, and the marts BI reads (with grain and key).

Landing, the Airflow Assets, the Great Expectations suites, erasure, publishing and the tests
read these lists; `tests/unit/test_catalog.py` checks them against the dbt project's sources
and models, so renaming a model without updating the catalog fails loudly instead of silently
skipping a deletion. Light on purpose: DAG files import it at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass

# the social platforms we extract (raw sources, message channels)
PLATFORMS = ("facebook", "x", "instagram")


@dataclass(frozen=True)
class RawTable:
    """A raw landing table `raw.<source>_<entity>`."""

    source: str
    entity: str
    # read whole on every run (CRM exports, page snapshots and insights, follower lists): the
    # raw gate holds its newest batch's size within a band of the recent batches
    snapshot: bool = False
    # SQL expressions giving the profile id of each person the row is about (erasure)
    profile_columns: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.source}_{self.entity}"

    @property
    def relation(self) -> str:
        return f"raw.{self.name}"


RAW_TABLES: tuple[RawTable, ...] = (
    RawTable("facebook", "page_snapshots", snapshot=True),
    RawTable("facebook", "page_insights", snapshot=True),
    RawTable("facebook", "posts"),
    RawTable("facebook", "visitor_posts", profile_columns=("payload -> 'from' ->> 'id'",)),
    RawTable("facebook", "comments", profile_columns=("payload -> 'from' ->> 'id'",)),
    RawTable("facebook", "reactions", profile_columns=("payload ->> 'user_id'",)),
    RawTable("facebook", "users", profile_columns=("natural_key",)),
    RawTable("x", "tweets", profile_columns=("payload ->> 'author_id'",)),
    RawTable("x", "users", profile_columns=("natural_key",)),
    RawTable(
        "x",
        "followers",
        snapshot=True,
        profile_columns=("payload ->> 'follower_id'", "payload ->> 'followed_id'"),
    ),
    RawTable("instagram", "accounts", snapshot=True),
    RawTable("instagram", "account_insights", snapshot=True),
    RawTable("instagram", "media", profile_columns=("lower(payload ->> 'username')",)),
    RawTable("instagram", "media_insights"),
    RawTable(
        "instagram",
        "comments",
        profile_columns=("lower(payload ->> 'username')", "payload -> 'from' ->> 'id'"),
    ),
    RawTable(
        "webhook",
        "events",
        profile_columns=(
            "payload -> 'value' -> 'from' ->> 'id'",
            "lower(payload -> 'value' -> 'from' ->> 'username')",
        ),
    ),
    RawTable("crm", "customers", snapshot=True),
    RawTable("crm", "orders", snapshot=True),
    RawTable("crm", "erasure_requests"),
    RawTable("crm", "products", snapshot=True),
    RawTable("crm", "customer_social_accounts", snapshot=True),
    RawTable("crm", "identity_decisions"),
    RawTable("crm", "sentiment_overrides"),
)


@dataclass(frozen=True)
class IncrementalModel:
    """A dbt model materialized incrementally: it keeps the rows it merged, so deletions and
    erasure must reach it too."""

    schema: str
    name: str
    # columns holding the profile id of the person each row is about (erasure deletes by them);
    # empty when the rows name no profile
    profile_columns: tuple[str, ...] = ()

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


INCREMENTAL_MODELS: tuple[IncrementalModel, ...] = (
    IncrementalModel("staging", "stg_facebook__posts"),
    IncrementalModel("staging", "stg_facebook__page_insights"),
    IncrementalModel("staging", "stg_facebook__page_snapshots"),
    IncrementalModel("staging", "stg_facebook__comments", ("author_profile_id",)),
    IncrementalModel("staging", "stg_facebook__visitor_posts", ("author_profile_id",)),
    IncrementalModel("staging", "stg_facebook__reactions", ("profile_id",)),
    IncrementalModel("staging", "stg_facebook__users", ("profile_id",)),
    IncrementalModel("staging", "stg_x__tweets", ("author_profile_id",)),
    IncrementalModel("staging", "stg_x__users", ("profile_id",)),
    IncrementalModel("staging", "stg_x__followers", ("follower_profile_id", "followed_profile_id")),
    IncrementalModel("staging", "stg_instagram__accounts"),
    IncrementalModel("staging", "stg_instagram__account_insights"),
    IncrementalModel("staging", "stg_instagram__media", ("profile_id",)),
    IncrementalModel("staging", "stg_instagram__media_insights"),
    IncrementalModel("staging", "stg_instagram__comments", ("profile_id", "ig_scoped_id")),
    IncrementalModel("intermediate", "int_engagements_unified", ("profile_id",)),
    IncrementalModel("intermediate", "int_messages_answered", ("profile_id",)),
    IncrementalModel("intermediate", "int_people_profiles", ("profile_id",)),
    IncrementalModel("marts_build", "engagements"),
    IncrementalModel("marts_build", "customer_messages"),
    # measured again by local day (no person in it: erasure changes its counts, and a day
    # whose count changed is measured again)
    IncrementalModel("marts_build", "brand_response_times_daily"),
)


@dataclass(frozen=True)
class Mart:
    """A mart BI reads: built in `marts_build`, gated, published to `marts`."""

    name: str
    grain: str  # what one row is
    key: tuple[str, ...]  # the columns unique per row
    # merged night by night by its one-column key, gated on its latest merge and published by
    # applying changes (a small mart merged otherwise, by day, is gated whole and copied)
    incremental: bool = False
    # built from social data only: empty until a social source is connected (a CRM-only brand
    # publishes without them; the gate warns instead of requiring rows)
    social: bool = False
    # the columns naming the person a row is about, by which erasure deletes an erased
    # person's rows from the published copy: a customer id or a person id (a customer's is
    # their customer id, a prospect's 'prospect:' || profile key), and a profile key
    person_columns: tuple[str, ...] = ()
    profile_key_columns: tuple[str, ...] = ()
    # a mart that keeps the rows of people excluded from details (opted out) but not who they
    # are: these columns empty (the live queue: their message still needs an answer)
    excluded_person_columns: tuple[str, ...] = ()
    # other columns naming a person's profile that BI looks rows up by (indexed when published;
    # erasure reads the person columns, which every row of such a mart also has)
    lookup_columns: tuple[str, ...] = ()


MARTS: tuple[Mart, ...] = (
    Mart(
        "people",
        "one row per person (customer or prospect)",
        ("person_id",),
        person_columns=("person_id", "customer_id"),
        lookup_columns=("facebook_profile_id", "x_profile_id"),
    ),
    Mart(
        "engagements",
        "one row per engagement (reaction, comment, post, mention)",
        ("engagement_id",),
        incremental=True,
        social=True,
        person_columns=("person_id", "customer_id"),
    ),
    Mart(
        "people_segments",
        "one row per person and segment",
        ("person_id", "segment"),
        social=True,
        person_columns=("person_id",),
    ),
    Mart(
        "customer_lifetime_value",
        "one row per CRM customer",
        ("customer_id",),
        person_columns=("customer_id",),
    ),
    Mart(
        "clv_calibration_by_frequency",
        "one row per repeat-purchase count before the latest CLV fit's holdout",
        ("frequency_bucket",),
    ),
    Mart(
        "brand_response_times_daily",
        "one row per brand, channel, local day and message priority",
        ("brand_key", "channel", "message_date", "priority"),
        social=True,
    ),
    Mart(
        "brand_daily_metrics",
        "one row per brand and day",
        ("brand_key", "metric_date"),
        social=True,
    ),
    Mart(
        "customer_messages",
        "one row per inbound message",
        ("message_id",),
        incremental=True,
        social=True,
        person_columns=("person_id",),
    ),
    Mart(
        "open_conversations",
        "one row per customer message the brand has not answered yet (the live queue)",
        ("message_id",),
        social=True,
        person_columns=("person_id", "customer_id"),
        excluded_person_columns=("person_id", "customer_id", "social_clv", "influence", "segments"),
    ),
    Mart(
        "calendar_days",
        "one row per calendar day (the semantic layer's time spine, docs/metrics.md)",
        ("date_day",),
    ),
    Mart(
        "identity_review_queue",
        "one row per (social profile, CRM customer) pair in doubt",
        ("profile_key", "customer_id"),
        person_columns=("customer_id",),
        profile_key_columns=("profile_key",),
    ),
)


def raw_table(name: str) -> RawTable:
    """The raw table `name` (e.g. "facebook_comments"); KeyError naming it when unknown."""
    for table in RAW_TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no raw table {name!r} in the catalog")
