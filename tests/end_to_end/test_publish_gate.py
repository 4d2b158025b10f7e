"""Write-audit-publish and roles: a bad batch never reaches BI; bi_reader sees marts only."""

import re

import psycopg
import pytest

from social_crm import catalog
from social_crm.orchestration import nightly
from social_crm.transform import dbt_runner
from social_crm.transform.dbt_runner import DbtRunError
from tests.end_to_end.conftest import nightly_build

pytestmark = pytest.mark.integration


def _marts_snapshot(pipeline):
    return {
        table: pipeline.scalar(f"select count(*) from marts.{table}")  # noqa: S608
        for table in ("people", "engagements", "customer_messages")
    }


def test_published_marts_and_a_corrupt_batch_blocked(changed_build):
    pipeline, _ = changed_build
    before = _marts_snapshot(pipeline)
    assert all(n > 0 for n in before.values())

    # a corrupted raw batch: a negative order amount lands (parsing accepts it)
    pipeline.land_negative_order()
    with pytest.raises(DbtRunError, match="non_negative_stg_crm__orders_amount"):
        nightly.run_all()
    assert _marts_snapshot(pipeline) == before  # BI still sees the last good build

    # repaired: the next run publishes again (up to the publish: the dbt docs site after it
    # reads no rows)
    with pipeline.connect() as conn:
        conn.execute("delete from raw.crm_orders where natural_key = 'O-BAD'")
    assert nightly_build()["publish_marts"]["people"] == before["people"]


def test_duplicate_key_in_a_mart_blocks_publishing(changed_build):
    pipeline, _ = changed_build
    before = _marts_snapshot(pipeline)
    with pipeline.connect() as conn:
        conn.execute("insert into marts_build.people select * from marts_build.people limit 1")
    with pytest.raises(DbtRunError, match="unique_people_person_id"):
        dbt_runner.run("test", "--select", "marts")
    assert _marts_snapshot(pipeline) == before


def test_bi_reader_reads_marts_only(built):
    pipeline, _ = built
    with pipeline.connect() as conn:
        conn.execute("set role bi_reader")
        assert conn.execute("select count(*) from marts.people").fetchone()[0] > 0
    for relation in (
        "raw.crm_customers",
        "raw_quarantine.records",
        "meta.load_batches",
        "staging.stg_crm__customers",
        "intermediate.int_identity_links",
        "marts_build.people",
        "scoring.clv_customers",
    ):
        with pipeline.connect() as conn:
            conn.execute("set role bi_reader")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {relation} limit 1")  # noqa: S608


def test_great_expectations_gate_names_the_failed_expectation(changed_build):
    from social_crm.quality.gate import QualityGateError

    pipeline, _ = changed_build
    before = _marts_snapshot(pipeline)
    assert nightly.validate_marts() >= 20  # expectations checked on a good build
    with pipeline.connect() as conn:
        conn.execute(
            "update marts_build.customer_lifetime_value set predicted_clv = -1"
            " where customer_id = (select min(customer_id)"
            " from marts_build.customer_lifetime_value)"
        )
        conn.execute(
            "update marts_build.customer_messages set first_response_seconds = -5"
            " where message_id = (select min(message_id) from marts_build.customer_messages"
            "  where is_answered and merged_at = (select max(merged_at)"
            "  from marts_build.customer_messages))"
        )
    with pytest.raises(QualityGateError) as failure:
        nightly.validate_marts()
    message = str(failure.value)
    assert "marts not published" in message
    assert (
        "marts_build.customer_lifetime_value.predicted_clv:"
        " expect_column_values_to_be_between failed"
    ) in message
    assert (
        "marts_build.customer_messages.first_response_seconds:"
        " expect_column_values_to_be_between failed"
    ) in message
    assert _marts_snapshot(pipeline) == before


def _land_future_tweet(conn, key, batch_id):
    """A tweet dated two days ahead (a clock or parsing fault), landed by `batch_id`."""
    conn.execute(
        "insert into raw.x_tweets (natural_key, event_at, payload, payload_hash, extracted_at,"
        " batch_id) values (%s, now() + interval '2 days', '{}', %s, now(), %s)",
        (key, f"future-{key}", batch_id),
    )


def test_raw_gate_stops_future_timestamps_and_a_volume_drop(changed_build):
    from social_crm.quality.gate import QualityGateError

    pipeline, _ = changed_build
    # every raw table's suite passes on a good load
    assert nightly.validate_raw(full_refresh=True) >= 80
    assert nightly.validate_raw() == 0  # and with no new batch there is nothing to read

    with pipeline.connect() as conn:
        batch = conn.execute(
            "insert into meta.load_batches (batch_id, source, entity, status, finished_at)"
            " values (gen_random_uuid(), 'x', 'tweets', 'committed', now()) returning batch_id"
        ).fetchone()[0]
        _land_future_tweet(conn, "T-FUTURE", batch)
        # three customer exports of ~5,000 rows, then one of 10: an export was cut short
        for hours_ago, records in ((30, 5000), (20, 5100), (10, 4900), (0, 10)):
            conn.execute(
                "insert into meta.load_batches (batch_id, source, entity, started_at,"
                " finished_at, status, records_in) values (gen_random_uuid(), 'crm',"
                " 'customers', now() + interval '1 day' - make_interval(hours => %s),"
                " now(), 'committed', %s)",
                (hours_ago, records),
            )
    with pytest.raises(QualityGateError) as failure:
        nightly.validate_raw()
    # a failed gate stamps nothing: the next run checks the same batches again
    with pytest.raises(QualityGateError, match="T-FUTURE"):
        nightly.validate_raw()
    # repaired, the gate passes
    with pipeline.connect() as conn:
        conn.execute("delete from raw.x_tweets where natural_key = 'T-FUTURE'")
        conn.execute(
            "delete from meta.load_batches where source = 'crm' and entity = 'customers'"
            " and started_at > now()"
        )
    assert nightly.validate_raw() >= 80
    message = str(failure.value)
    assert "nothing built from raw" in message
    assert "raw.x_tweets: no event or extraction time in the future failed" in message
    assert "T-FUTURE" in message
    assert "meta.load_batches: each snapshot entity's newest batch is within the band" in message
    band = message.split("within the band")[1]
    assert "'entity': 'customers'" in band and "'records_in': 10," in band


def test_raw_gate_reads_only_batches_it_has_not_passed(changed_build):
    from social_crm.quality.gate import QualityGateError

    pipeline, _ = changed_build
    nightly.validate_raw()
    assert (
        pipeline.scalar(
            "select count(*) from meta.load_batches where status = 'committed'"
            " and validated_at is null"
        )
        == 0
    )
    # a bad row in a batch the gate already passed is not read again ...
    with pipeline.connect() as conn:
        old_batch = conn.execute(
            "select batch_id from meta.load_batches where source = 'x' and entity = 'tweets'"
            " and validated_at is not null limit 1"
        ).fetchone()[0]
        _land_future_tweet(conn, "T-OLD-FUTURE", old_batch)
    assert nightly.validate_raw() == 0  # nothing pending
    # ... but a full refresh reads all of raw
    with pytest.raises(QualityGateError, match="T-OLD-FUTURE"):
        nightly.validate_raw(full_refresh=True)


@pytest.mark.parametrize("mart", catalog.MARTS, ids=lambda mart: mart.name)
def test_a_published_mart_is_indexed_on_its_key_and_its_person_columns(built, mart):
    """BI looks up one customer's rows, and erasure deletes an erased person's rows from the
    published copy: neither may read the whole table."""
    pipeline, _ = built
    indexes = pipeline.published_indexes(mart.name)
    assert indexes.get(tuple(mart.key)) is True, (mart.name, indexes)
    for column in (*mart.person_columns, *mart.profile_key_columns, *mart.lookup_columns):
        assert any(columns[0] == column for columns in indexes), (mart.name, column, indexes)


# a published column named for a person or a profile: what erasure or a BI lookup reads by
NAMES_A_PERSON = re.compile(r"(^|_)(person_id|customer_id|profile_id|profile_key)$")


def test_every_published_column_naming_a_person_is_indexed(built):
    """Not only the columns the catalog lists: any column of a published table named for a
    person or a profile leads an index (a column added to a mart and forgotten in the catalog
    fails here)."""
    pipeline, _ = built
    columns = pipeline.rows(
        "select c.table_name, c.column_name from information_schema.columns c"
        " join information_schema.tables t using (table_schema, table_name)"
        " where c.table_schema = 'marts' and t.table_type = 'BASE TABLE' order by 1, 2"
    )
    indexes = {table: pipeline.published_indexes(table) for table in {t for t, _ in columns}}
    missing = [
        (table, column)
        for table, column in columns
        if NAMES_A_PERSON.search(column) and not any(c[0] == column for c in indexes[table])
    ]
    assert missing == []


def test_every_published_table_is_a_mart_of_the_catalog(built):
    pipeline, _ = built
    tables = {
        r[0]
        for r in pipeline.rows(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert tables - {mart.name for mart in catalog.MARTS} == set()
