"""The CRM inbox, attacked: a file it lands must not block the nightly's raw gate, and an
erasure's scrub of a waiting export must not make the next load delete another customer."""

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


def test_erasing_a_customer_deletes_no_other_customer(db, tmp_path):
    from social_crm.privacy import erasure

    connect = lambda: psycopg.connect(db.libpq())  # noqa: E731
    drop = tmp_path / "drop"
    drop.mkdir()
    header = "customer_id,email,marketing_opt_in,profiling_opt_out,referred_by\n"
    people = "".join(f"C{n:06d},c{n}@example.com,true,false,\n" for n in range(3, 40))
    anna = "C000001,anna@example.com,true,false,\n"
    (drop / "customers_2026-12-01.csv").write_text(
        header + anna + "C000002,ola@example.com,true,false,\n" + people
    )
    land_drop_folder(connect, drop)
    # tonight's full export, dropped after the load ran and before the nightly's erasure of
    # C000001: Ola was referred by Anna (a column the inbox ignores)
    (drop / "customers_2026-12-02.csv").write_text(
        header + anna + "C000002,ola@example.com,true,false,C000001\n" + people
    )
    erasure.erase_from_files(drop, {"C000001", "anna@example.com"})  # the nightly's file step
    land_drop_folder(connect, drop)  # the next load
    with connect() as conn:
        (deleted,) = conn.execute(
            "select is_deleted from raw.crm_customers where natural_key = 'C000002'"
            " order by ingest_seq desc limit 1"
        ).fetchone()
    assert deleted is False
