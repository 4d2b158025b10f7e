"""The quality gate's Data Docs, built by Great Expectations on a real PostgreSQL: every DAG's
gates keep their own history, and every page opens offline (no stylesheet, script or font
from a CDN). One small table and suite, so each gate run takes about a second."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from social_crm.quality import data_docs, gate

pytestmark = pytest.mark.integration

TABLE = ("public", "gate_probe")


def _suites(gx):
    e = gx.expectations
    return {
        TABLE: [
            e.ExpectColumnValuesToNotBeNull(column="id"),
            e.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        ]
    }


@pytest.fixture(scope="module")
def probe_db(warehouse_url):
    """A database with one small table, one of whose rows fails the suite (a negative
    amount): the pages then show a failed expectation too."""
    from tests.databases import new_database

    with new_database(warehouse_url) as db:
        with psycopg.connect(db.libpq()) as conn:
            conn.execute("create table public.gate_probe (id int, amount int)")
            conn.execute("insert into public.gate_probe values (1, 5), (2, -3), (3, 7)")
        yield db


def _run_gate(db, monkeypatch, docs: Path, dag_id: str, run_id: str) -> gate.GateResult:
    monkeypatch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(docs))
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", dag_id)
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", run_id)
    return gate.validate(db, "raw", _suites)


@pytest.fixture(scope="module")
def built_site(probe_db, tmp_path_factory):
    """A Data Docs folder after one gate run (its pages, GX's expectation pages, our index)."""
    docs = tmp_path_factory.mktemp("data_docs")
    with pytest.MonkeyPatch.context() as patch:
        _run_gate(probe_db, patch, docs, "social_crm_nightly", "scheduled__2026-12-02")
    return docs


def test_the_nightly_raw_gate_is_kept_after_more_live_runs_than_kept(
    probe_db, monkeypatch, tmp_path
):
    monkeypatch.setattr(data_docs, "KEEP_RUNS", 2)
    _run_gate(probe_db, monkeypatch, tmp_path, "social_crm_nightly", "scheduled__2026-12-02")
    for cycle in range(3):
        _run_gate(probe_db, monkeypatch, tmp_path, "social_crm_live", f"scheduled__{cycle}")
    runs = data_docs.load(tmp_path)
    nightly = [r for r in runs if r.run_name.startswith("social_crm_nightly ")]
    assert len(nightly) == 1, [r.run_name for r in runs]
    assert all((tmp_path / t.page).is_file() for t in nightly[0].tables)
    assert "social_crm_nightly scheduled__2026-12-02" in (tmp_path / "index.html").read_text()


def test_a_command_files_its_gate_runs_under_the_dag_whose_steps_it_runs(
    probe_db, monkeypatch, tmp_path
):
    """`social-crm nightly` and `live` run outside Airflow: no task context names the DAG."""
    monkeypatch.setattr(data_docs, "KEEP_RUNS", 1)
    monkeypatch.setenv("SOCIAL_CRM_DATA_DOCS_DIR", str(tmp_path))
    for name in ("AIRFLOW_CTX_DAG_ID", "AIRFLOW_CTX_DAG_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    gate.validate(probe_db, "raw", _suites, pipeline="social_crm_nightly")
    gate.validate(probe_db, "raw", _suites, pipeline="social_crm_live")
    gate.validate(probe_db, "raw", _suites, pipeline="social_crm_live")
    assert sorted(r.dag for r in data_docs.load(tmp_path)) == [
        "social_crm_live",
        "social_crm_nightly",
    ]


class _Assets(HTMLParser):
    """The URLs a page loads as a stylesheet, script, font or icon, and any `url(...)` in its
    inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "link" and attr.get("href"):
            self.urls.append(attr["href"])
        if tag in ("script", "img", "source") and attr.get("src"):
            self.urls.append(attr["src"])
        self.urls += re.findall(r"url\(['\"]?([^'\")]+)", attr.get("style") or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += re.findall(r"url\(['\"]?([^'\")]+)", data)


def _assets(page: Path) -> list[str]:
    parser = _Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


def _pages(docs: Path) -> list[Path]:
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) >= 3  # the index, the table's validation page, its suite's page
    return pages


def test_no_data_docs_page_loads_an_asset_from_the_network(built_site):
    remote = {
        page.relative_to(built_site).as_posix(): url
        for page in _pages(built_site)
        for url in _assets(page)
        if re.match(r"(https?:)?//", url)
    }
    assert remote == {}


def test_no_stylesheet_of_the_site_loads_anything_from_the_network(built_site):
    remote = {
        sheet.relative_to(built_site).as_posix(): url
        for sheet in built_site.rglob("*.css")
        for url in re.findall(r"url\(['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8"))
        if re.match(r"(https?:)?//", url)
    }
    assert remote == {}


def test_every_asset_a_data_docs_page_loads_is_in_the_site(built_site):
    missing = {
        (page.relative_to(built_site).as_posix(), url)
        for page in _pages(built_site)
        for url in _assets(page)
        if not url.startswith("data:")
        and not (page.parent / url.split("#")[0].split("?")[0]).is_file()
    }
    assert missing == set()


def test_a_validation_page_loads_bootstrap_from_the_site(built_site):
    page = next(p for p in built_site.rglob("*.html") if "validations" in p.parts)
    sheets = [url for url in _assets(page) if url.endswith(".css")]
    local = [url for url in sheets if (page.parent / url).is_file()]
    assert any(url.endswith("bootstrap.min.css") for url in local), sheets


def test_a_gate_run_writes_nothing_to_standard_error(probe_db, monkeypatch, tmp_path, capfd):
    """A worker's task log takes in standard error too: GX's progress bars would be there."""
    capfd.readouterr()
    _run_gate(probe_db, monkeypatch, tmp_path, "social_crm_nightly", "scheduled__2026-12-03")
    assert capfd.readouterr().err == ""
