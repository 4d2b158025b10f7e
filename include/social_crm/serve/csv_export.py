"""A published mart as a CSV file for a spreadsheet or a campaign tool (`social-crm export`).

Text from customers and the CRM reaches the marts as written, and a cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return is run as a formula by spreadsheet programs (CSV
injection, OWASP). A spreadsheet may also split the file on another separator than ours: `;`
is the default list separator in German, Norwegian, Swedish and Polish settings, so
`Anna;=1+1` opens as two cells, the second a formula. So every field is quoted, and in a text
cell each segment that any common separator (`,` `;` tab `|`) or a line break could start,
once spaces and double quotes are skipped, gets a `'` before a formula start: spreadsheets
show it as text. Numbers are written as they are. Raw and the marts keep the text unaltered;
the dbt test `no_spreadsheet_formula` flags (warns on) such values in the marts' free-text
columns.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

import psycopg
from psycopg import sql

from social_crm import catalog

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# where a spreadsheet may start a cell: the start of ours, after a separator one may split on,
# after a line break; then spaces and quotes it may skip
SPLITS = ",;\t|\r\n"
_FORMULA_AT_CELL_START = re.compile(r"""(?:^|(?<=[,;\t|\r\n]))[ "]*(?=[=+\-@\t\r])""")
FETCH_ROWS = 5_000


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, in whole or in any segment it
    could split off, made plain text; other values as they are."""
    if isinstance(value, str):
        return _FORMULA_AT_CELL_START.sub(lambda found: found.group(0) + "'", value)
    return value


def write_csv(columns: list[str], rows: Iterable[tuple], out: IO[str]) -> int:
    """Header and rows, every field quoted and every text cell neutralised; returns the rows
    written."""
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
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
