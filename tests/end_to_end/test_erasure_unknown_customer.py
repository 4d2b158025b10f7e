"""An erasure request for a customer id the CRM never had: its id may be any word (`nightly`,
`INFO`), so it names nothing in free text; only a record keyed by it exactly goes."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from social_crm.extract.crm import land_drop_folder
from social_crm.privacy import erasure
from tests.databases import identity_links

pytestmark = pytest.mark.integration

KNOWN = "C000001"
# a word as a text holds it, long enough to be matched as a whole word were it a token
WORDS = st.from_regex(r"\A[a-z]{6,12}\Z", fullmatch=True).filter(lambda w: w != "refused")
EXAMPLES = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _erase_unknown(db, drop, word: str, error: str) -> dict[str, object]:
    """Land a known customer, an order of `word` with a bad amount (quarantined) and an
    erasure request for `word`, record `error` as a load's error, and erase."""
    connect = lambda: psycopg.connect(db.libpq())  # noqa: E731
    (drop / "customers_2026-12-01.csv").write_text(
        f"customer_id,email,marketing_opt_in,profiling_opt_out\n{KNOWN},a@example.org,true,false\n"
    )
    (drop / "orders_2026-12-01.csv").write_text(
        "order_id,customer_id,ordered_at,amount\n"
        f"O-{word},{word},2026-12-01T10:00:00Z,1.001\n"
        f"O-{KNOWN},{KNOWN},2026-12-01T10:00:00Z,1.001\n"
    )
    (drop / "erasure_requests_2026-12-01.csv").write_text(
        f"customer_id,requested_at\n{word},2026-12-01T12:00:00Z\n"
    )
    land_drop_folder(connect, drop)
    with connect() as conn:
        identity_links(conn)
        conn.execute(
            "insert into meta.load_batches (batch_id, source, entity, status, error,"
            " finished_at) values (gen_random_uuid(), 'crm', 'test', 'failed', %s, now())",
            (error,),
        )
        erasure.erase_requested(conn, drop_dir=drop)
        return {
            "errors": {e for (e,) in conn.execute("select error from meta.load_batches")},
            "quarantined": [
                r
                for (r,) in conn.execute(
                    "select raw_text from raw_quarantine.records where entity = 'orders'"
                )
            ],
        }


@given(word=WORDS)
@EXAMPLES
def test_a_request_for_a_customer_the_crm_never_had_erases_no_text_naming_the_word(
    db, tmp_path_factory, word
):
    error = f"step {word} refused"
    left = _erase_unknown(db, tmp_path_factory.mktemp("drop"), word, error)
    assert error in left["errors"]


@given(word=WORDS)
@EXAMPLES
def test_a_request_for_a_customer_the_crm_never_had_erases_their_quarantined_record(
    db, tmp_path_factory, word
):
    left = _erase_unknown(db, tmp_path_factory.mktemp("drop"), word, "no error")
    assert not [r for r in left["quarantined"] if f"O-{word}" in r]
    assert [r for r in left["quarantined"] if f"O-{KNOWN}" in r]
