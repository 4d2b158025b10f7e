"""The offline Data Docs index: every gate run of the last runs, named by run, no network."""

import json
import re
from datetime import UTC, datetime

from social_crm.quality import data_docs
from social_crm.quality.data_docs import GateRun, TablePage

AT = datetime(2026, 12, 2, 3, tzinfo=UTC)


def _run(docs, gate, name, failures=()):
    page = docs / "validations" / gate / name / "20261202T030000Z" / "batch.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<html>validation</html>")
    table = TablePage(f"{gate}.table", 3, len(failures), page.relative_to(docs).as_posix())
    return GateRun(gate, name, AT.isoformat(), [table], list(failures))


def test_the_index_lists_the_runs_of_every_gate(tmp_path):
    data_docs.record(tmp_path, _run(tmp_path, "raw", "nightly run-1"))
    index = data_docs.record(tmp_path, _run(tmp_path, "marts", "nightly run-1"))
    text = index.read_text()
    assert "raw gate: nightly run-1" in text and "marts gate: nightly run-1" in text


def test_the_index_links_each_table_to_its_page(tmp_path):
    index = data_docs.record(tmp_path, _run(tmp_path, "raw", "nightly run-1"))
    links = re.findall(r"href='([^']+)'", index.read_text())
    assert links and all((tmp_path / link).exists() for link in links)


def test_the_index_loads_nothing_from_the_network(tmp_path):
    index = data_docs.record(tmp_path, _run(tmp_path, "raw", "nightly run-1"))
    text = index.read_text()
    assert "<script" not in text and "http" not in text


def test_the_failures_of_a_run_are_written_out(tmp_path):
    failed = _run(tmp_path, "marts", "nightly run-2", ["marts.people.person_id: not null failed"])
    index = data_docs.record(tmp_path, failed)
    assert "marts.people.person_id: not null failed" in index.read_text()


def test_runs_beyond_the_kept_number_are_dropped_with_their_pages(tmp_path, monkeypatch):
    monkeypatch.setattr(data_docs, "KEEP_RUNS", 2)
    first = _run(tmp_path, "raw", "run-1")
    for run in (first, _run(tmp_path, "raw", "run-2"), _run(tmp_path, "raw", "run-3")):
        data_docs.record(tmp_path, run)
    assert [r.run_name for r in data_docs.load(tmp_path)] == ["run-3", "run-2"]
    assert not (tmp_path / first.tables[0].page).exists()


def test_each_gate_keeps_its_own_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(data_docs, "KEEP_RUNS", 1)
    data_docs.record(tmp_path, _run(tmp_path, "raw", "run-1"))
    data_docs.record(tmp_path, _run(tmp_path, "marts", "run-1"))
    assert {r.gate for r in data_docs.load(tmp_path)} == {"raw", "marts"}


def test_a_run_is_named_by_the_airflow_run_it_ran_in(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "social_crm_nightly")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "scheduled__2026-12-02T02:00:00+00:00")
    name = data_docs.run_name("raw", AT)
    assert name == "social_crm_nightly scheduled__2026-12-02T02:00:00+00:00"


def test_an_unreadable_history_starts_again(tmp_path):
    (tmp_path / data_docs.HISTORY).write_text("{not json")
    data_docs.record(tmp_path, _run(tmp_path, "raw", "run-1"))
    assert [r.run_name for r in data_docs.load(tmp_path)] == ["run-1"]


def test_an_entry_with_a_key_of_a_newer_version_is_still_read(tmp_path):
    data_docs.record(tmp_path, _run(tmp_path, "raw", "run-1"))
    rows = json.loads((tmp_path / data_docs.HISTORY).read_text())
    rows[0]["added_later"] = 1
    rows[0]["tables"][0]["added_later"] = 1
    (tmp_path / data_docs.HISTORY).write_text(json.dumps(rows))
    data_docs.record(tmp_path, _run(tmp_path, "raw", "run-2"))
    assert [r.run_name for r in data_docs.load(tmp_path)] == ["run-2", "run-1"]


def test_an_entry_that_is_not_a_gate_run_is_left_out_and_the_others_kept(tmp_path):
    data_docs.record(tmp_path, _run(tmp_path, "raw", "run-1"))
    rows = json.loads((tmp_path / data_docs.HISTORY).read_text())
    (tmp_path / data_docs.HISTORY).write_text(json.dumps(["not a run", {"gate": "raw"}, *rows]))
    assert [r.run_name for r in data_docs.load(tmp_path)] == ["run-1"]
