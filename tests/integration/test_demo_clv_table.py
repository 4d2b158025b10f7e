"""The demo's top-CLV table shows social CLV as the sum of its four documented parts
(docs/data-model.md: predicted purchases + weight x influence x network size + weight x
influence x community size + weight x idea sales), in the marts' currency: generated
customers in a scratch `marts` schema of the mart's shape."""

from decimal import Decimal

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm_dev import demo
from tests.databases import new_database

MONEY = st.decimals(0, 50_000, places=2)
PRODUCT = st.decimals(0, 10_000, places=4)  # influence x a size, as the mart rounds it
CUSTOMER = st.tuples(MONEY, PRODUCT, PRODUCT, MONEY)


@pytest.fixture(scope="module")
def marts(warehouse_url):
    with new_database(warehouse_url) as db, psycopg.connect(db.libpq(), autocommit=True) as conn:
        conn.execute(
            "create schema marts;"
            " create table marts.people (person_id text primary key, full_name text);"
            " create table marts.customer_lifetime_value (customer_id text primary key,"
            " predicted_clv numeric(14, 2), predicted_clv_low numeric(14, 2),"
            " predicted_clv_high numeric(14, 2), influence_x_network numeric(18, 4),"
            " influence_x_community numeric(18, 4), clv_from_network numeric(14, 2),"
            " clv_from_community numeric(14, 2), clv_from_ideas numeric(14, 2),"
            " idea_sales numeric(14, 2), social_clv numeric(14, 2))"
        )
        yield conn


def _publish(conn, customers) -> None:
    """The customers as the mart holds them: each part weighed and rounded to the cent, social
    CLV their sum."""
    w = {k: Decimal(str(v)) for k, v in demo.dbt_vars().items() if k.startswith("clv_weight_")}
    conn.execute("truncate marts.people, marts.customer_lifetime_value")
    for n, (predicted, network, community, ideas) in enumerate(customers):
        parts = [
            round(w["clv_weight_network"] * network, 2),
            round(w["clv_weight_community"] * community, 2),
            round(w["clv_weight_ideas"] * ideas, 2),
        ]
        conn.execute("insert into marts.people values (%s, %s)", (f"C{n}", f"name {n}"))
        conn.execute(
            "insert into marts.customer_lifetime_value values"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                f"C{n}",
                predicted,
                predicted,
                predicted,
                network,
                community,
                *parts,
                ideas,
                predicted + sum(parts),
            ),
        )


@settings(max_examples=25, deadline=None)
@given(customers=st.lists(CUSTOMER, min_size=1, max_size=12))
def test_the_printed_parts_add_up_to_the_printed_social_clv(marts, customers):
    _publish(marts, customers)
    _, lines = demo.clv_table(demo.top_social_clv(marts))
    for line in lines:
        parts = [Decimal(cell.split(" ")[0].replace(",", "")) for cell in line[2:6]]
        total = Decimal(line[6].replace(",", ""))
        assert sum(parts) == total, line  # four parts, each to the cent, add up exactly


@settings(max_examples=10, deadline=None)
@given(customers=st.lists(CUSTOMER, min_size=1, max_size=12))
def test_the_table_names_the_marts_currency_in_its_money_columns(marts, customers):
    _publish(marts, customers)
    header, _ = demo.clv_table(demo.top_social_clv(marts))
    currency = demo.dbt_vars()["currency"]
    assert [h for h in header if currency in h] == [header[2], header[6]]
