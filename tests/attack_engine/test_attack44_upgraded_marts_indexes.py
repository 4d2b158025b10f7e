"""Outside attack on issue 44's indexed marts (promise 5): a published mart is indexed on its
key and person columns, so a customer lookup does not scan it.

Publishing copies a mart (the copy is indexed: serve/publish.py `_indexes`) or, for an
incremental mart whose build table is the one last published, applies the rows changed since
into the published table as it stands. A warehouse that published before the indexes existed
(commit 2fe643b) holds its incremental marts unindexed; each later publish applies changes to
them and never copies them: they stay unindexed for as long as less than a fifth of them
changes a night. On a copy of the built test world (real embedded PostgreSQL), each
incremental mart's published indexes dropped as that warehouse has them, then published again
as the nightly's `publish_marts` publishes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from social_crm import catalog
from social_crm.serve import publish
from tests.end_to_end.conftest import (  # noqa: F401 - the fixtures the copy is made from
    built,
    built_once,
    copy_of,
    extracted_once,
)

pytestmark = [pytest.mark.integration, pytest.mark.end_to_end]

INCREMENTAL = [mart for mart in catalog.MARTS if mart.incremental]


@pytest.fixture(scope="module")
def republished(built, warehouse_url, tmp_path_factory) -> Iterator[dict[str, dict]]:  # noqa: F811
    """Each incremental mart's indexes after the publish that follows the upgrade, by name."""
    folder = tmp_path_factory.mktemp("upgraded") / "w"
    with copy_of(built, warehouse_url, folder) as (pipeline, _):
        with pipeline.connect() as conn:
            for mart in INCREMENTAL:
                for (index,) in conn.execute(
                    "select indexrelid::regclass::text from pg_index where indrelid = %s::regclass",
                    (f"marts.{mart.name}",),
                ).fetchall():
                    conn.execute(f"drop index {index}")
            conn.commit()
            publish.publish(conn)
        yield {mart.name: pipeline.published_indexes(mart.name) for mart in INCREMENTAL}


def test_the_world_has_incremental_marts():
    assert INCREMENTAL  # precondition: the attack has something to read


@pytest.mark.parametrize("mart", INCREMENTAL, ids=lambda mart: mart.name)
def test_an_upgraded_incremental_mart_is_indexed_on_its_key_after_a_publish(republished, mart):
    assert republished[mart.name].get(tuple(mart.key)) is True, republished[mart.name]


@pytest.mark.parametrize("mart", INCREMENTAL, ids=lambda mart: mart.name)
def test_an_upgraded_incremental_mart_is_indexed_on_its_person_columns_after_a_publish(
    republished, mart
):
    indexes = republished[mart.name]
    for column in (*mart.person_columns, *mart.profile_key_columns, *mart.lookup_columns):
        assert any(columns[0] == column for columns in indexes), (column, indexes)
