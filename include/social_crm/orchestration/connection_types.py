"""Our Airflow connection types, so the UI's connection form knows them (Admin > Connections:
the type's name, host and token fields, what goes in the extra).

Airflow 3 takes connection types from providers: an installed distribution whose
`apache_airflow_provider` entry point (pyproject.toml) returns its provider info, whose
`connection-types` name each type's hook class and, since Airflow 3.2, describe its form
declaratively (`hook-name`, `ui-field-behaviour`): the API server reads the form from there
without importing the hook
(https://airflow.apache.org/docs/apache-airflow-providers/howto/create-custom-providers.html,
https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html#custom-connection-types,
https://github.com/apache/airflow/pull/63261). A hook class still carries `conn_type`,
`conn_name_attr` and `hook_name`: Airflow checks them when it imports the hook
(connection_hooks.py). This module imports nothing of Airflow: Airflow loads it while it
configures itself.

Each type is named as the connection that uses it; `extract.credentials` reads those, host =
API base URL, password = token, extra = the options `settings.ApiOptions` validates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from social_crm.extract import credentials

PACKAGE = "social-crm"  # the distribution (pyproject.toml): Airflow checks the two agree
HOOKS_MODULE = "social_crm.orchestration.connection_hooks"
WEBHOOKS = "meta_webhooks"  # receive.config.CONNECTION: the webhook receiver's secrets


@dataclass(frozen=True)
class ConnectionType:
    conn_type: str  # also the id of the connection that uses it
    name: str  # what the UI's "Connection Type" list shows
    hook_class: str  # the hook's class name in connection_hooks
    host: str  # the official API host: the host field's placeholder
    password: str  # the password field's label
    extra: str  # an example of its extra JSON, the description field's placeholder
    hidden: tuple[str, ...] = ("schema", "login", "port")


TYPES = (
    ConnectionType(
        credentials.FACEBOOK,
        "Facebook Graph API",
        "FacebookGraphHook",
        "https://graph.facebook.com",
        "System-user token (MODERATE and ANALYZE on the Pages)",
        '{"api_version": "v27.0", "page_ids": ["<page-id>"]}',
    ),
    ConnectionType(
        credentials.INSTAGRAM,
        "Instagram API with Facebook Login",
        "InstagramGraphHook",
        "https://graph.facebook.com",
        "System-user token (instagram_basic, instagram_manage_comments, ...)",
        '{"hashtags": ["<campaign-hashtag>"]}',
    ),
    ConnectionType(
        credentials.X,
        "X API v2",
        "XApiHook",
        "https://api.x.com",
        "Bearer token",
        '{"tier": "pay_per_use", "monthly_budget_usd": 100}',
    ),
    ConnectionType(
        WEBHOOKS,
        "Meta webhooks (app secret)",
        "MetaWebhooksHook",
        "",
        "Meta app secret",
        '{"verify_token": "<the token of the subscription handshake>"}',
        hidden=("host", "schema", "login", "port"),
    ),
)


def get_provider_info() -> dict[str, Any]:
    """The provider info Airflow's ProvidersManager reads through the entry point."""
    return {
        "package-name": PACKAGE,
        "name": "Social CRM",
        "description": "Connection types of the social CRM pipeline's APIs",
        "connection-types": [
            {
                "connection-type": kind.conn_type,
                "hook-class-name": f"{HOOKS_MODULE}.{kind.hook_class}",
                "hook-name": kind.name,
                "ui-field-behaviour": {
                    "hidden-fields": list(kind.hidden),
                    "relabeling": {"password": kind.password}
                    | ({"host": "API base URL"} if kind.host else {}),
                    # the form shows no placeholder in the extra's JSON editor: the description
                    # field's says what the extra takes
                    "placeholders": {"description": f"extra, e.g. {kind.extra}"}
                    | ({"host": kind.host} if kind.host else {}),
                },
            }
            for kind in TYPES
        ],
    }
