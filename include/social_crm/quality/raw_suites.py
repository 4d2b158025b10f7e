"""Expectations on what extraction landed in `raw`, checked before any model is built: the
landing contract (columns, keys), no timestamps in the future, and each snapshot entity's
newest batch within a band of its recent batches (a sudden drop means an extraction lost data;
a jump, that it fetched something else).

Rows are checked once: the nightly gate reads the rows of committed batches that no gate has
passed yet (`pending_batches`), and stamps them validated when it passes."""

from __future__ import annotations

from types import ModuleType

import psycopg

from social_crm import catalog
from social_crm.quality import rules
from social_crm.query_results import one_row
from social_crm.warehouse.x_posts_backfill import DERIVED_COLUMNS

RAW_COLUMNS = [
    "ingest_seq",
    "natural_key",
    "scope_key",
    "event_at",
    "payload",
    "payload_hash",
    "is_deleted",
    "extracted_at",
    "batch_id",
    "source_api_version",
]
# rows with a moment in the future (rules.CLOCK_SKEW: the loads quarantine such a value)
IN_FUTURE = (
    "select natural_key, event_at, extracted_at, batch_id from {batch}"  # noqa: S608
    f" where {rules.in_future_sql('event_at')} or {rules.in_future_sql('extracted_at')}"
)

# known accounts whose handle is not one of their platform's (rules.HANDLES: the CRM load
# quarantines such a row)
# (Great Expectations fills `{batch}`: a brace of the rule's own is doubled)
BAD_HANDLES = "select natural_key, batch_id from {batch} where " + rules.handle_problem_sql(  # noqa: S608
    "payload ->> 'platform'", "payload ->> 'handle'"
).replace("{", "{{").replace("}", "}}")
HANDLE_TABLES = ("crm_customer_social_accounts",)

# The volume band: the newest committed batch of a (source, entity) against the median of the
# HISTORY batches before it, once there are at least MIN_HISTORY of them. Only for the entities
# read whole on every run (CRM exports, page snapshots and insights, follower lists): there a
# drop means lost data. Incremental entities (posts, comments, reactions, tweets, users) read
# what is new since a watermark plus a look-back window, so their batch size says nothing.
SNAPSHOT_ENTITIES = tuple((t.source, t.entity) for t in catalog.RAW_TABLES if t.snapshot)
HISTORY = 10
MIN_HISTORY = 3
LOWER_FACTOR, LOWER_SLACK = 0.2, 100
UPPER_FACTOR, UPPER_SLACK = 10, 1000

BAND = f"{LOWER_FACTOR}x median - {LOWER_SLACK} to {UPPER_FACTOR}x median + {UPPER_SLACK} records"


def _outside_band(records: str, median: str) -> str:
    """The SQL condition of a batch size outside the band of its history's median."""
    return (
        f"({records} < {LOWER_FACTOR} * {median} - {LOWER_SLACK}"
        f" or {records} > {UPPER_FACTOR} * {median} + {UPPER_SLACK})"
    )


_SNAPSHOTS = ", ".join(f"('{source}', '{entity}')" for source, entity in SNAPSHOT_ENTITIES)
VOLUME_OUTSIDE_BAND = f"""
with ranked as (
    select
        batch_id, source, entity, records_in,
        row_number() over (partition by source, entity order by started_at desc) as recency
    from {{batch}}
    where status = 'committed' and (source, entity) in ({_SNAPSHOTS})
),

history as (
    select
        source, entity, count(*) as batches,
        percentile_cont(0.5) within group (order by records_in) as median_records
    from ranked
    where recency between 2 and {HISTORY + 1}
    group by source, entity
)

select n.batch_id, n.source, n.entity, n.records_in, h.median_records
from ranked as n
inner join history as h on n.source = h.source and n.entity = h.entity
where
    n.recency = 1
    and h.batches >= {MIN_HISTORY}
    and {_outside_band("n.records_in", "h.median_records")}
"""  # noqa: S608 - built from the constants above
# the same band for a batch about to commit: its history is the newest committed batches
_BATCH_OUTSIDE_BAND = f"""
with history as (
    select records_in from meta.load_batches
    where status = 'committed' and source = %(source)s and entity = %(entity)s
    order by started_at desc
    limit {HISTORY}
)

select
    percentile_cont(0.5) within group (order by records_in),
    count(*) >= {MIN_HISTORY}
    and {_outside_band("%(records)s", "percentile_cont(0.5) within group (order by records_in)")}
from history
"""  # noqa: S608 - built from the constants above


def volume_problem(conn: psycopg.Connection, source: str, entity: str, records: int) -> str | None:
    """Why a batch of `records` records of a snapshot entity would fail the gate's volume
    band, or None (a load rejects such a batch instead of landing what blocks the nightly)."""
    if (source, entity) not in SNAPSHOT_ENTITIES:
        return None
    median, outside = one_row(
        conn.execute(_BATCH_OUTSIDE_BAND, {"source": source, "entity": entity, "records": records})
    )
    if not outside:
        return None
    return (
        f"{records:,} records where the last {HISTORY} full exports had a median of"
        f" {median:,.0f}: outside the band the raw quality gate accepts ({BAND}); taken for a"
        " partial or wrong export, nothing landed"
    )


def raw_suites(gx: ModuleType) -> dict[tuple[str, str], list]:
    """(schema, table) -> expectations for every raw table and the load-batch log."""
    e = gx.expectations
    suites: dict[tuple[str, str], list] = {}
    for table in catalog.RAW_TABLES:
        suites[("raw", table.name)] = [
            e.ExpectTableColumnsToMatchSet(
                # and the columns landing fills from each payload (load/landing.py DERIVED)
                column_set=RAW_COLUMNS
                + list(DERIVED_COLUMNS.get((table.source, table.entity), ())),
                exact_match=True,
            ),
            *[
                e.ExpectColumnValuesToNotBeNull(column=c)
                for c in ("natural_key", "payload_hash", "batch_id", "extracted_at")
            ],
            e.UnexpectedRowsExpectation(
                description="no event or extraction time in the future",
                unexpected_rows_query=IN_FUTURE,
            ),
        ]
        if table.name in HANDLE_TABLES:
            suites[("raw", table.name)].append(
                e.UnexpectedRowsExpectation(
                    description="each known account's handle is one of its platform's",
                    unexpected_rows_query=BAD_HANDLES,
                )
            )
    suites[("meta", "load_batches")] = [
        e.ExpectColumnValuesToNotBeNull(column="batch_id"),
        e.ExpectColumnValuesToBeUnique(column="batch_id"),
        e.UnexpectedRowsExpectation(
            description=(
                "each snapshot entity's newest batch is within the band of its recent batches"
                f" ({BAND})"
            ),
            unexpected_rows_query=VOLUME_OUTSIDE_BAND,
        ),
    ]
    return suites


def pending_batches(conn: psycopg.Connection) -> list[str]:
    """Committed batches no raw gate has passed yet."""
    return [
        str(row[0])
        for row in conn.execute(
            "select batch_id from meta.load_batches"
            " where status = 'committed' and validated_at is null order by started_at"
        ).fetchall()
    ]


def rows_of_batches(batch_ids: list[str]) -> dict[tuple[str, str], str]:
    """Row filters for `gate.validate`: each raw table's rows landed by `batch_ids`."""
    ids = ",".join(f"'{batch_id}'" for batch_id in batch_ids)  # uuids read from the database
    condition = f"batch_id in ({ids})" if ids else "false"
    return {("raw", table.name): condition for table in catalog.RAW_TABLES}


def mark_validated(conn: psycopg.Connection, batch_ids: list[str]) -> None:
    conn.execute(
        "update meta.load_batches set validated_at = now() where batch_id = any(%s::uuid[])",
        (batch_ids,),
    )
