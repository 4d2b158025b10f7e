"""The pipelines' step tables, the one as-of rule and the one door to Cosmos: properties that
hold without a warehouse (the DAGs rendered from the tables:
tests/dags/test_dags_match_step_tables.py)."""

from __future__ import annotations

import ast
import inspect
import tomllib
from datetime import UTC, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.orchestration import steps
from social_crm.orchestration.pipelines import PIPELINES
from social_crm.paths import repo_root
from social_crm.transform import as_of, cosmos_adapter

PACKAGE = repo_root() / "include" / "social_crm"
CALLED = [
    pytest.param(pipeline, step, id=f"{pipeline.dag_id}.{step.name}")
    for pipeline in PIPELINES
    for step in pipeline.steps
    if step.call is not None
]


@pytest.mark.parametrize(("pipeline", "step"), CALLED)
def test_each_step_names_a_function_that_takes_what_the_step_gives_it(pipeline, step):
    function = steps.resolve(step.call)
    inspect.signature(function).bind(*step.args, **{name: None for name in step.inputs})


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda p: p.dag_id)
def test_each_step_needs_only_steps_before_it(pipeline):
    seen: set[str] = set()
    for step in pipeline.steps:
        assert set(step.needs) <= seen, step.name
        seen.add(step.name)


NAMES = st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=8, unique=True)


@given(NAMES.flatmap(lambda names: st.tuples(st.just(names), st.permutations(names))))
def test_a_table_whose_step_needs_a_later_one_is_refused_naming_both(order):
    names, needed = order
    # each step needs the one `needed` puts just before it
    need = {name: needed[needed.index(name) - 1] for name in needed[1:]}
    table = tuple(
        steps.Step(name, "doc", call="m:f", needs=(need[name],) if name in need else ())
        for name in names
    )
    late = [name for i, name in enumerate(names) if name in need and need[name] not in names[:i]]
    if late:
        with pytest.raises(ValueError, match=f"step {late[0]} needs {need[late[0]]}"):
            steps.Pipeline("p", "p", table)
    else:
        assert steps.Pipeline("p", "p", table).names() == names


MOMENTS = st.datetimes(timezones=st.just(UTC))


@given(st.none() | MOMENTS, st.none() | MOMENTS)
def test_a_runs_as_of_is_its_interval_end_else_when_it_was_due(interval_end, run_after):
    context = {"data_interval_end": interval_end, "dag_run": SimpleNamespace(run_after=run_after)}
    expected = interval_end if interval_end is not None else run_after
    assert as_of.of_run(interval_end, run_after) == expected
    assert as_of.of_context(context) == expected


OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(timezones=OFFSETS))
def test_an_as_of_given_on_the_command_line_keeps_its_instant(moment):
    assert as_of.parse(moment.isoformat()) == moment
    assert as_of.parse(moment.isoformat()).utcoffset() == moment.utcoffset()


@given(st.datetimes())
def test_an_as_of_without_utc_offset_is_refused_naming_the_option(moment):
    with pytest.raises(ValueError, match="--as-of needs a UTC offset"):
        as_of.parse(moment.isoformat())


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00+00:00", ""])
def test_an_as_of_that_is_no_timestamp_is_refused_with_an_example(text):
    with pytest.raises(ValueError, match="--as-of must be an ISO 8601 timestamp .* 2026-03-01"):
        as_of.parse(text)


def test_the_command_line_refuses_a_bad_as_of_before_running_anything(capsys):
    from social_crm import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["nightly", "--as-of", "2026-03-01 02:00"])
    assert exit_info.value.code == 2
    assert "--as-of needs a UTC offset" in capsys.readouterr().err


@given(st.integers(0, 3), st.integers(0, 40), st.integers(0, 9), st.sampled_from(["", "rc1"]))
def test_cosmos_outside_the_supported_range_is_refused_naming_the_range(major, minor, patch, pre):
    installed = f"{major}.{minor}.{patch}{pre}"
    (low, high) = cosmos_adapter.SUPPORTED
    if low <= (major, minor) < high:
        cosmos_adapter.check_version(installed)
    else:
        with pytest.raises(cosmos_adapter.CosmosVersionError) as refused:
            cosmos_adapter.check_version(installed)
        message = str(refused.value)
        assert f"astronomer-cosmos {installed} is installed" in message
        assert f"astronomer-cosmos{cosmos_adapter.supported_range()}" in message


def test_pyproject_pins_cosmos_to_the_range_its_adapter_supports():
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    pins = [dep for dep in project["dependencies"] if dep.startswith("astronomer-cosmos")]
    assert pins == [f"astronomer-cosmos{cosmos_adapter.supported_range()}"]


def _imports(path):
    """The modules a file imports, at the top or inside functions."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_only_the_adapter_imports_cosmos():
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name == "cosmos" or name.startswith("cosmos.") for name in _imports(path))
    )
    assert importers == ["transform/cosmos_adapter.py"]


def _module_graph(folders):
    modules = {
        "social_crm." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for folder in folders
        for path in (PACKAGE / folder).glob("*.py")
    }
    return {
        module: {name for name in _imports(path) if name in modules and name != module}
        for module, path in modules.items()
    }


def test_the_dbt_glue_and_orchestration_modules_import_no_circle():
    graph = _module_graph(["transform", "orchestration"])
    circles = []

    def visit(module, path):
        for imported in graph[module]:
            if imported in path:
                circles.append(path[path.index(imported) :] + [imported])
            elif imported not in done:
                visit(imported, [*path, imported])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert circles == []


@given(NAMES, st.data())
def test_a_run_calls_each_step_in_the_tables_order_up_to_until(names, data):
    table = steps.Pipeline(
        "p", "p", tuple(steps.Step(n, "doc", call="builtins:str", args=(n,)) for n in names)
    )
    until = data.draw(st.none() | st.sampled_from(names))
    ended: list[str] = []
    results = steps.run(table, progress=lambda name, _s, result: ended.append(result), until=until)
    ran = names if until is None else names[: names.index(until) + 1]
    assert ended == ran
    assert [name for name in results if name in names] == ran
    assert list(results["step_seconds"]) == ran


@given(NAMES, st.data())
def test_a_run_ends_quietly_at_the_step_raising_what_the_pipeline_stops_on(names, data):
    stopping = data.draw(st.sampled_from(names))
    table = steps.Pipeline(
        "p",
        "p",
        tuple(
            steps.Step(n, "doc", call="operator:truediv", args=(1, 0 if n == stopping else 1))
            for n in names
        ),
        stops_on="builtins:ZeroDivisionError",
    )
    results = steps.run(table)
    ran = names[: names.index(stopping)]
    assert list(results["step_seconds"]) == ran
    assert str(results[stopping]).startswith("skipped: division by zero")
    assert not set(names[names.index(stopping) + 1 :]) & set(results)


def test_a_run_fails_on_what_the_pipeline_does_not_stop_on():
    table = steps.Pipeline(
        "p", "p", (steps.Step("a", "doc", call="operator:truediv", args=(1, 0)),)
    )
    with pytest.raises(ZeroDivisionError):
        steps.run(table)
