"""The advocate and detractor segments in the demo's world (seed 42, scale 1, 90 days: 2,000
customers) against the truth's, recomputed from the truth's per-message labels
(tools/social_crm_dev/segment_quality.py): precision and recall of each at least 0.85.
Minutes of extraction and building: it runs when SOCIAL_CRM_DEMO_WORLD_TESTS=1 is set (`make
eval` sets it); test_segments_truth.py asserts a floor on the test world in `make test`."""

import os

import pytest

from social_crm_dev import segment_quality
from social_crm_dev.simulator.config import WorldConfig
from tests.end_to_end.conftest import extracted_world, land_crm_export, nightly_build, world_now

pytestmark = [
    pytest.mark.integration,
    pytest.mark.eval_only,
    pytest.mark.skipif(
        os.environ.get("SOCIAL_CRM_DEMO_WORLD_TESTS") != "1",
        reason="the demo's world takes minutes: set SOCIAL_CRM_DEMO_WORLD_TESTS=1",
    ),
]
DEMO_WORLD = WorldConfig(seed=42, scale=1.0, days=90)
TARGET = 0.85


@pytest.fixture(scope="module")
def quality(warehouse_url, tmp_path_factory):
    # every day of the world read, as `make demo` reads it
    with extracted_world(
        warehouse_url, tmp_path_factory, DEMO_WORLD, lookback_days=DEMO_WORLD.days
    ) as (pipeline, truth, patch):
        land_crm_export(pipeline.connect, truth)
        patch.setenv("WAREHOUSE_URL", pipeline.db.libpq())
        patch.setenv("CRM_DROP_DIR", str(truth.folder / "crm_drop"))
        nightly_build(as_of=world_now(pipeline.sim))
        with pipeline.connect() as conn:
            yield segment_quality.measure(conn, truth.folder, "marts")


@pytest.mark.parametrize("segment", segment_quality.SEGMENTS)
def test_the_segment_reaches_its_target_precision_and_recall(quality, segment, capsys):
    found = quality[segment]
    with capsys.disabled():
        print(f"\ndemo world segments: {found.line()}")
    assert min(found.precision, found.recall) >= TARGET
