"""CSV exports: text a spreadsheet would run as a formula is written as text."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.serve.csv_export import neutralise, write_csv


@pytest.mark.parametrize("text", ["=cmd", "+1+1", "-2+3", "@SUM(A1)", "\r"])
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


def test_every_field_is_quoted():
    out = io.StringIO()
    write_csv(["name", "amount"], [("Anna", 3)], out)
    assert out.getvalue() == '"name","amount"\n"Anna","3"\n'


def test_a_semicolon_spreadsheet_reads_a_quoted_field_as_one_text_cell():
    out = io.StringIO()
    write_csv(["name"], [("Anna;=1+1",)], out)
    cells = next(csv.reader(io.StringIO(out.getvalue().splitlines()[1]), delimiter=";"))
    assert cells == ["Anna;'=1+1"]


def test_a_formula_after_a_semicolon_is_text_even_where_quotes_are_ignored():
    out = io.StringIO()
    write_csv(["name"], [("Anna;=1+1",)], out)
    assert out.getvalue().splitlines()[1].split(";")[1].startswith("'=")


FORMULA = tuple("=+-@\t\r")
# text built from what makes formulas and splits cells, with some letters between
cell_text = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n,;|\"' ab1")), max_size=40)


@given(rows=st.lists(st.tuples(cell_text, st.integers(-99, 99)), min_size=1, max_size=5))
@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_no_spreadsheet_separator_opens_a_formula_cell(separator, rows):
    out = io.StringIO()
    write_csv(["text", "number"], rows, out)
    numbers = {str(number) for _, number in rows}
    for line in out.getvalue().splitlines():
        for cell in line.split(separator):
            assert cell.strip(' "') in numbers or not cell.lstrip(' "').startswith(FORMULA)


@given(text=cell_text)
def test_neutralising_only_adds_quote_marks(text):
    assert neutralise(text).replace("'", "") == text.replace("'", "")
