"""The CRM inbox, attacked: a file it lands must not block the nightly's raw gate."""

import psycopg
import pytest

from social_crm.extract.crm import land_drop_folder
from social_crm.quality import gate

pytestmark = pytest.mark.integration

HEADER = "customer_id,email,marketing_opt_in,profiling_opt_out\n"


def _customers(count: int) -> str:
    return HEADER + "".join(f"C{n},c{n}@example.com,true,false\n" for n in range(count))


def test_no_landed_file_blocks_the_nightly(db, tmp_path):
    connect = lambda: psycopg.connect(db.libpq())  # noqa: E731
    drop = tmp_path / "drop"
    drop.mkdir()
    # three nights of full customer exports, then a partial one (an export cut short): the
    # inbox takes it for partial and deletes nothing, and lands it
    for night in (1, 2, 3):
        (drop / f"customers_2026-12-0{night}.csv").write_text(_customers(1000))
        land_drop_folder(connect, drop)
        gate.require_valid_raw(db)
    (drop / "customers_2026-12-04.csv").write_text(_customers(50))
    results = land_drop_folder(connect, drop)
    assert [r.status for r in results] == ["committed"]
    gate.require_valid_raw(db)  # the nightly's first step after the loads
