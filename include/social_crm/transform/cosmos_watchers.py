"""The task of one dbt model or seed that also reports that node's data tests.

Cosmos' WATCHER mode renders a `run` task and a `test` task per model. Under `dag.test()` and
under a scheduler alike a task costs its own start-up (about 0.1 s in process, seconds as a
worker's process), whatever it reports: half of a nightly's tasks were test tasks. Here the
group is rendered without test tasks (TestBehavior.NONE) while its producer still runs
`dbt build` with the tests, and each model's task reports the model, then each of its tests
as the producer recorded them (`results_of_tests_key`). A failed model fails its task and the
task is retried: the retry runs `dbt build` of that model and its tests. A failed test fails
the task without a retry (AirflowFailException): a failed data test is a finding.

Before its tests, the task logs one line on its node: dbt's status, the rows the statement
affected (dbt's `adapter_response.rows_affected` in run_results: a view or a statement that
reports none has no count) and the link to the node's page of the dbt docs inside the Airflow
UI (docs_links.py), from what the producer recorded (`outcome_key`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from social_crm.transform.cosmos_adapter import (
    DbtRunWatcherOperator,
    DbtSeedWatcherOperator,
    producer_xcom,
)

# the statuses of a dbt node that failed
FAILED_STATUSES = ("error", "fail", "runtime error")


def results_of_tests_key(node: str) -> str:
    """The producer's XCom key holding the results of the tests of `node`."""
    return f"{node.replace('.', '__')}_tests_results"


def outcome_key(node: str) -> str:
    """The producer's XCom key holding the outcome of `node` in its build (`outcome`)."""
    return f"{node.replace('.', '__')}_outcome"


def outcome(run_result: Any) -> dict[str, Any]:
    """What a node's task reports of its result in a `dbt build` (a dbt RunResult): status,
    rows affected (None when the statement reports none: dbt-postgres gives -1 for a view),
    dbt's code for the statement and the seconds it took."""
    response = run_result.adapter_response or {}
    rows = response.get("rows_affected")
    return {
        "status": str(run_result.status),
        "rows_affected": rows if isinstance(rows, int) and rows >= 0 else None,
        "code": response.get("code") or response.get("_message"),
        "seconds": round(run_result.execution_time or 0.0, 2),
    }


def describe_outcome(node: str, result: dict[str, Any] | None, link: str) -> str:
    """The log line of a node's task on its node: status, rows affected, its docs."""
    if result is None:
        return f"{node}: no result recorded by this build; docs: {link}"
    rows = result.get("rows_affected")
    counted = f"{rows} rows affected" if rows is not None else "rows affected: not reported"
    code = f" ({result['code']})" if result.get("code") else ""
    return (
        f"{node}: {result['status']}, {counted}{code}, {result.get('seconds', 0):.2f}s;"
        f" docs: {link}"
    )


def report_tests(node: str, results: list[dict[str, Any]] | None, log: Any) -> None:
    """Log each test of `node` and its status; raise AirflowFailException when one failed."""
    if not results:
        log.info("%s: no data test of it ran in this build", node)
        return
    for result in results:
        log.info("test %s: %s %s", result["test"], result["status"], result.get("message") or "")
    failed = [r["test"] for r in results if r["status"] in FAILED_STATUSES]
    if failed:
        raise AirflowFailException(
            f"{len(failed)} of {len(results)} data tests of {node} failed: {', '.join(failed)}"
        )
    log.info("%s: all %d data tests passed", node, len(results))


if TYPE_CHECKING:
    # what the mixin calls (`poke`, `model_unique_id`, `producer_task_id`, `log`) is a
    # watcher operator's: the checker sees it stand on one (Any, since Cosmos ships no types)
    from social_crm.transform.cosmos_adapter import DbtRunWatcherOperator as _WatcherOperator
else:
    # at run time it is listed before the operator class it extends
    _WatcherOperator = object


def _docs_link(node: str) -> str:
    from airflow.configuration import conf

    from social_crm.transform.docs_links import node_docs_link

    return node_docs_link(node, conf.get("api", "base_url", fallback="") or "", absolute=True)


class _ReportsItsTests(_WatcherOperator):
    # a retry (or a clear in the UI) builds the node and its tests again
    base_cmd = ["build"]

    def _report_outcome(self, ti: Any) -> None:
        """Log the node's line once, when the producer's result of it is there (a retry's own
        `dbt build` logs its rows in dbt's words: only the link then)."""
        if getattr(self, "_outcome_reported", False):
            return
        node = self.model_unique_id
        if ti.try_number > 1:
            self.log.info("%s: docs: %s", node, _docs_link(node))
        else:
            result = producer_xcom(ti, self.producer_task_id, outcome_key(node))
            if result is None:
                return  # not built yet: the next poke looks again
            self.log.info("%s", describe_outcome(node, result, _docs_link(node)))
        self._outcome_reported = True

    def poke(self, context: Any) -> bool:
        ti = context["ti"]
        # before Cosmos' check, which raises on a failed node
        self._report_outcome(ti)
        if not super().poke(context):
            return False
        if ti.try_number > 1:
            return True  # the retry's own `dbt build` ran the tests and raised on a failure
        node = self.model_unique_id
        results = producer_xcom(ti, self.producer_task_id, results_of_tests_key(node))
        report_tests(node, results, self.log)
        return True


class DbtModelAndTestsWatcherOperator(_ReportsItsTests, DbtRunWatcherOperator):
    """A model's task: its `dbt build` result, then its tests'."""


class DbtSeedAndTestsWatcherOperator(_ReportsItsTests, DbtSeedWatcherOperator):
    """A seed's task: its load, then its tests'."""


REPORTING_CLASS = {
    DbtRunWatcherOperator: DbtModelAndTestsWatcherOperator,
    DbtSeedWatcherOperator: DbtSeedAndTestsWatcherOperator,
}
