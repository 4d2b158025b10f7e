"""Which rows of a batch land: each record's last row of the batch, when it differs from the
record's latest version in raw. Checked against a model of raw over generated sequences of
batches (records repeated within a batch, versions repeated and returned to, key order
varied), and against another batch of the entity that lands the same record while this one
is still copying: whatever decides the new versions (landing's commit statements, which
issue 44 asks to make cheaper), these must hold."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.load.landing import LandingBatch, RawRecord
from tests.databases import migrated_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database(warehouse_url) -> Iterator:
    with migrated_database(warehouse_url) as db:
        yield db


def _payload(key: str, variant: int, keys_reversed: bool) -> dict:
    """Version `variant` of record `key`; its keys in either order (one version either way)."""
    fields = [("id", key), ("name", f"name {variant}")]
    return dict(reversed(fields) if keys_reversed else fields)


# a batch: rows of (record, version, key order), records and versions few so that batches
# repeat records, repeat versions and return to earlier ones
ROWS = st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 2), st.booleans()), max_size=10)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(ROWS, min_size=1, max_size=4))
def test_each_record_lands_its_last_row_when_it_differs_from_its_latest(database, batches):
    latest: dict[str, int] = {}  # the model: each record's latest version in raw
    history: dict[str, list[int]] = {}
    counts = []
    with psycopg.connect(database.libpq(), autocommit=True) as conn:
        conn.execute("truncate raw.x_users")
        for rows in batches:
            with LandingBatch(conn, "x", "users") as batch:
                for key, variant, keys_reversed in rows:
                    batch.add(RawRecord(key, _payload(key, variant, keys_reversed)))
            last = {key: variant for key, variant, _ in rows}
            new = {key: variant for key, variant in last.items() if latest.get(key) != variant}
            latest.update(new)
            for key, variant in new.items():
                history.setdefault(key, []).append(variant)
            counts.append(
                (
                    (batch.result.landed, batch.result.duplicate),
                    (len(new), len(rows) - len(new)),
                )
            )
        stored = conn.execute(
            "select natural_key, array_agg((payload ->> 'name') order by ingest_seq)"
            " from raw.x_users group by natural_key"
        ).fetchall()
    assert [got for got, _ in counts] == [expected for _, expected in counts]
    assert dict(stored) == {
        key: [f"name {variant}" for variant in variants] for key, variants in history.items()
    }


def _land_while_open(database, first: dict, second: dict) -> tuple[int, list[str]]:
    """A batch copies `first` and, before it commits, another batch of the entity lands and
    commits `second` (same record); returns what the first landed and raw's versions."""
    with (
        psycopg.connect(database.libpq(), autocommit=True) as conn,
        psycopg.connect(database.libpq(), autocommit=True) as other,
    ):
        conn.execute("truncate raw.x_users")
        with LandingBatch(conn, "x", "users") as batch:
            batch.add(RawRecord("u1", first))
            batch._flush()  # its rows copied; the other batch lands and commits meanwhile
            with LandingBatch(other, "x", "users") as earlier:
                earlier.add(RawRecord("u1", second))
        versions = conn.execute(
            "select payload ->> 'name' from raw.x_users order by ingest_seq"
        ).fetchall()
    return batch.result.landed, [name for (name,) in versions]


def test_a_row_another_batch_landed_while_this_one_copied_lands_once(database):
    same = {"id": "u1", "name": "anna"}
    assert _land_while_open(database, same, dict(same)) == (0, ["anna"])


def test_a_row_differing_from_what_another_batch_landed_meanwhile_lands_after_it(database):
    landed = _land_while_open(database, {"id": "u1", "name": "anna"}, {"id": "u1", "name": "bo"})
    assert landed == (1, ["bo", "anna"])
