"""What linked a customer to profiles outlives their CRM record: the night the CRM deletes
them, the matching step keeps their identity links and the model's pairs as last computed
(scoring.identity_departed_links); a customer who comes back leaves it. On a real
PostgreSQL, with the tables the step reads filled from a simulated population."""

from __future__ import annotations

import psycopg
import pytest

from social_crm.identity import run as identity
from social_crm.warehouse import migrations
from social_crm_dev.bench import linking_inputs
from tests.integration.test_identity_incremental import INPUTS, _fill

pytestmark = pytest.mark.integration

LINKS = "create table intermediate.int_identity_links (profile_key text, customer_id text,"
LINKS += " match_method text)"


def _departed(conn: psycopg.Connection) -> set[tuple]:
    return set(
        conn.execute(
            "select customer_id, profile_key, basis, match_probability, best_probability"
            " from scoring.identity_departed_links"
        ).fetchall()
    )


@pytest.fixture(scope="module")
def nights(warehouse_url):
    """A first night; a second without 5 customers (their links as the first night built
    them); a third with them back."""
    from tests.databases import new_database

    profiles, customers, _, known = linking_inputs(600, 900)
    gone = list(customers["customer_id"].iloc[:5])
    with new_database(warehouse_url) as db, psycopg.connect(db.libpq()) as conn:
        migrations.apply(conn)
        conn.execute(INPUTS)
        conn.execute(LINKS)
        _fill(conn, profiles, customers, known)
        conn.commit()
        identity.run(conn)
        pairs = conn.execute(
            "select customer_id, profile_key, 'model', match_probability,"
            " (select max(b.match_probability) from scoring.identity_match_pairs as b"
            "  where b.profile_key = p.profile_key)"
            " from scoring.identity_match_pairs as p where customer_id = any(%s)",
            (gone,),
        ).fetchall()
        # the links the first night built: one known account and one model link of theirs
        links = [("x:linked-0", gone[0], "known:social_login"), ("x:linked-1", gone[1], "model")]
        conn.cursor().executemany(
            "insert into intermediate.int_identity_links values (%s, %s, %s)", links
        )
        _fill(conn, profiles, customers.iloc[5:], known)
        conn.commit()
        second = identity.run(conn)
        after_second = _departed(conn)
        _fill(conn, profiles, customers, known)
        conn.commit()
        identity.run(conn)
        expected = set(pairs) | {(c, p, f"link:{m}", None, None) for p, c, m in links}
        yield {"expected": expected, "second": second, "departed": after_second, "conn": conn}


def test_the_night_the_crm_deletes_customers_keeps_their_links_and_pairs(nights):
    assert any(basis == "model" for _, _, basis, _, _ in nights["expected"])
    assert nights["departed"] == nights["expected"]
    departed = {customer for customer, *_ in nights["expected"]}
    assert nights["second"]["customers departed"] == len(departed)


def test_a_deleted_customer_who_comes_back_leaves_the_departed_links(nights):
    assert _departed(nights["conn"]) == set()
