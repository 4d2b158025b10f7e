"""The quality gate: Great Expectations suites, built in code, run on `raw` before the build and
on `marts_build` before anything is published. A failure names every failed expectation (table,
column, check, observed value) so the person on call knows what to look at; every run also
renders its Data Docs pages to a folder (`data_docs_dir()`), the failed runs included, and adds
itself to the offline index of the last runs of its DAG's gate (`data_docs.py`), its pages
made to open offline (`data_docs_assets.py`).

The task log says, per table, how many expectations ran on how many rows, what failed with
a few of the offending values, and the table's Data Docs page; Great Expectations' own loggers
are set to WARNING (their INFO lines were hundreds a gate: which function its API docs skip,
each expectation's default arguments) and its progress bars off (standard error, which a
worker's task log captures)."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from social_crm import settings
from social_crm.quality import data_docs, data_docs_assets
from social_crm.query_results import scalar
from social_crm.warehouse import WarehouseUrl

if TYPE_CHECKING:
    import psycopg
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.data_context.data_context.abstract_data_context import (
        AbstractDataContext,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )
    from great_expectations.datasource.fluent.sql_datasource import QueryAsset, TableAsset

log = logging.getLogger(__name__)
DOCS_SITE = "social_crm"
LIBRARY_LOGGERS = ("great_expectations",)
MAX_FAILURES_LOGGED = 5  # per table; the exception and Data Docs name them all


class QualityGateError(RuntimeError):
    pass


@dataclass
class GateResult:
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)  # what the gate logged, per table

    @property
    def passed(self) -> bool:
        return not self.failures


def data_docs_dir() -> Path:
    """Where Data Docs are written: `SOCIAL_CRM_DATA_DOCS_DIR`, else `.local/docs/data_docs`."""
    return settings.load().data_docs_dir


def quiet_library_loggers() -> None:
    """Great Expectations' loggers at WARNING: its warnings and errors still reach the task
    log, its INFO chatter does not. Also the loggers it set to a level of their own at import
    (`data_context.types.base` sets INFO), which would not follow their parent's."""
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if (
            isinstance(logger, logging.Logger)
            and name.startswith(tuple(f"{library}." for library in LIBRARY_LOGGERS))
            and logging.NOTSET < logger.level < logging.WARNING
        ):
            logger.setLevel(logging.WARNING)


def validate(
    url: WarehouseUrl,
    name: str,
    suites_of: Callable[[ModuleType], dict[tuple[str, str], list]],
    row_filters: dict[tuple[str, str], str] | None = None,
    pipeline: str = "",
) -> GateResult:
    """Run `suites_of(gx)` ({(schema, table): [expectations]}) as one checkpoint named `name`,
    update Data Docs, and collect every failure. `row_filters` ({(schema, table): SQL
    condition}) checks only the matching rows of those tables. The run joins the history of
    `name` in its DAG (the Airflow task's, else `pipeline`)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    quiet_library_loggers()
    with warnings.catch_warnings():
        # its import of Python's deprecated `sre_constants` and `sre_parse`, once a process
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_library_loggers()
    context = gx.get_context(mode="ephemeral")
    # https://docs.greatexpectations.io/docs/reference/api/data_context/types/base/ProgressBarsConfig_class
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    docs = data_docs_dir()
    docs.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        DOCS_SITE,
        {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs),
            },
        },
    )
    source = context.data_sources.add_postgres(
        "warehouse", connection_string=url.sqlalchemy(driver="psycopg2")
    )
    definitions = []
    for (schema, table), expectations in suites_of(gx).items():
        condition = (row_filters or {}).get((schema, table))
        asset: QueryAsset | TableAsset
        if condition:
            asset = source.add_query_asset(
                f"{schema}.{table}",
                query=f"select * from {schema}.{table} where {condition}",  # noqa: S608
            )
        else:
            with warnings.catch_warnings():
                # GX 1.14 deprecated `schema_name` for the data source's schema, which its
                # PostgreSQL source cannot hold (SQLDatasource.schema_ is None); still honoured
                warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
                asset = source.add_table_asset(
                    f"{schema}.{table}", table_name=table, schema_name=schema
                )
        batch = asset.add_batch_definition_whole_table("whole table")
        suite = context.suites.add(gx.ExpectationSuite(name=f"{schema}.{table}"))
        for expectation in expectations:
            suite.add_expectation(expectation)
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(data=batch, suite=suite, name=f"{name}: {schema}.{table}")
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=definitions,
            # COMPLETE: the SQL checks report the offending rows, not only their number
            result_format={"result_format": "COMPLETE", "partial_unexpected_count": 5},
        )
    )
    now = datetime.now(UTC)
    run = checkpoint.run(run_id=RunIdentifier(data_docs.run_name(name, now, pipeline), now))
    # this run's pages, once for the whole checkpoint (the per-suite action renders the site
    # once per suite: seconds of template compiling a gate); GX's index is left out: it would
    # drop every page not of this process, and it needs CDNs (ours: data_docs.record)
    context.build_data_docs(site_names=[DOCS_SITE], build_index=False)
    result = GateResult()
    tables = []
    for key, suite_result in run.run_results.items():
        failures = [
            _describe(suite_result.suite_name, outcome)
            for outcome in suite_result.results
            if not outcome.success
        ]
        result.checked += len(suite_result.results)
        result.failures += failures
        page = _page(context, key, docs)
        tables.append(
            data_docs.TablePage(
                suite_result.suite_name, len(suite_result.results), len(failures), page
            )
        )
        result.log_lines += _table_lines(
            suite_result.suite_name, suite_result.results, failures, page
        )
    built = [docs / table.page for table in tables if table.page]
    data_docs_assets.make_offline(docs, [*built, *(docs / "expectations").rglob("*.html")])
    dag = data_docs.dag_of(pipeline)
    index = data_docs.record(
        docs,
        data_docs.GateRun(
            name, run.run_id.run_name or name, now.isoformat(), tables, result.failures, dag
        ),
    )
    for line in result.log_lines:
        log.info("%s", line)
    log.info(
        "%s gate%s: %d tables, %d expectations, %d failed; Data Docs: %s",
        name,
        f" of {dag}" if dag else "",
        len(tables),
        result.checked,
        len(result.failures),
        index,
    )
    return result


def _rows(results: list[ExpectationValidationResult]) -> int | None:
    """The rows a suite read: a column check's element count, or the table's row count."""
    counts = []
    for outcome in results:
        details = outcome.result or {}
        if isinstance(details.get("element_count"), int):
            counts.append(details["element_count"])
        config = outcome.expectation_config
        if config is not None and config.type == "expect_table_row_count_to_be_between":
            observed = details.get("observed_value")
            if isinstance(observed, int):
                counts.append(observed)
    return max(counts) if counts else None


def _table_lines(
    table: str, results: list[ExpectationValidationResult], failures: list[str], page: str
) -> list[str]:
    """A table's lines in the task log: what was checked, on how many rows, and its page;
    then its first failures (each with a few offending values)."""
    rows = _rows(results)
    read = f"{rows:,} rows" if rows is not None else "rows not counted"
    verdict = f"{len(failures)} FAILED" if failures else "passed"
    lines = [
        f"{table}: {len(results)} expectations on {read}, {verdict}"
        + (f"; page: {page}" if page else "")
    ]
    lines += [f"  failed: {failure}" for failure in failures[:MAX_FAILURES_LOGGED]]
    if len(failures) > MAX_FAILURES_LOGGED:
        lines.append(f"  and {len(failures) - MAX_FAILURES_LOGGED} more failures (on the page)")
    return lines


def _page(context: AbstractDataContext, key: ValidationResultIdentifier, docs: Path) -> str:
    """A validation's page, relative to the Data Docs folder ("" when GX names none)."""
    urls = context.get_docs_sites_urls(
        resource_identifier=key, site_name=DOCS_SITE, only_if_exists=False
    )
    url = (urls[0].get("site_url") or "") if urls else ""
    path = Path(unquote(urlparse(url).path)) if url.startswith("file:") else None
    if path is None or docs.resolve() not in path.resolve().parents:
        return ""
    return path.resolve().relative_to(docs.resolve()).as_posix()


def _describe(table: str, outcome: ExpectationValidationResult) -> str:
    config = outcome.expectation_config
    if config is None:  # GX may return a result without its expectation: name what is known
        return f"{table}: an expectation failed (result: {str(outcome.result)[:300]})"
    column = config.kwargs.get("column")
    where = f"{table}.{column}" if column else table
    details = outcome.result or {}
    errors = [
        info.get("exception_message", "")
        for info in (outcome.exception_info or {}).values()
        if isinstance(info, dict) and info.get("raised_exception")
    ]
    if errors:
        return f"{where}: {config.type} could not run: {errors[0].splitlines()[0]}"
    what = config.description or config.type
    observed = details.get("observed_value", details.get("unexpected_count"))
    sample = details.get("partial_unexpected_list") or [
        dict(row) for row in (details.get("details") or {}).get("unexpected_rows", [])[:5]
    ]
    return f"{where}: {what} failed (observed: {observed}; examples: {str(sample)[:300]})"


def _require(result: GateResult, what: str) -> int:
    if not result.passed:
        raise QualityGateError(
            f"quality gate failed, {what}; failed expectations:\n  "
            + "\n  ".join(result.failures)
            + f"\nData Docs: {data_docs_dir() / 'index.html'}"
        )
    return result.checked


def require_valid_raw(url: WarehouseUrl, everything: bool = False, pipeline: str = "") -> int:
    """Raw suites over the rows of batches not validated yet (all of raw with `everything`);
    raises QualityGateError naming each failure, before any model is built. Batches that pass
    are stamped validated; after a failure they stay pending, so the next run checks them
    again. `pipeline`: the DAG whose history the run joins when not in an Airflow task."""
    import psycopg

    from social_crm.quality import raw_suites

    with psycopg.connect(url.libpq(), autocommit=True) as conn:
        pending = raw_suites.pending_batches(conn)
        if not pending and not everything:
            log.info("raw gate: no batch landed since the last gate, nothing to validate")
            return 0
        filters = None if everything else raw_suites.rows_of_batches(pending)
        log.info("raw gate: %d batches to validate", len(pending))
        checked = _require(
            validate(url, "raw", raw_suites.raw_suites, filters, pipeline), "nothing built from raw"
        )
        raw_suites.mark_validated(conn, pending)
    return checked


def require_valid_marts(
    url: WarehouseUrl, only: tuple[str, ...] | None = None, pipeline: str = ""
) -> int:
    """Mart suites on marts_build (`only`: of those marts, as the live DAG checks its queue);
    raises QualityGateError naming each failure. Incremental marts are checked on their latest
    merge (every row after a full refresh): older rows passed when they were merged."""
    import psycopg

    from social_crm import catalog
    from social_crm.quality.mart_suites import mart_suites

    with psycopg.connect(url.libpq()) as conn:
        latest_merge = {
            ("marts_build", table): _latest_merge_condition(conn, f"marts_build.{table}")
            for table in (mart.name for mart in catalog.MARTS if mart.incremental)
        }
        connected = social_connected(conn)
    if not connected:
        log.warning(
            "marts gate: no social data has landed (no Facebook or X source connected yet);"
            " %s may be empty and are published so",
            ", ".join(mart.name for mart in catalog.MARTS if mart.social),
        )

    def suites(gx):  # the great_expectations module; its suites
        chosen = mart_suites(gx, social_connected=connected)
        return {k: v for k, v in chosen.items() if only is None or k[1] in only}

    name = "marts" if only is None else "marts_" + "_".join(only)
    return _require(validate(url, name, suites, latest_merge, pipeline), "marts not published")


def social_connected(conn: psycopg.Connection) -> bool:
    """Whether any social source (Facebook, X) has landed a row."""
    from social_crm import catalog

    social = [t.relation for t in catalog.RAW_TABLES if t.source in catalog.PLATFORMS]
    query = " union all ".join(f"(select 1 from {r} limit 1)" for r in social)  # noqa: S608 - catalog names
    return conn.execute(query).fetchone() is not None


def _latest_merge_condition(conn: psycopg.Connection, table: str) -> str:
    """The rows of `table`'s latest merge, with the time as a constant (as the dbt macro
    is_in_latest_merge does): then the planner looks them up by the merged_at index."""
    micros = scalar(
        conn.execute(
            f"select (extract(epoch from max(merged_at)) * 1000000)::bigint from {table}"  # noqa: S608
        )
    )
    if micros is None:
        return "false"
    return f"merged_at = 'epoch'::timestamptz + {int(micros)} * interval '1 microsecond'"
