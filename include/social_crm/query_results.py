"""The row a query that always returns one row returned (an aggregate, `select now()`, `show`).

psycopg's `fetchone()` answers None when there is no row; these say so in an error instead of
a `TypeError` on None further on, and give the type checker a row rather than an optional one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: importing this module does not load psycopg
    import psycopg
    from psycopg.rows import Row, TupleRow


class NoRowError(LookupError):
    """A query that should have returned one row returned none."""


def one_row(cursor: psycopg.Cursor[Row]) -> Row:
    """The next row of `cursor`; NoRowError when there is none."""
    row = cursor.fetchone()
    if row is None:
        raise NoRowError(f"expected one row, the query returned none ({cursor.statusmessage})")
    return row


def scalar(cursor: psycopg.Cursor[TupleRow]) -> Any:
    """The first column of the next row of `cursor`; NoRowError when there is no row."""
    return one_row(cursor)[0]
