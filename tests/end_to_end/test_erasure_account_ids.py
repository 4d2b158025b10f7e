"""An erasure request naming an account by its id: a CRM of numeric ids may have a customer
whose id is that number. The id names the account, not that customer: their quarantined
records stay."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.crm import land_drop_folder
from social_crm.privacy import erasure
from tests.databases import identity_links

pytestmark = pytest.mark.integration

FILER = "C000009"
# a numeric customer id as long as an account's (12 digits and up: unambiguous in a text)
NUMBERS = st.integers(10**11, 10**18).map(str)
EXAMPLES = settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(number=NUMBERS, form=st.sampled_from(["facebook.com/{}", "https://x.com/i/user/{}"]))
@EXAMPLES
def test_a_request_naming_an_account_id_keeps_the_quarantined_records_of_a_customer_with_it(
    db, tmp_path_factory, number, form
):
    drop = tmp_path_factory.mktemp("drop")
    connect = lambda: psycopg.connect(db.libpq())  # noqa: E731
    (drop / "customers_2026-12-01.csv").write_text(
        "customer_id,email,marketing_opt_in,profiling_opt_out\n"
        f"{number},n{number}@example.org,true,false\n{FILER},f@example.org,true,false\n"
    )
    (drop / "orders_2026-12-01.csv").write_text(  # a bad amount: quarantined
        f"order_id,customer_id,ordered_at,amount\nO-{number},{number},2026-12-01T10:00:00Z,1.001\n"
    )
    (drop / "erasure_requests_2026-12-01.csv").write_text(
        f"customer_id,requested_at,identifiers\n{FILER},2026-12-01T12:00:00Z,{form.format(number)}\n"
    )
    land_drop_folder(connect, drop)
    with connect() as conn:
        identity_links(conn)
        quarantined = "select count(*) from raw_quarantine.records where raw_text like %s"
        before = conn.execute(quarantined, (f"%O-{number}%",)).fetchone()[0]
        erasure.erase_requested(conn, drop_dir=drop)
        after = conn.execute(quarantined, (f"%O-{number}%",)).fetchone()[0]
    assert before == 1
    assert after == before, f"customer {number}'s quarantined order erased by an account's id"
