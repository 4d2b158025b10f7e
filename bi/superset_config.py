"""Superset's configuration for the Social CRM dashboards (docs/bi.md): `make bi` and the tests
point SUPERSET_CONFIG_PATH here; the compose image copies it in. Everything that differs per
place comes from the environment; nothing secret is written here."""

import os
import re
from typing import Any

from superset.utils.log import DBEventLogger

# Superset signs sessions and encrypts saved database passwords with it: generated into
# .local/bi/ by `make bi` (or given by compose's env), never committed
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# Superset's own metadata database (users, dashboards): SQLite under .local/bi/ locally and on
# a volume in compose
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URL"]

# Superset's HTTP security headers (flask-talisman) stay on, with Superset's own default policy
# (TALISMAN_CONFIG of superset/config.py): a Content-Security-Policy (scripts only from Superset
# itself, with a nonce; no plugin objects) and frame-ancestors/X-Frame-Options against framing.
TALISMAN_ENABLED = True

# Form and JSON fields whose value is a secret, at any depth of a logged request: the dashboard
# import's `passwords` (the BI login's), a database's password, sqlalchemy_uri and
# masked_encrypted_extra, the SSH tunnel's passwords and private keys.
_SECRET_FIELD = re.compile(r"password|secret|private_key|sqlalchemy_uri|encrypted_extra", re.I)
REDACTED = "<redacted>"


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_FIELD.search(str(key)) else _redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


class RedactingEventLogger(DBEventLogger):
    """Superset's action log (the `logs` table, GET /api/v1/log/) without secrets: its default
    logger stores every request's form and JSON fields (superset/utils/log.py,
    collect_request_payload), the import's `passwords` field among them."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        for key in ("records", "curated_payload", "curated_form_data"):
            if kwargs.get(key) is not None:
                kwargs[key] = _redacted(kwargs[key])
        super().log(*args, **kwargs)


EVENT_LOGGER = RedactingEventLogger()
