"""Every dbt unit test of the project, run once on a copy of the built test world. The worlds'
nightly builds leave them out (their inputs are fixed, the same in every build:
conftest.WITHOUT_DBT_UNIT_TESTS); production's nightly runs them in every build."""

from pathlib import Path

import yaml

from social_crm.paths import dbt_project_dir
from social_crm.transform import dbt_runner
from tests.end_to_end.conftest import WITHOUT_DBT_UNIT_TESTS, world_now


def project_unit_tests(project: Path) -> set[str]:
    """The names of the unit tests the project's model files declare."""
    names = set()
    for path in sorted((project / "models").rglob("*.yml")):
        declared = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= {test["name"] for test in declared.get("unit_tests") or []}
    return names


def test_every_dbt_unit_test_of_the_project_passes(changed_build, monkeypatch):
    pipeline, _ = changed_build
    for name in WITHOUT_DBT_UNIT_TESTS:
        monkeypatch.delenv(name)  # the production behaviour: unit tests included

    result = dbt_runner.run(
        "test", "--select", "test_type:unit", env=dbt_runner.as_of_env(world_now(pipeline.sim))
    )

    ran = {uid.rsplit(".", 1)[-1]: status for uid, status in result.statuses.items()}
    expected = project_unit_tests(dbt_project_dir())
    assert expected, "the project declares no dbt unit test"
    assert ran == dict.fromkeys(expected, "pass")
