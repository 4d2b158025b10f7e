"""The rule that lets a saved dbt parse serve another test database (tests/dbt_parse.py): only
when the database's name is all that differs, every occurrence of it replaced."""

import json
import os
import shutil
import subprocess
import sys

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.dbt_parse import profile_checksum, retarget

names = st.text("0123456789abcdef", min_size=12, max_size=12).map(lambda h: f"test_{h}")


def connection_keys(database: str, host: str = "127.0.0.1", port: int = 5432) -> list[tuple]:
    return [("host", host), ("port", port), ("user", "postgres"), ("database", database)]


def saved_parse(keys: list[tuple]) -> bytes:
    """A saved parse's shape, as dbt writes it: nodes naming the database, the profile hash."""
    database = dict(keys)["database"]
    return msgpack.packb(
        {
            "nodes": {
                f"model.p.m{i}": {
                    "database": database,
                    "relation_name": f'"{database}"."marts"."m{i}"',
                }
                for i in range(3)
            },
            "state_check": {"profile_hash": {"name": "sha256", "checksum": profile_checksum(keys)}},
        }
    )


@given(names, names)
def test_a_parse_for_another_test_database_names_the_current_one_only(old, new):
    moved = retarget(saved_parse(connection_keys(old)), connection_keys(new))

    if old == new:
        assert moved is None
    else:
        assert moved == saved_parse(connection_keys(new))
        assert old.encode() not in moved


@given(names, names)
def test_a_parse_for_another_server_is_not_retargeted(old, new):
    saved = saved_parse(connection_keys(old, port=5433))

    assert retarget(saved, connection_keys(new, port=5432)) is None


def test_a_parse_for_a_database_not_named_as_a_test_one_is_not_retargeted():
    saved = saved_parse(connection_keys("social_crm_prod"))

    assert retarget(saved, connection_keys("test_0123456789ab")) is None


# a parse in a process of its own, with the hook installed: dbt's flags and the hook's last
# saved parse are per process, and a parse the suite's other tests made in this worker
# must not be its starting point
_PARSE = (
    "import sys; from tests import dbt_parse; dbt_parse.install();"
    " from dbt.cli.main import dbtRunner;"
    " sys.exit(0 if dbtRunner().invoke(sys.argv[1:]).success else 1)"
)


@pytest.mark.slow
def test_dbt_parses_for_a_new_test_database_from_the_saved_parse_changed_files_again(tmp_path):
    from social_crm.paths import dbt_project_dir, repo_root

    project = tmp_path / "dbt_project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    env = {
        **os.environ,
        "WAREHOUSE_HOST": "127.0.0.1",
        "WAREHOUSE_PORT": "5999",
        "WAREHOUSE_USER": "u",
        "WAREHOUSE_PASSWORD": "",
        "DBT_TARGET_PATH": str(project / "target"),
        "DBT_LOG_PATH": str(project / "logs"),
    }

    def parse(database: str) -> dict:
        args = ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
        subprocess.run(
            [sys.executable, "-c", _PARSE, *args],
            env={**env, "WAREHOUSE_DB": database},
            cwd=repo_root(),
            check=True,
        )
        return json.loads((project / "target" / "manifest.json").read_text())

    parse("test_aaaaaaaaaaaa")
    people = project / "models" / "marts" / "crm" / "people.sql"
    people.write_text(people.read_text() + "\n-- changed\n")
    manifest = parse("test_bbbbbbbbbbbb")

    log = (project / "logs" / "dbt.log").read_text()
    assert log.count("Unable to do partial parsing") == 1  # the first parse only
    assert "0 files deleted, 0 files added, 1 files changed" in log
    assert {node["database"] for node in manifest["nodes"].values()} == {"test_bbbbbbbbbbbb"}
    assert "-- changed" in manifest["nodes"]["model.social_crm.people"]["raw_code"]
