"""Every DAG imports cleanly and follows the project's DAG rules."""

import subprocess
import sys
from pathlib import Path

from social_crm.paths import dags_dir, repo_root
from social_crm.transform.cosmos_groups import is_producer_task, model_of_task


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "social_crm_nightly" in dagbag.dag_ids


def test_every_dag_follows_the_rules(dagbag):
    problems = []
    for dag_id, dag in dagbag.dags.items():
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if dag.catchup:
            problems.append(f"{dag_id}: catchup must be False")
        if not dag.doc_md or len(dag.doc_md.strip()) < 40:
            problems.append(f"{dag_id}: doc_md missing or too short")
        if dag.timetable is None:
            problems.append(f"{dag_id}: no schedule")
        for task in dag.tasks:
            if task.owner in (None, "", "airflow"):
                problems.append(f"{dag_id}.{task.task_id}: owner not set")
            checks_data = task.task_id.startswith("validate_")
            if checks_data and task.retries:
                problems.append(f"{dag_id}.{task.task_id}: a data check must not be retried")
            # a group's whole `dbt build` is not run twice: its failed models' tasks retry (a
            # failed data test fails its model's task without a retry: cosmos_watchers.py)
            if not checks_data and not is_producer_task(task) and (task.retries or 0) < 1:
                problems.append(f"{dag_id}.{task.task_id}: retries < 1")
    assert problems == []


def _run_tasks(dag):
    """Model -> its task ids (`group.model_run`)."""
    runs: dict[str, list[str]] = {}
    for task_id in dag.task_ids:
        model = model_of_task(task_id)
        if model:
            runs.setdefault(model, []).append(task_id)
    return runs


def test_nightly_renders_a_task_per_model(dagbag):
    """Cosmos renders the dbt project from the manifest: every model gets one task, inside the
    staging, identity or marts group; scoring sits between the groups."""

    from social_crm.transform.dbt_manifest import load_manifest

    dag = dagbag.dags["social_crm_nightly"]
    nodes = load_manifest()["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    assert set(_run_tasks(dag)) == models
    score = dag.get_task("score_influence_and_clv")
    assert any(t.startswith("dbt_staging.") for t in score.get_flat_relative_ids(upstream=True))
    assert all(not t.startswith("dbt_marts.") for t in score.get_flat_relative_ids(upstream=True))
    assert "score_influence_and_clv" in dag.get_task("dbt_marts.people_run").get_flat_relative_ids(
        upstream=True
    )


def test_each_group_build_runs_the_tests_its_model_tasks_report(dagbag):
    """No test tasks: the producer's `dbt build` keeps the tests (no --resource-type filter),
    and every data test of the project whose models the nightly builds is reported by the
    task of a model it tests."""
    from social_crm.transform.dbt_manifest import load_manifest

    dag = dagbag.dags["social_crm_nightly"]
    producers = [t for t in dag.tasks if is_producer_task(t)]
    assert all("--resource-type" not in (p.dbt_cmd_flags or []) for p in producers)
    reported = {test for p in producers for tests in p.tests_per_model.values() for test in tests}
    built = {t.model_unique_id for t in dag.tasks if getattr(t, "model_unique_id", None)}
    manifest = load_manifest()
    tests = {
        uid
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "test" and set(n["depends_on"]["nodes"]) <= built
    }
    assert tests and tests <= reported
    assert not any(t.task_id.endswith(".test") for t in dag.tasks)


def test_nightly_runs_each_model_once(dagbag):
    dag = dagbag.dags["social_crm_nightly"]
    seeds = [t.split(".")[-1] for t in dag.task_ids if t.endswith("_seed")]
    runs = [model for model, tasks in _run_tasks(dag).items() for _ in tasks] + seeds
    assert seeds and sorted(runs) == sorted(set(runs))


def test_each_dbt_group_runs_one_build_before_its_model_tasks(dagbag):
    """WATCHER mode: a producer task runs the group's `dbt build`; every other task of the
    group runs after it and reports one node."""
    dag = dagbag.dags["social_crm_nightly"]
    for group in ("dbt_staging", "dbt_identity_links", "dbt_marts"):
        tasks = [t for t in dag.tasks if t.task_id.startswith(group + ".")]
        producers = [t for t in tasks if is_producer_task(t)]
        assert len(producers) == 1, group
        after = producers[0].get_flat_relative_ids(upstream=False)
        assert {t.task_id for t in tasks} - {producers[0].task_id} <= after, group


def test_sentiment_is_scored_after_erasure_and_before_the_marts_read_it(dagbag):
    dag = dagbag.dags["social_crm_nightly"]
    upstream = dag.get_task("score_sentiment").get_flat_relative_ids(upstream=True)
    assert {"apply_erasure_requests", "dbt_staging.int_message_texts_run"} <= upstream
    reader = dag.get_task("dbt_marts.int_message_sentiment_run")
    assert "score_sentiment" in reader.get_flat_relative_ids(upstream=True)


def test_influence_and_clv_are_scored_after_erasure(dagbag):
    dag = dagbag.dags["social_crm_nightly"]
    upstream = dag.get_task("score_influence_and_clv").get_flat_relative_ids(upstream=True)
    assert "apply_erasure_requests" in upstream


def test_sentiment_and_influence_are_scored_side_by_side(dagbag):
    dag = dagbag.dags["social_crm_nightly"]
    sentiment = dag.get_task("score_sentiment")
    assert "score_influence_and_clv" not in sentiment.get_flat_relative_ids(upstream=True)
    assert "score_influence_and_clv" not in sentiment.get_flat_relative_ids(upstream=False)


PARSE_TIME_MODULES = tuple(
    f"from social_crm.{module} import"
    for module in (
        "orchestration.assets",
        "orchestration.dag_defaults",
        "orchestration.dag_tasks",
        "orchestration.pipelines",
    )
)


def test_dag_files_have_no_top_level_project_or_db_imports():
    """DAG files only wire tasks: project code is imported inside tasks, at run time. The
    exceptions are light modules needed at parse time: Assets (outlets and schedules), the
    shared defaults, the step tables and what renders them (Cosmos task groups from the
    manifest, no database)."""
    for path in Path(dags_dir()).glob("*.py"):
        top_level = [
            line
            for line in path.read_text().splitlines()
            if line.startswith(("import ", "from ")) and not line.startswith(PARSE_TIME_MODULES)
        ]
        offenders = [
            line
            for line in top_level
            if any(mod in line for mod in ("social_crm", "psycopg", "sqlalchemy", "dbt", "pandas"))
        ]
        assert offenders == [], f"{path.name}: {offenders}"


def test_ruff_with_airflow_rules_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "AIR", "dags", "include", "plugins"],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nightly_runs_at_two_and_on_raw_asset_updates(dagbag):
    timetable = dagbag.dags["social_crm_nightly"].timetable  # no metadata DB needed
    assert timetable.timetable.expression == "0 2 * * *"
    watched = {asset.name for asset in timetable.asset_condition.objects[0].objects}
    assert {"raw.x_tweets", "raw.facebook_comments", "raw.crm_orders"} <= watched
