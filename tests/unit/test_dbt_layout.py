"""The dbt project's layout (docs/dbt-layout.md): intermediate models grouped by area with their
properties beside them, each config written once (a folder's in dbt_project.yml, not again in a
model's or a test's properties), and the live selections building every view that sits between
their models. Read from the manifest `dbt parse` writes (no warehouse)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from social_crm.paths import dbt_project_dir
from social_crm.transform.dbt_manifest import load_manifest
from social_crm.transform.dbt_selections import LIVE_MESSAGES, LIVE_QUEUE


def _models() -> list[dict[str, Any]]:
    return [node for node in load_manifest()["nodes"].values() if node["resource_type"] == "model"]


def _intermediate_models() -> list[dict[str, Any]]:
    return [
        node
        for node in _models()
        if PurePosixPath(node["original_file_path"]).parts[:2] == ("models", "intermediate")
    ]


def test_every_intermediate_model_sits_in_an_area_folder():
    loose = [
        node["original_file_path"]
        for node in _intermediate_models()
        if len(PurePosixPath(node["original_file_path"]).parts) != 4
    ]
    assert loose == [], "models/intermediate/<area>/<model>.sql"


def test_every_intermediate_model_has_its_properties_beside_it():
    elsewhere = []
    for node in _intermediate_models():
        sql = PurePosixPath(node["original_file_path"])
        yml = PurePosixPath((node.get("patch_path") or "none://").split("://", 1)[1])
        if yml.parent != sql.parent:
            elsewhere.append((str(sql), str(yml)))
    assert elsewhere == []


def _folder_configs(tree: dict[str, Any], folders: tuple[str, ...]) -> dict[str, Any]:
    """The `+key` configs dbt_project.yml sets on `folders` (a path under the project), the
    deepest folder's winning."""
    configs: dict[str, Any] = {}
    node = tree.get("social_crm", {})
    for part in ("", *folders):
        node = node.get(part, {}) if part else node
        if not isinstance(node, dict):
            break
        configs.update({k[1:]: v for k, v in node.items() if k.startswith("+")})
    return configs


def _test_configs(entries: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(test name, its config) of a `data_tests:` list."""
    found = []
    for entry in entries or ():
        if isinstance(entry, dict):
            for name, body in entry.items():
                found.append((name, (body or {}).get("config") or {}))
    return found


def _repeated_configs() -> list[str]:
    project = dbt_project_dir()
    settings = yaml.safe_load((project / "dbt_project.yml").read_text())
    repeated = []
    for path in sorted((project / "models").rglob("*.yml")):
        folders = path.relative_to(project).parent.parts
        model_folder = _folder_configs(settings.get("models", {}), folders)
        test_folder = _folder_configs(settings.get("data_tests", {}), folders)
        for model in yaml.safe_load(path.read_text()).get("models") or ():
            where = f"{path.relative_to(project)}: {model['name']}"
            for key, value in (model.get("config") or {}).items():
                if key in model_folder and model_folder[key] == value:
                    repeated.append(f"{where}: {key}")
            tests = _test_configs(model.get("data_tests"))
            for column in model.get("columns") or ():
                tests += _test_configs(column.get("data_tests"))
            for name, config in tests:
                for key, value in config.items():
                    if key in test_folder and test_folder[key] == value:
                        repeated.append(f"{where}: {name}: {key}")
    return repeated


def test_no_properties_file_repeats_a_config_its_folder_sets():
    assert _repeated_configs() == []


@pytest.mark.parametrize(
    "selection", [LIVE_MESSAGES.select, LIVE_QUEUE.select], ids=["messages", "queue"]
)
def test_the_live_selections_build_the_views_between_their_models(selection):
    """A view the live models read that itself reads a live model is rebuilt by the live run:
    a full refresh of a staging table drops the views on it, and a new definition of one
    should not wait for the nightly."""
    live = set(LIVE_MESSAGES.select) | set(LIVE_QUEUE.select)
    nodes = load_manifest()["nodes"]
    missing = set()
    for node in nodes.values():
        if node["resource_type"] != "model" or node["name"] not in selection:
            continue
        for parent in (nodes.get(key) for key in node["depends_on"]["nodes"]):
            if (
                parent
                and parent["resource_type"] == "model"
                and parent["config"]["materialized"] == "view"
                and parent["name"] not in live
                and any(
                    nodes[key]["name"] in live
                    for key in parent["depends_on"]["nodes"]
                    if key in nodes
                )
            ):
                missing.add(parent["name"])
    assert missing == set()
