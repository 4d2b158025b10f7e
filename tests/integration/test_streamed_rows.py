"""`streams.streamed`: a look-up over raw as a whole reads its rows through a server-side cursor,
a chunk at a time (extraction memory stays flat however large raw grows), and yields every row
of the query in its order."""

from __future__ import annotations

import psycopg
import pytest

from social_crm.extract.streams import STREAMED_ROWS, streamed
from tests.databases import new_database

pytestmark = pytest.mark.integration

ROWS = 2 * STREAMED_ROWS + 7  # more than two chunks


@pytest.fixture(scope="module")
def conn(warehouse_url):
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as connection:
            yield connection


def test_every_row_comes_in_the_querys_order(conn):
    rows = list(streamed(conn, "select i, 'k' || i from generate_series(1, %s) as i", (ROWS,)))
    assert rows == [(i, f"k{i}") for i in range(1, ROWS + 1)]


def test_the_rows_come_from_a_server_side_cursor_a_chunk_at_a_time(conn):
    rows = streamed(conn, "select i from generate_series(1, %s) as i", (ROWS,))
    next(rows)
    with conn.cursor() as look:
        open_cursors = look.execute(
            "select count(*) from pg_cursors where name like 'streamed_%%'"
        ).fetchone()
    assert open_cursors == (1,)
    rows.close()


@pytest.mark.parametrize("autocommit", [True, False])
def test_it_streams_on_a_connection_in_either_mode(warehouse_url, autocommit):
    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq(), autocommit=autocommit) as connection:
            assert sum(1 for _ in streamed(connection, "select generate_series(1, 3)")) == 3
