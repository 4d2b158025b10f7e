"""CSV exports: text a spreadsheet would run as a formula is written as text."""

import csv
import io

import pytest

from social_crm.serve.csv_export import neutralise, write_csv


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_text_starting_like_a_formula_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


def test_plain_text_is_written_as_it_is():
    assert neutralise("Kari Nordmann") == "Kari Nordmann"


def test_numbers_keep_their_sign():
    assert neutralise(-50) == -50


def test_an_exported_file_has_no_cell_a_spreadsheet_would_run():
    out = io.StringIO()
    write_csv(["name", "amount"], [('=HYPERLINK("http://x")', -5), ("Ola", 3)], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "amount"], ['\'=HYPERLINK("http://x")', "-5"], ["Ola", "3"]]
