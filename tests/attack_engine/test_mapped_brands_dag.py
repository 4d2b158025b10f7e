"""Extraction mapped per brand, as Airflow runs it: a failed brand retries alone and the others'
extraction goes on. Attacked with `extract_facebook` run in process (`dag_runs`) over an agency
brands.csv with a fourth brand whose Page the Graph API cannot load (the simulator's world has
three), as `tests/dags/test_extract_mapped_brands.py` sets it up.

Found: `visitor_posts` (mapped over our brands only) runs after `posts_comments_reactions`
(mapped over every brand) with the default trigger rule, all_success: one rival's failed Page
leaves our own Page's visitor posts (the messages customers write to us) unread that hour,
`upstream_failed`, though no step of ours failed."""

from __future__ import annotations

import pytest

from social_crm.transform.dbt_manifest import ensure_manifest
from social_crm_dev import dag_runs
from social_crm_dev.simulator.config import BRANDS, agency_brands, agency_project
from tests.dags.conftest import extraction_world

pytestmark = pytest.mark.integration

OURS = [b.key for b in BRANDS[:1]]


@pytest.fixture
def outcome(scratch_database, monkeypatch, tmp_path, airflow_db):
    with extraction_world(scratch_database, tmp_path, monkeypatch):
        project = agency_project(tmp_path, agency_brands(len(BRANDS) + 1))
        monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
        # the agency project's manifest parsed here, not inside the DAG file's import (30 s)
        ensure_manifest()
        yield dag_runs.run_in_process("extract_facebook")


def test_a_rivals_failed_page_leaves_our_visitor_posts_read(outcome):
    lost = agency_brands(len(BRANDS) + 1)[-1].key
    assert outcome.mapped["posts_comments_reactions"][lost] == "failed"  # the attack happened
    assert outcome.mapped.get("visitor_posts") == dict.fromkeys(OURS, "success"), (
        outcome.tasks,
        outcome.mapped,
    )
