"""When each raw source last landed new data, and whether that is late.

The rules are dbt's source freshness rules (`warn_after`, `error_after` in the sources' YAML,
dbt_project/models/staging/*/_*__sources.yml; https://docs.getdbt.com/reference/resource-
properties/freshness), read from the dbt manifest, so they are written once and shown on each
source's page of the dbt docs. The check is dbt's, on a clock the landing code keeps:

- The time is **ours**: when the landing batch that brought the data committed (the warehouse's
  clock; it is the `extracted_at` of the rows it landed, the sources' `loaded_at_field`), not a
  time the platform gives (a post's `created_time`). A platform's times say when something
  happened there: a quiet brand has no new posts for days while every hourly read works, and a
  comment found today on a year-old post is new to us. "Did the source land new data lately"
  is a question about our landings.
- An event table (posts, comments, tweets, orders) is as fresh as its newest batch that landed
  a new row (a new record, an edit or a deletion). A snapshot table (catalog.RawTable.snapshot:
  counts, follower lists, the CRM export files) is read whole each time: a read that finds
  nothing changed confirms it as much as one that finds a change, so it is as fresh as its
  newest committed batch. (`dbt source freshness` run by hand counts only new rows, stricter
  for the snapshot tables.)
- The age is counted to the warehouse's now (the same clock), not to the run's as-of time: a
  backfill of an old date says how fresh the sources are today.

A table whose age is past `error_after` is late, past `warn_after` warn, else ok; one with no
rule (`freshness: null`: the CRM's rare events, such as erasure requests) is not checked but
still shown. `SOCIAL_CRM_LATE_SOURCES` (settings.py) says what a late source does to the
nightly run: `warn` (default: logged as a warning) or `fail` (the check fails, before the build,
so `marts` keeps the last good build).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from social_crm.catalog import RAW_TABLES

log = logging.getLogger(__name__)

PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
OK, WARN, LATE, NOT_CHECKED = "ok", "warn", "late", "not checked"


class SourcesLate(RuntimeError):
    """Raw sources are late and SOCIAL_CRM_LATE_SOURCES=fail."""


@dataclass(frozen=True)
class Rule:
    """A source table's freshness rule (dbt's `warn_after`, `error_after`)."""

    warn_after: timedelta | None = None
    error_after: timedelta | None = None

    @classmethod
    def from_dbt(cls, freshness: Mapping[str, Any] | None) -> Rule | None:
        """The rule of a dbt source's `freshness` (manifest), None when it sets no limit."""

        def limit(key: str) -> timedelta | None:
            after = (freshness or {}).get(key) or {}
            count, period = after.get("count"), after.get("period")
            if count is None or period is None:
                return None
            return count * PERIODS[period]

        rule = cls(limit("warn_after"), limit("error_after"))
        return rule if rule.warn_after or rule.error_after else None

    def status(self, age: timedelta | None) -> str:
        if age is None:  # never landed
            return LATE
        if self.error_after is not None and age > self.error_after:
            return LATE
        if self.warn_after is not None and age > self.warn_after:
            return WARN
        return OK

    def __str__(self) -> str:
        limits = [
            f"{word} after {_duration(after)}"
            for word, after in (("warn", self.warn_after), ("late", self.error_after))
            if after is not None
        ]
        return ", ".join(limits)


@dataclass(frozen=True)
class SourceFreshness:
    """What the check found for one raw table."""

    table: str  # raw.<source>_<entity>
    rule: Rule | None
    snapshot: bool
    last_new_data: datetime | None  # the newest batch that landed a new row
    last_read: datetime | None  # the newest committed batch
    checked_at: datetime

    @property
    def last_landed(self) -> datetime | None:
        """The time its freshness counts from (module docstring)."""
        return self.last_read if self.snapshot else self.last_new_data

    @property
    def age(self) -> timedelta | None:
        return None if self.last_landed is None else self.checked_at - self.last_landed

    @property
    def status(self) -> str:
        return NOT_CHECKED if self.rule is None else self.rule.status(self.age)

    def line(self) -> str:
        """One line for the log: last landed, age, status and the rule."""
        what = "last read (snapshot)" if self.snapshot else "last landed new data"
        if self.last_landed is None:
            landed = f"{what}: never"
        else:
            landed = f"{what} {_moment(self.last_landed)}, {_duration(self.age)} ago"
        if not self.snapshot and self.last_read is not None:
            landed += f" (last read {_moment(self.last_read)})"
        rule = f" ({self.rule})" if self.rule is not None else " (no freshness rule)"
        return f"{self.table}: {landed}; {self.status.upper()}{rule}"


def _moment(at: datetime) -> str:
    """In UTC, whatever the warehouse session's time zone."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(span: timedelta | None) -> str:
    if span is None:
        return "-"
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    return " ".join(parts) or "0m"


def rules(manifest: Mapping[str, Any]) -> dict[str, Rule | None]:
    """Per raw table (`raw.<name>`) the dbt project declares as a source, its rule."""
    return {
        f"{source['schema']}.{source['name']}": Rule.from_dbt(source.get("freshness"))
        for source in manifest["sources"].values()
        if source["schema"] == "raw"
    }


# per raw table: its newest committed batch, and its newest that landed a new row (a new
# version or a tombstone), on the warehouse's clock
_LANDINGS = """
select 'raw.' || source || '_' || entity,
       max(finished_at) filter (where records_landed + records_tombstoned > 0),
       max(finished_at)
from meta.load_batches
where status = 'committed'
group by source, entity
"""


def check(conn: Any, table_rules: Mapping[str, Rule | None]) -> list[SourceFreshness]:
    """The freshness of each table of `table_rules`, from the landing batches (`conn`: an open
    psycopg connection to the warehouse), in the order of the catalog."""
    checked_at = conn.execute("select now()").fetchone()[0]
    landings = {row[0]: row[1:] for row in conn.execute(_LANDINGS).fetchall()}
    snapshots = {table.relation for table in RAW_TABLES if table.snapshot}
    order = {table.relation: n for n, table in enumerate(RAW_TABLES)}
    found = [
        SourceFreshness(
            table=table,
            rule=rule,
            snapshot=table in snapshots,
            last_new_data=landings.get(table, (None, None))[0],
            last_read=landings.get(table, (None, None))[1],
            checked_at=checked_at,
        )
        for table, rule in table_rules.items()
    ]
    return sorted(found, key=lambda f: (order.get(f.table, len(order)), f.table))


def report(found: Iterable[SourceFreshness], on_late: str) -> dict[str, int]:
    """Log one line per table (a warning when it is late or warns); raise SourcesLate naming
    the late tables when `on_late` is "fail". Returns the count per status."""
    counts: dict[str, int] = {}
    late = []
    for item in found:
        counts[item.status] = counts.get(item.status, 0) + 1
        level = logging.WARNING if item.status in (WARN, LATE) else logging.INFO
        log.log(level, "%s", item.line())
        if item.status == LATE:
            late.append(item.table)
    if late:
        message = (
            f"{len(late)} raw sources are late (past their dbt freshness error_after):"
            f" {', '.join(late)}"
        )
        if on_late == "fail":
            raise SourcesLate(f"{message}; SOCIAL_CRM_LATE_SOURCES=fail")
        log.warning("%s; not failing the run (SOCIAL_CRM_LATE_SOURCES=warn)", message)
    return counts
