"""Where the project lives on disk, as the settings say: checkout, local state, dbt, DAGs."""

from __future__ import annotations

from pathlib import Path

from social_crm import settings


def repo_root() -> Path:
    """The project checkout (`SOCIAL_CRM_HOME`, else the one the package is installed from)."""
    return settings.load().home


def local_dir() -> Path:
    """Machine-local state (dbt manifest and docs, Data Docs); gitignored, survives restarts."""
    path = settings.load().local_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return settings.load().dbt_project_dir


def dags_dir() -> Path:
    return repo_root() / "dags"


def plugins_dir() -> Path:
    return repo_root() / "plugins"
