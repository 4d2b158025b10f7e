"""The handles a customer record carries into identity matching (identity/run.py, CUSTOMERS):
their X handle and Instagram username as the CRM knows them or CRM staff accepted them, the
evidence a profile's handle on the other platform is compared with. Never a model link."""

from __future__ import annotations

import psycopg
import pytest

from social_crm.identity import run as identity
from social_crm.warehouse import migrations
from tests.databases import new_database
from tests.integration.test_identity_incremental import INPUTS

pytestmark = pytest.mark.integration

ROWS = """
insert into staging.stg_crm__customers values
    ('C1', 'Mia', 'Wood', null, null, null), ('C2', 'Bo', 'Kim', null, null, null),
    ('C3', 'Cy', 'Lee', null, null, null), ('C4', 'Di', 'Ng', null, null, null);
insert into intermediate.int_social_profiles
    (profile_key, platform, display_name, handle, location_text, profile_id) values
    ('x:5', 'x', 'Mia W', 'Mia_W', null, '5'), ('x:6', 'x', 'Bo', 'Bo_K', null, '6'),
    ('instagram:cy.lee', 'instagram', null, 'Cy.Lee', null, 'cy.lee'),
    ('x:7', 'x', 'Di', 'di_n', null, '7');
insert into staging.stg_crm__customer_social_accounts values
    ('C1', 'x', '5', null), ('C1', 'instagram', null, 'mia.w');
insert into staging.stg_crm__identity_decisions values
    ('x:6', 'C2', 'accept'), ('instagram:cy.lee', 'C3', 'accept'), ('x:7', 'C4', 'reject');
create table intermediate.int_identity_links (profile_key text, customer_id text);
insert into intermediate.int_identity_links values ('x:7', 'C4');
"""


@pytest.fixture(scope="module")
def handles(warehouse_url):
    with new_database(warehouse_url) as url, psycopg.connect(url.libpq()) as conn:
        migrations.apply(conn)
        conn.execute(INPUTS)
        conn.execute(ROWS)
        frame = identity._frame(conn, identity.CUSTOMERS)
    frame = frame.astype(object).where(frame.notna(), None)  # a missing handle: None
    return {
        c: (x, ig)
        for c, x, ig in zip(
            frame["customer_id"], frame["x_handle"], frame["instagram_username"], strict=True
        )
    }


def test_the_crms_known_accounts_give_the_handles_an_x_account_by_its_profiles(handles):
    assert handles["C1"] == ("mia_w", "mia.w")


def test_an_accepted_decision_gives_the_handle_of_its_profile(handles):
    assert handles["C2"] == ("bo_k", None)
    assert handles["C3"] == (None, "cy.lee")


def test_a_rejected_decision_or_a_model_link_gives_no_handle(handles):
    assert handles["C4"] == (None, None)
