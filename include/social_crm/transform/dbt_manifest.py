"""The dbt manifest the DAGs are rendered from.

Cosmos renders one Airflow task per dbt node from `manifest.json` (fast: no `dbt ls` at DAG
parse time). The manifest is produced by `dbt parse`, which needs no warehouse connection; it is
rebuilt when a file of the dbt project is newer than it, so a new model shows up in the DAG on
the next parse without a manual step.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from social_crm.paths import dbt_project_dir, local_dir

log = logging.getLogger(__name__)

# profiles.yml reads these; `dbt parse` never connects, so any well-formed value does
_PARSE_ENV = {
    "WAREHOUSE_HOST": "localhost",
    "WAREHOUSE_PORT": "5432",
    "WAREHOUSE_USER": "parse",
    "WAREHOUSE_PASSWORD": "",
    "WAREHOUSE_DB": "parse",
}
_PROJECT_PARTS = ("dbt_project.yml", "models", "seeds", "macros", "tests")


class ManifestError(RuntimeError):
    """`dbt parse` failed: the project has an error that dbt reports in the message."""


def manifest_path() -> Path:
    return local_dir() / "dbt_manifest" / "manifest.json"


def _newest_project_file(project: Path) -> float:
    newest = 0.0
    for part in _PROJECT_PARTS:
        path = project / part
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        for child in path.rglob("*") if path.is_dir() else ():
            newest = max(newest, child.stat().st_mtime)
    return newest


def is_stale(path: Path | None = None) -> bool:
    path = path or manifest_path()
    return not path.exists() or path.stat().st_mtime < _newest_project_file(dbt_project_dir())


def ensure_manifest() -> Path:
    """The path of an up-to-date manifest.json, running `dbt parse` first when needed."""
    path = manifest_path()
    if not is_stale(path):
        return path
    from dbt.cli.main import dbtRunner

    from social_crm.transform.dbt_runner import environment

    project = dbt_project_dir()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as target:
        args = ["parse", "--project-dir", str(project), "--profiles-dir", str(project)]
        args += ["--target-path", target, "--no-partial-parse", "--quiet"]
        with environment(_PARSE_ENV):
            outcome = dbtRunner().invoke(args)
        if not outcome.success:
            raise ManifestError(f"dbt parse of {project} failed: {outcome.exception}")
        # atomic: a DAG parse running at the same time sees the old or the new manifest
        os.replace(Path(target) / "manifest.json", path)
    log.info("dbt manifest written to %s", path)
    return path


def load_manifest() -> dict[str, Any]:
    """The up-to-date manifest (`ensure_manifest`), parsed; parsed again only when the file
    changed (a DAG file renders three dbt groups from it at every parse). Read it, never
    change it: callers share it."""
    path = ensure_manifest()
    return _parsed(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _parsed(path: str, mtime_ns: int) -> dict[str, Any]:  # the cache key
    return json.loads(Path(path).read_text())
