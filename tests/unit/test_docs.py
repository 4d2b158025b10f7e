"""The documentation against the repository: README.md fits on a screen, and what README.md
and docs/*.md name (links, `make` targets, paths, the layout map) exists.

A doc that names a file, a heading or a make target that is gone fails here, in the file
that names it (one test per document, so one stale doc does not hide another).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pytest

from tests.settings_read import every_setting_read

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = sorted([README, *(REPO / "docs").glob("*.md")])
README_MAX_LINES = 300

# repository paths a doc may name, outside links: checked to exist
PATH_ROOTS = ("include", "dags", "tests", "dbt_project", "tools", "plugins", "bench", "docs")
PATH = re.compile(
    r"(?<![\w./@:-])((?:" + "|".join(PATH_ROOTS) + r")/[\w./<>*-]*)",
)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`]+)`")
MAKE = re.compile(r"(?<![\w./-])make\s+([a-z][\w-]*)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _without_code_blocks(text: str) -> str:
    return FENCE.sub("", text)


def _code(text: str) -> list[str]:
    """The code of a document: its fenced blocks and its code spans (which may break lines)."""
    blocks = FENCE.findall(text)
    return blocks + CODE_SPAN.findall(FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, markup and punctuation dropped, spaces
    to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, title in HEADING.findall(_without_code_blocks(path.read_text())):
        base = slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE))


def test_readme_fits_on_a_screen():
    lines = README.read_text().count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; docs/ takes the rest"


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_relative_link_resolves_to_a_file_and_heading(doc: Path):
    broken = []
    for target in LINK.findall(_without_code_blocks(doc.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists():
            broken.append(f"{target}: no file {file_part}")
        elif anchor and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {_id_or_none(linked)}")
    assert not broken, f"{_id(doc)} links to what is not there:\n" + "\n".join(broken)


def _id_or_none(path: Path) -> str | None:
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return None


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_make_target_named_is_in_the_makefile(doc: Path):
    targets = makefile_targets()
    named = {t for code in _code(doc.read_text()) for t in MAKE.findall(code)}
    assert named <= targets, f"{_id(doc)} names make targets the Makefile lacks: {named - targets}"


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_repository_path_named_exists(doc: Path):
    text = re.sub(r"https?://\S+", "", doc.read_text())
    missing = []
    for found in sorted(set(PATH.findall(text))):
        path = found.rstrip(".,;:")
        pattern = re.sub(r"<[^>]*>", "*", path)
        hit = any(REPO.glob(pattern.rstrip("/"))) if "*" in pattern else (REPO / path).exists()
        if not hit:
            missing.append(path)
    assert not missing, f"{_id(doc)} names paths that do not exist: {missing}"


def layout_map() -> list[str]:
    """The paths of README.md's layout map: each line's name under the folder above it."""
    text = README.read_text()
    section = text.split("\n## Layout\n", 1)[1]
    block = FENCE.search(section)
    assert block, "README.md's Layout section has no map"
    paths, parents = [], []
    for line in block.group(0).splitlines()[1:-1]:
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip(" "))) // 2
        if indent > len(parents):  # a description carried over to the next line
            continue
        name = line.split()[0]
        parents = parents[:indent]
        paths.append("".join(parents) + name)
        if name.endswith("/"):
            parents.append(name)
    return paths


def test_every_entry_of_the_layout_map_exists():
    missing = [path for path in layout_map() if not (REPO / path).exists()]
    assert not missing, f"README.md's layout map names what is not there: {missing}"


def _tracked_folders() -> set[str]:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked folders are unknown")
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return {str(Path(f).parent) + "/" for f in files} | {
        "/".join(f.split("/")[:depth]) + "/" for f in files for depth in range(1, f.count("/") + 1)
    }


# the folders whose every subfolder the map lists (one level down); deeper ones are the
# topic docs' business
MAPPED = ("", "include/social_crm/", "tools/social_crm_dev/", "tests/", "dbt_project/")


def test_the_layout_map_lists_every_top_folder():
    tracked = _tracked_folders()
    listed = set(layout_map())
    unlisted = sorted(
        folder
        for folder in tracked
        for parent in MAPPED
        if folder.startswith(parent)
        and folder.count("/") == parent.count("/") + 1
        and "__pycache__" not in folder
        and not any(entry.startswith(folder) for entry in listed)
        and not (parent == "" and folder.startswith(".") and folder != ".ci/")
    )
    assert not unlisted, f"README.md's layout map leaves out: {unlisted}"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


COMMAND = re.compile(r"(?<![\w./-])social-crm((?:\s+[a-z][\w-]*)+)")


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_social_crm_command_named_exists(doc: Path):
    from social_crm import cli

    top = _commands(cli.build_parser(cli._plugins()))
    unknown = []
    for code in _code(doc.read_text()):
        for words in COMMAND.findall(code):
            command, *rest = words.split()
            if command not in top:
                unknown.append(f"social-crm {command}")
                continue
            actions = _commands(top[command])
            if actions and rest and rest[0] not in actions:
                unknown.append(f"social-crm {command} {rest[0]}")
    assert not unknown, f"{_id(doc)} names commands social-crm lacks: {sorted(set(unknown))}"


BENCH_RUN = re.compile(r"\b(\d{8}T\d{6}Z)\b")


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_bench_run_quoted_has_its_results_file(doc: Path):
    runs = set(BENCH_RUN.findall(doc.read_text()))
    results = REPO / "bench" / "results"
    # a run's file, or a part's of it (`<run>-brands.json`: `bench --only brands`)
    missing = sorted(r for r in runs if not any(results.glob(f"{r}*.json")))
    assert not missing, f"{_id(doc)} quotes bench runs with no bench/results file: {missing}"


def _first_column(doc: Path, header: str) -> set[str]:
    """The code names in the first column of the table whose header row starts `| header |`."""
    lines = doc.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    names = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names |= set(CODE_SPAN.findall(line.split("|")[1]))
    return names


@pytest.mark.parametrize(
    ("doc", "header"),
    [(README, "mart"), (REPO / "docs" / "data-model.md", "mart")],
    ids=lambda value: _id(value) if isinstance(value, Path) else value,
)
def test_the_marts_tables_list_the_catalogs_marts(doc: Path, header: str):
    from social_crm import catalog

    assert _first_column(doc, header) == {mart.name for mart in catalog.MARTS}


def test_the_readme_dag_table_lists_every_dag():
    # a DAG file names its id, or renders a pipeline's step table, which names it
    files = [*(REPO / "dags").glob("*.py"), REPO / "include/social_crm/orchestration/pipelines.py"]
    dag_ids = {
        match for path in files for match in re.findall(r'dag_id="([\w-]+)"', path.read_text())
    }
    assert dag_ids, "no dag_id found in dags/"
    assert _first_column(README, "DAG") == dag_ids


def test_every_setting_the_code_reads_is_in_the_configuration_doc():
    asked = every_setting_read()
    assert {"WAREHOUSE_URL", "X_API_URL", "DEMO_SCALE"} <= asked
    documented = set(CODE_SPAN.findall((REPO / "docs" / "configuration.md").read_text()))
    assert asked - documented == set()


def test_every_connection_extra_is_in_the_configuration_doc():
    from dataclasses import fields

    from social_crm.settings import ApiOptions

    documented = set(CODE_SPAN.findall((REPO / "docs" / "configuration.md").read_text()))
    assert {field.name for field in fields(ApiOptions)} - documented == set()
