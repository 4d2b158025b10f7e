"""Data Docs that open from disk with no network and keep history.

Great Expectations renders each validation's page (`validations/<table>/<run>/...html`); its
own index is left out: it is drawn by scripts from CDNs (blank offline) and rebuilt from the
validations of one process only (the raw gate's pages were dropped by the marts gate's). Our
index is plain HTML with its styles inline: every gate run of the last `KEEP_RUNS` runs per
gate of each DAG (the nightly's raw gate is not pushed out by the live DAG's, which runs
every 10 minutes), named by the Airflow run that made it, with each table's result, the
failures in words and a link to the table's page. Older runs' pages are deleted with their
entry. `runs.json` beside the index holds the same history for tools.
"""

from __future__ import annotations

import fcntl
import html
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

KEEP_RUNS = 20  # per DAG and gate (raw, marts, each live queue check)
HISTORY = "runs.json"
INDEX = "index.html"


@dataclass
class TablePage:
    table: str
    checked: int
    failed: int
    page: str  # relative to the Data Docs folder; "" when not rendered


@dataclass
class GateRun:
    gate: str
    run_name: str
    at: str
    tables: list[TablePage]
    failures: list[str] = field(default_factory=list)
    dag: str = ""  # the DAG (or the command's pipeline) whose gate it is; its history is its own

    @property
    def passed(self) -> bool:
        return not self.failures


def dag_of(pipeline: str = "") -> str:
    """The DAG a gate runs in: its Airflow task's (a context variable), else `pipeline`, the
    DAG whose steps a command runs in one process (`social-crm nightly`, `live`)."""
    return os.environ.get("AIRFLOW_CTX_DAG_ID") or pipeline


def run_name(gate: str, now: datetime, pipeline: str = "") -> str:
    """The Airflow run a gate ran in (its task's context variables), else the pipeline (or
    the gate) and the time."""
    dag, run = os.environ.get("AIRFLOW_CTX_DAG_ID"), os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")
    if dag and run:
        return f"{dag} {run}"
    return f"{pipeline or gate} {now.strftime('%Y-%m-%dT%H%M%SZ')}"


def record(docs: Path, run: GateRun) -> Path:
    """Add `run` to the history, drop the runs of its DAG's gate beyond KEEP_RUNS (and their
    pages), and write the index again. Returns the index's path."""
    docs.mkdir(parents=True, exist_ok=True)
    with _locked(docs):
        runs = [run, *load(docs)]
        kept: list[GateRun] = []
        dropped: list[GateRun] = []
        per_gate: dict[tuple[str, str], int] = {}
        for each in runs:
            key = (each.dag, each.gate)
            per_gate[key] = per_gate.get(key, 0) + 1
            (kept if per_gate[key] <= KEEP_RUNS else dropped).append(each)
        for old in dropped:
            _delete_pages(docs, old)
        history = docs / HISTORY
        history.with_suffix(".tmp").write_text(json.dumps([asdict(r) for r in kept], indent=1))
        history.with_suffix(".tmp").replace(history)
        (docs / INDEX).write_text(render_index(kept), encoding="utf-8")
    return docs / INDEX


def load(docs: Path) -> list[GateRun]:
    """The history, newest first."""
    path = docs / HISTORY
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text())
    except ValueError:
        # a history we cannot read is started again, never fatal to a gate
        log.warning("Data Docs: %s is not readable JSON; the history starts again", path)
        return []
    runs = []
    for row in rows if isinstance(rows, list) else []:
        try:
            tables = [TablePage(**_known(TablePage, t)) for t in row.get("tables", [])]
            runs.append(GateRun(**{**_known(GateRun, row), "tables": tables}))
        except (AttributeError, TypeError):
            # an entry of another shape (hand-edited, or of another version) is left out
            log.warning("Data Docs: an entry of %s is not a gate run; left out", path)
    return runs


def _known(kind: type, row: dict) -> dict:
    """`row`'s keys that are fields of the dataclass `kind` (a newer version's keys dropped)."""
    return {key: value for key, value in row.items() if key in {f.name for f in fields(kind)}}


def _delete_pages(docs: Path, run: GateRun) -> None:
    root = docs.resolve()
    for table in run.tables:
        if not table.page:
            continue
        page = (docs / table.page).resolve()
        if root not in page.parents:
            continue  # never outside the folder
        # validations/<suite parts>/<run name>/<run time>/<batch>.html: the run time's folder
        folder = page.parent
        shutil.rmtree(folder, ignore_errors=True)
        for parent in folder.parents:  # the run name's folder and up, once empty
            if parent == root or root not in parent.parents or any(parent.iterdir()):
                break
            parent.rmdir()


@contextmanager
def _locked(docs: Path) -> Iterator[None]:
    """One writer at a time (the live DAG's gate may run beside the nightly's)."""
    with open(docs / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2430}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;margin:.3rem 0 1rem}
td,th{border:1px solid #d5d9e0;padding:.25rem .6rem;text-align:left;font-size:.9rem}
.ok{color:#176b2c}.bad{color:#a8161b;font-weight:600}ul{margin:.2rem 0}
.failures li{font-family:ui-monospace,monospace;font-size:.85rem}
"""


def render_index(runs: list[GateRun]) -> str:
    """The index: newest run first, each with its tables and failures (no script, no CDN)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Data Docs: quality gate runs</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Quality gate runs</h1>",
        f"<p>The last {KEEP_RUNS} runs of each gate of each DAG, newest first. Each table "
        "links to its validation page (rendered by Great Expectations).</p>",
    ]
    if not runs:
        parts.append("<p>No gate has run yet.</p>")
    for run in runs:
        verdict = "passed" if run.passed else f"failed ({len(run.failures)})"
        parts.append(
            f"<h2>{html.escape(run.gate)} gate: {html.escape(run.run_name)} "
            f"<span class='{'ok' if run.passed else 'bad'}'>{verdict}</span></h2>"
            f"<div>{html.escape(run.at)}</div>"
        )
        parts.append("<table><tr><th>table</th><th>checks</th><th>failed</th></tr>")
        for table in run.tables:
            name = html.escape(table.table)
            if table.page:
                name = f"<a href='{html.escape(table.page)}'>{name}</a>"
            css = "bad" if table.failed else "ok"
            parts.append(
                f"<tr><td>{name}</td><td>{table.checked}</td>"
                f"<td class='{css}'>{table.failed}</td></tr>"
            )
        parts.append("</table>")
        if run.failures:
            parts.append("<ul class='failures'>")
            parts += [f"<li>{html.escape(failure)}</li>" for failure in run.failures]
            parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
