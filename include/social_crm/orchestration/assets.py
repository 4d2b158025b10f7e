"""Airflow Assets for the raw landing tables: extraction tasks update them (through the aliases
in `LANDED`, only the tables they landed rows in), the marts build is scheduled on them. Light
on purpose: DAG files import this at parse time."""

from __future__ import annotations

from collections.abc import Mapping

from airflow.sdk import Asset, AssetAlias

from social_crm import catalog, settings


def raw_table(name: str) -> Asset:
    """The Asset of raw table `name`; a name the catalog does not list fails at DAG parse."""
    table = catalog.raw_table(name)
    return Asset(name=table.relation, uri=f"social-crm://warehouse/raw/{table.name}")


# Each extraction DAG updates the raw tables through an alias: a task adds an event for each
# table its batches changed (new versions or tombstones) and none for a table it landed nothing
# in, so an hour that brought nothing new does not start a build. Airflow 3's way to decide a
# task's asset events at run time (`outlet_events[alias].add(asset)`), "Dynamic data events
# emitting and asset creation through AssetAlias" in
# https://airflow.apache.org/docs/apache-airflow/3.3.0/authoring-and-scheduling/assets.html and
# https://airflow.apache.org/docs/apache-airflow/3.3.0/_api/airflow/example_dags/example_asset_alias/index.html
LANDED = {
    source: AssetAlias(name=f"raw.{source}_* landed")
    for source in ("facebook", "instagram", "x", "crm")
}

ALL_RAW = [raw_table(table.name) for table in catalog.RAW_TABLES]

# The marts build (the nightly DAG) runs at 02:00 UTC, and between nights when a raw table was
# updated AND this Asset was, which `social_crm_marts_due` updates once every
# SOCIAL_CRM_MARTS_EVERY_HOURS (docs/operating.md, "When the marts are built"): at most one
# build in each period, none in a period when nothing landed.
MARTS_DUE = Asset(name="marts_due", uri="social-crm://schedule/marts_due")
# ... and `social_crm_marts_due` updates, through this alias, the raw tables with rows committed
# since the last build that published started (extraction.unbuilt_tables): rows that no
# extraction task announced (one that failed after landing, the live walks) are built in the
# period too
UNBUILT = AssetAlias(name="raw.* not yet built")
# at minute 35: after the hourly extractions of the hour landed, between two live cycles
MARTS_DUE_MINUTE = 35


def marts_due_cron(env: Mapping[str, str] | None = None) -> str:
    """When `social_crm_marts_due` updates `MARTS_DUE`: every SOCIAL_CRM_MARTS_EVERY_HOURS."""
    hours = settings.load(env).marts_every_hours
    every = "*" if hours == 1 else ("0" if hours == 24 else f"*/{hours}")
    return f"{MARTS_DUE_MINUTE} {every} * * *"


# the nightly DAG updates this when it publishes: BI refreshes can be scheduled on it
PUBLISHED_MARTS = Asset(name="marts", uri="social-crm://warehouse/marts")

# the live DAG updates this every 10 minutes when it publishes the queue
OPEN_CONVERSATIONS = Asset(
    name="marts.open_conversations", uri="social-crm://warehouse/marts/open_conversations"
)
