"""Where the project lives on disk: repository root, local state, dbt project, DAGs."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository checkout (the package is installed in editable mode from `include/`)."""
    override = os.environ.get("SOCIAL_CRM_HOME")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[2]


def local_dir() -> Path:
    """Machine-local state (embedded warehouse, Airflow home); gitignored, survives restarts."""
    override = os.environ.get("SOCIAL_CRM_LOCAL_DIR")
    path = Path(override).resolve() if override else repo_root() / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return Path(os.environ.get("DBT_PROJECT_DIR", repo_root() / "dbt_project")).resolve()


def dags_dir() -> Path:
    return repo_root() / "dags"


def plugins_dir() -> Path:
    return repo_root() / "plugins"
