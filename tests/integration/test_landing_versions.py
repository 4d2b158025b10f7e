"""Record versions in raw: the version hash comes from PostgreSQL's canonical jsonb text, so
key order and whitespace never make a new version, an edit always does, and the stored hashes
are the ones migration 0007 computes for rows landed before it."""

import psycopg
import pytest

from social_crm.load.landing import LandingBatch, RawRecord
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration


def _land(conn, *payloads):
    with LandingBatch(conn, "x", "users") as batch:
        for payload in payloads:
            batch.add(RawRecord(payload["id"], payload))
    return batch.result


def test_equal_payloads_are_one_version_and_an_edit_is_another(scratch_database):
    with psycopg.connect(scratch_database.libpq()) as conn:
        migrations.apply(conn)
        first = _land(conn, {"id": "u1", "name": "Åse", "public_metrics": {"a": 1, "b": 2}})
        again = _land(conn, {"public_metrics": {"b": 2, "a": 1}, "name": "Åse", "id": "u1"})
        edited = _land(conn, {"id": "u1", "name": "Åse N.", "public_metrics": {"a": 1, "b": 2}})
        twice_in_one_batch = _land(conn, {"id": "u2"}, {"id": "u2"})
        versions = conn.execute(
            "select natural_key, count(*) from raw.x_users group by 1 order by 1"
        ).fetchall()
        stored = conn.execute("select payload_hash from raw.x_users order by ingest_seq").fetchall()
        migration = migrations.available()[6]
        assert migration.name == "payload_hash_in_sql"
        conn.execute(migration.sql)
        recomputed = conn.execute(
            "select payload_hash from raw.x_users order by ingest_seq"
        ).fetchall()

    assert (first.landed, again.landed, again.duplicate, edited.landed) == (1, 0, 1, 1)
    assert (twice_in_one_batch.landed, twice_in_one_batch.duplicate) == (1, 1)
    assert versions == [("u1", 2), ("u2", 1)]
    assert recomputed == stored
