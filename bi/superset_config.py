"""Superset's configuration for the Social CRM dashboards (docs/bi.md): `make bi` and the tests
point SUPERSET_CONFIG_PATH here; the compose image copies it in. Everything that differs per
place comes from the environment; nothing secret is written here."""

import os

# Superset signs sessions and encrypts saved database passwords with it: generated into
# .local/bi/ by `make bi` (or given by compose's env), never committed
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# Superset's own metadata database (users, dashboards): SQLite under .local/bi/ locally and on
# a volume in compose
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URL"]
# Superset's HTTP security headers (flask-talisman) off: it is served over plain HTTP on
# 127.0.0.1 (`make bi`) or published on PUBLISH_HOST; behind a TLS proxy, turn them on
TALISMAN_ENABLED = False
