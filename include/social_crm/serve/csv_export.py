"""A published mart as a CSV file for a spreadsheet or a campaign tool (`social-crm export`).

Text from customers and the CRM reaches the marts as written, and a cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return is run as a formula by spreadsheet programs (CSV
injection, OWASP). Such a text cell is written with a leading `'`, which spreadsheets show as
text; numbers are written as they are. Raw and the marts keep the text unaltered; the dbt test
`no_spreadsheet_formula` flags (warns on) such values in the marts' free-text columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import psycopg
from psycopg import sql

from social_crm import catalog

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FETCH_ROWS = 5_000


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made plain text; other values as
    they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(columns: list[str], rows: Iterable[tuple], out: IO[str]) -> int:
    """Header and rows, every text cell neutralised; returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    written = 0
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
        written += 1
    return written


def export_mart(conn: psycopg.Connection, mart: str, out: IO[str]) -> int:
    """Write published `marts.<mart>` to `out` as CSV; returns the rows written."""
    names = [m.name for m in catalog.MARTS]
    if mart not in names:
        raise ValueError(f"no published mart {mart!r} (marts: {', '.join(names)})")
    with conn.cursor(name="csv_export") as cursor:  # server-side: memory stays flat
        cursor.itersize = FETCH_ROWS
        cursor.execute(sql.SQL("select * from marts.{}").format(sql.Identifier(mart)))
        first = cursor.fetchmany(FETCH_ROWS)
        columns = [column.name for column in cursor.description or []]

        def rows() -> Iterable[tuple]:
            yield from first
            yield from cursor

        return write_csv(columns, rows(), out)
