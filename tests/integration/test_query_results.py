"""The row of a query that always returns one (real PostgreSQL): `scalar` is its first column,
`one_row` the whole row, and a query that returned no row is a NoRowError saying so, not a
TypeError on None further on."""

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.query_results import NoRowError, one_row, scalar

pytestmark = pytest.mark.integration

# what PostgreSQL text and bigint hold: no NUL character, 64-bit integers
TEXTS = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)))
BIGINTS = st.integers(-(2**63), 2**63 - 1)


@pytest.fixture(scope="module")
def conn(warehouse_url) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url.libpq(), autocommit=True) as connection:
        yield connection


@given(number=BIGINTS, text=TEXTS)
def test_scalar_is_the_first_column_of_the_row(conn, number, text):
    assert scalar(conn.execute("select %s::bigint, %s::text", (number, text))) == number


@given(number=BIGINTS, text=TEXTS)
def test_one_row_is_every_column_of_the_row(conn, number, text):
    assert one_row(conn.execute("select %s::bigint, %s::text", (number, text))) == (number, text)


@pytest.mark.parametrize("read", [scalar, one_row])
def test_a_query_that_returned_no_row_is_a_no_row_error_saying_so(conn, read):
    with pytest.raises(NoRowError, match=r"returned none \(SELECT 0\)"):
        read(conn.execute("select 1 where false"))
