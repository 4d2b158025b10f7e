"""The dbt docs site is regenerated when the project's source or the warehouse changes, and
only then: the fingerprint covers both, and not what dbt writes into the project."""

from social_crm.transform.dbt_docs import fingerprint


def _project(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1 as a")
    (tmp_path / "dbt_project.yml").write_text("name: p")
    return tmp_path


def test_same_project_and_warehouse_same_fingerprint(tmp_path):
    project = _project(tmp_path)
    before = fingerprint(project, "localhost:5432/crm")
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")  # dbt's output, not source
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("ran")
    assert fingerprint(project, "localhost:5432/crm") == before


def test_a_changed_model_a_new_file_or_another_warehouse_changes_it(tmp_path):
    project = _project(tmp_path)
    before = fingerprint(project, "localhost:5432/crm")
    assert fingerprint(project, "localhost:5432/other") != before
    (project / "models" / "a.sql").write_text("select 2 as a")
    edited = fingerprint(project, "localhost:5432/crm")
    assert edited != before
    (project / "models" / "b.sql").write_text("select 1 as b")
    assert fingerprint(project, "localhost:5432/crm") not in {before, edited}
