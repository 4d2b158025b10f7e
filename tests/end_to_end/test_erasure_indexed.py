"""Every search erasure makes through an index in a whole reading (erasure.py NARROWED) has
that index in a built warehouse: the raw tables' from migration 0046, the merged tables' from
their dbt models. A search whose expression no index holds reads every row of its table, what
the narrowing exists to avoid."""

from __future__ import annotations

import pytest

from social_crm.catalog import INCREMENTAL_MODELS, RAW_TABLES
from social_crm.privacy import erasure

pytestmark = pytest.mark.integration

SEARCHES = sorted(
    (table, search) for table, searches in erasure.NARROWED.items() for search in searches
)
# the sets a whole reading searches by, a few values each
SETS = {
    "new_profiles": "profile_id",
    "new_messages": "message_id",
    "new_handles": "handle",
    "new_usernames": "username",
}


@pytest.mark.parametrize(("table", "search"), SEARCHES, ids=[" ".join(s) for s in SEARCHES])
def test_a_narrowed_search_reads_its_table_through_an_index(built, table, search):
    pipeline, _ = built
    with pipeline.connect() as conn, conn.transaction():
        for name, column in SETS.items():
            conn.execute(
                f"create temp table {name} on commit drop as"
                f" select unnest(array['mia', 'bo_x', '42']) as {column}"
            )
            conn.execute(f"analyze {name}")
        conn.execute("set local enable_seqscan = off")
        narrowed = erasure._Scope("new").narrowed(table, search)
        assert narrowed is not None
        query = f"explain select 1 from {table} where {narrowed}"  # noqa: S608
        plan = "\n".join(line for (line,) in conn.execute(query))
    assert f"Seq Scan on {table.split('.')[1]}" not in plan, plan


# what each table names its people by (catalog.py): the authors search must hold them all
PROFILE_COLUMNS = {
    **{t.relation: t.profile_columns for t in RAW_TABLES},
    **{m.relation: m.profile_columns for m in INCREMENTAL_MODELS},
}


@pytest.mark.parametrize("table", sorted(t for t, s in erasure.NARROWED.items() if "authors" in s))
def test_a_narrowed_authors_search_holds_every_profile_column_of_its_table(table):
    authors = erasure.NARROWED[table]["authors"]
    assert all(column in authors for column in PROFILE_COLUMNS[table])
    assert authors.count(" = any(") == len(PROFILE_COLUMNS[table])
