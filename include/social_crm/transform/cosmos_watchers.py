"""The task of one dbt model or seed that also reports that node's data tests.

Cosmos' WATCHER mode renders a `run` task and a `test` task per model. Under `dag.test()` and
under a scheduler alike a task costs its own start-up (about 0.1 s in process, seconds as a
worker's process), whatever it reports: half of a nightly's tasks were test tasks. Here the
group is rendered without test tasks (TestBehavior.NONE) while its producer still runs
`dbt build` with the tests, and each model's task reports the model, then each of its tests
as the producer recorded them (`results_of_tests_key`). A failed model fails its task and the
task is retried: the retry runs `dbt build` of that model and its tests. A failed test fails
the task without a retry (AirflowFailException): a failed data test is a finding.
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


class _ReportsItsTests(_WatcherOperator):
    # a retry (or a clear in the UI) builds the node and its tests again
    base_cmd = ["build"]

    def poke(self, context: Any) -> bool:
        if not super().poke(context):
            return False
        ti = context["ti"]
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
