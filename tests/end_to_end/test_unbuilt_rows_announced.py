"""Nothing that landed waits for 02:00: the raw tables with rows committed since the last marts
build started are what `social_crm_marts_due` announces (extraction.unbuilt_tables), whoever
landed them and whether or not their task announced them (docs/operating.md, "When the marts
are built"). Real PostgreSQL, the real simulator, the DAG tasks' functions."""

from __future__ import annotations

import pytest

from social_crm.orchestration import extraction
from social_crm.orchestration.extraction import Landed, unbuilt_tables
from tests.end_to_end.conftest import built_world, copy_of

pytestmark = pytest.mark.integration

ORDER_HEADER = "order_id,customer_id,ordered_at,amount,product_id\n"


def test_nothing_is_unbuilt_after_a_build(built, warehouse_url, tmp_path):
    with copy_of(built, warehouse_url, tmp_path / "copy"):
        assert unbuilt_tables().tables == frozenset()


def test_orders_landed_beside_a_rejected_file_are_announced(built, warehouse_url, tmp_path):
    """load_crm_export lands the good file, then fails on the one it rejects (no Asset event);
    the orders are still announced once the marts are due."""
    with copy_of(built, warehouse_url, tmp_path / "copy") as (pipeline, truth):
        customer = pipeline.scalar("select min(natural_key) from raw.crm_customers")
        drop = truth.folder / "crm_drop"
        drop.mkdir(exist_ok=True)
        (drop / "orders_2026-12-07.csv").write_text(
            ORDER_HEADER + f"UNBUILT-1,{customer},2026-04-01T10:00:00Z,12.50,\n", encoding="utf-8"
        )
        (drop / "notes.txt").write_text("call Ana back\n", encoding="utf-8")
        with pytest.raises(Exception, match="notes.txt"):
            extraction.run_crm_task()
        assert (
            pipeline.scalar("select count(*) from raw.crm_orders where natural_key = 'UNBUILT-1'")
            == 1
        )  # precondition: the good file landed
        assert "crm_orders" in unbuilt_tables().tables


def test_posts_the_live_walk_landed_are_announced(built_once, warehouse_url, tmp_path_factory):
    """The live X walk lands new Posts with no Asset event, and the hour's extract_x then finds
    them landed: the schedule still announces raw.x_tweets."""
    with built_world(built_once, warehouse_url, tmp_path_factory) as (pipeline, *_):
        x = pipeline.x
        for _ in range(24):  # the world moves on until a live cycle lands a new Post
            pipeline.sim.world.advance(seconds=3600)
            if Landed(x.new_tweets()).tables:
                break
        else:
            pytest.fail("precondition: no live cycle landed a Post in a day")
        assert "x_tweets" not in Landed(x.tweets()).tables  # precondition: nothing announced
        assert "x_tweets" in unbuilt_tables().tables
