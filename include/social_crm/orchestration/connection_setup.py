"""The API connections created once in Airflow's database (compose's `airflow-init`): from then
on the UI shows them and an edit there is what the next task run reads.

`python -m social_crm.orchestration.connection_setup` creates `facebook_graph`,
`instagram_graph` and `x_api` from `<ID>_URL` and `<ID>_TOKEN` (settings.py) where the token is
set and the database has no connection of that id; one that exists is never changed, so
running it on every start keeps what was edited in the UI. Not `AIRFLOW_CONN_<ID>` variables:
Airflow reads those before its database and never shows them in the UI, so an edit made there
would be silently ignored
(https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html#visibility-in-ui-and-cli).
"""

from __future__ import annotations

import json
import sys

from social_crm import settings
from social_crm.extract.credentials import ApiCredentials
from social_crm.orchestration import connection_types


def from_settings(
    loaded: settings.Settings | None = None,
) -> tuple[list[ApiCredentials], list[str]]:
    """The API connections whose URL and token are set, and the ids of those without a token."""
    loaded = loaded or settings.load()
    found, without = [], []
    for conn_id in settings.API_CONNECTIONS:
        url, token = loaded.api_from_env(conn_id) or ("", "")
        if token:
            found.append(ApiCredentials(conn_id, url, token))
        else:
            without.append(conn_id)
    return found, without


def create_missing(connections: list[ApiCredentials]) -> dict[str, bool]:
    """Saves each connection whose id Airflow's database does not hold; {id: created}. An
    existing connection, edited in the UI or not, is left as it is. Each of our connections has
    its own type, named as its id (connection_types)."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    created = {}
    with create_session() as session:
        for new in connections:
            conn_id = new.connection_id
            exists = session.scalar(select(Connection.id).where(Connection.conn_id == conn_id))
            created[conn_id] = exists is None
            if exists is None:
                session.add(
                    Connection(
                        conn_id=conn_id,
                        conn_type=conn_id,
                        host=new.base_url,
                        password=new.token,
                        extra=json.dumps(dict(new.extra)) if new.extra else None,
                    )
                )
    return created


def main() -> int:
    found, without = from_settings()
    for conn_id, created in create_missing(found).items():
        if created:
            print(f"connection {conn_id}: created in Airflow's database")
        else:
            print(f"connection {conn_id}: exists, kept as it is (edit it in the UI)")
    for conn_id in without:
        kind = next(t for t in connection_types.TYPES if t.conn_type == conn_id)
        print(
            f"connection {conn_id}: not created ({conn_id.upper()}_TOKEN is empty); add it in "
            f"the UI: Admin > Connections > Add, type {kind.name!r}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
