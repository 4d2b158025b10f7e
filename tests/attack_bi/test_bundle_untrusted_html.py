"""The dashboards as code (bi/superset/) read as an attacker reads them: which chart shows text
that someone outside the company wrote, and how Superset is told to render it."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REPO

BUNDLE = REPO / "bi" / "superset"
# columns whose text a customer or a platform writes (marts.open_conversations; docs/data-model.md)
WRITTEN_OUTSIDE = {"message_text", "message_url", "message_link"}
CHARTS = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(BUNDLE.glob("charts/*.yaml"))
}
SHOWING_OUTSIDE_TEXT = sorted(
    name
    for name, chart in CHARTS.items()
    if WRITTEN_OUTSIDE & set(chart["params"].get("all_columns") or [])
)


def test_some_chart_shows_text_written_outside_the_company():
    """The premise of the next test: the queue shows customers' messages."""
    assert SHOWING_OUTSIDE_TEXT


@pytest.mark.parametrize("name", SHOWING_OUTSIDE_TEXT)
def test_a_chart_showing_customers_text_does_not_render_it_as_html(name):
    """Superset's table renders a cell that looks like HTML as HTML when allow_render_html is
    on: a customer's `<img src=...>` or `<a href=...>` then loads or links from the agent's
    browser (tests/bi/test_superset_dashboards.py checks it in Chromium)."""
    assert CHARTS[name]["params"].get("allow_render_html") is not True


def test_no_chart_renders_a_cell_as_html():
    """Names, handles and segments are written outside the company too (a display name is the
    customer's): no table renders any cell as HTML."""
    assert [
        name for name, chart in CHARTS.items() if chart["params"].get("allow_render_html")
    ] == []


DATASETS = [
    yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(BUNDLE.glob("datasets/*/*.yaml"))
]


def test_no_dataset_column_builds_markup_from_a_value():
    """A column such as '<a href="' || message_url || '">' lets a quote in the value add markup
    (a platform link is not ours to trust): links are shown as their URL, as text."""
    built = [
        f"{dataset['table_name']}.{column['column_name']}"
        for dataset in DATASETS
        for column in dataset["columns"]
        if "<" in (column.get("expression") or "")
    ]
    assert built == []


def test_the_queue_shows_the_link_to_each_message_as_its_url():
    """The premise of the two above: the agent still has the message's link."""
    assert "message_url" in CHARTS["The_queue_now"]["params"]["all_columns"]
