"""A batch the warehouse refuses fails whole and says why, but what it says (the log line and
`meta.load_batches.error`) never holds the data it was landing: PostgreSQL's error DETAIL
and CONTEXT quote the row being copied, a person's name and words that no erasure reaches in
a log. Real PostgreSQL; the row is refused for a NUL character (`\\u0000`), which jsonb
cannot hold, as any source could be handed one."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm import catalog
from social_crm.load.landing import LandingBatch, RawRecord
from tests.databases import migrated_database

pytestmark = pytest.mark.integration

# every source's landing goes through LandingBatch: one table of each source
TABLES = sorted({(t.source, t.entity) for t in catalog.RAW_TABLES if not t.snapshot})
ONE_PER_SOURCE = [next(t for t in TABLES if t[0] == source) for source in sorted(dict(TABLES))]

# what a person writes: letters and digits long enough to be found again
PRIVATE = st.text(st.characters(categories=("L", "Nd")), min_size=12, max_size=40)


@pytest.fixture(scope="module")
def database(warehouse_url) -> Iterator:
    with migrated_database(warehouse_url) as db:
        yield db


def _refused_batch(database, source: str, entity: str, private: str) -> str:
    """Land a record the warehouse refuses; the batch's recorded error."""
    payload = {"id": "1_2", "from": {"name": private}, "message": f"{private}\u0000{private}"}
    with psycopg.connect(database.libpq()) as conn:
        with pytest.raises(psycopg.Error):
            with LandingBatch(conn, source, entity) as batch:
                batch.add(RawRecord("1_2", payload))
        return conn.execute(
            "select error from meta.load_batches where batch_id = %s", (batch.result.batch_id,)
        ).fetchone()[0]


@pytest.mark.parametrize(("source", "entity"), ONE_PER_SOURCE)
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(private=PRIVATE)
def test_a_refused_batch_logs_none_of_its_rows(database, caplog, source, entity, private):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="social_crm"):
        _refused_batch(database, source, entity, private)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "batch" in logged and "failed" in logged  # it did log the failure
    assert private not in logged, logged


@pytest.mark.parametrize(("source", "entity"), ONE_PER_SOURCE)
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(private=PRIVATE)
def test_a_refused_batch_records_none_of_its_rows_as_its_error(database, source, entity, private):
    error = _refused_batch(database, source, entity, private)
    assert "SQLSTATE" in error and private not in error, error


# the refused row alone (refused at commit), or after 4,999 good ones (refused while feeding:
# the 5,000th record sends the buffer to COPY inside the batch's block)
@pytest.mark.parametrize("before", [0, 4_999])
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(private=PRIVATE)
def test_the_error_a_refused_batch_raises_prints_none_of_its_rows(database, before, private):
    """What reaches the task's log is the raised error's traceback, its chain included."""
    payload = {"id": "1_2", "from": {"name": private}, "message": f"{private}\u0000{private}"}
    with psycopg.connect(database.libpq()) as conn:
        with pytest.raises(psycopg.DataError) as raised:
            with LandingBatch(conn, "facebook", "posts") as batch:
                for n in range(before):
                    batch.add(RawRecord(f"9_{n}", {"id": f"9_{n}", "message": private}))
                batch.add(RawRecord("1_2", payload))
    printed = "".join(traceback.format_exception(raised.value))
    assert "SQLSTATE" in printed and private not in printed, printed


@given(token=st.text(st.characters(categories=("L", "Nd")), min_size=24, max_size=60))
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_token_learned_after_the_batch_opened_is_redacted_from_quarantine(database, token):
    """A client learns Page tokens inside a walk (`/me/accounts`), after its batch opened: a
    quarantined text that echoes one holds it as *** all the same."""
    held: list[str] = []
    with psycopg.connect(database.libpq()) as conn:
        with LandingBatch(conn, *ONE_PER_SOURCE[0], secrets=lambda: tuple(held)) as batch:
            held.append(token)
            batch.quarantine(f'{{"access_token": "{token}"}}', "not a record")
        stored = conn.execute(
            "select raw_text from raw_quarantine.records where batch_id = %s",
            (batch.result.batch_id,),
        ).fetchone()[0]
    assert token not in stored and "***" in stored, stored
