"""The receiver's secrets: the Meta app secret (checks each delivery's signature) and the
verify token (answers the subscription handshake), from `META_APP_SECRET` and
`META_WEBHOOK_VERIFY_TOKEN`, else from the Airflow connection `meta_webhooks` (password = the
app secret, extra `verify_token`). Never in a log line, an error or a repr."""

from __future__ import annotations

from dataclasses import dataclass, field

from social_crm import settings

CONNECTION = "meta_webhooks"


class ReceiverNotConfigured(RuntimeError):
    """The receiver cannot start: a secret is missing."""


@dataclass(frozen=True)
class ReceiverConfig:
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    max_bytes: int = settings.WEBHOOK_MAX_BYTES

    def secrets(self) -> tuple[str, ...]:
        return (self.app_secret, self.verify_token)


def resolve() -> ReceiverConfig:
    """The secrets from the environment, else from the Airflow connection; refuses (naming
    what to set) when the app secret or the verify token is missing."""
    loaded = settings.load()
    secret, token = loaded.meta_app_secret, loaded.meta_webhook_verify_token
    if not secret or not token:
        from_airflow = _from_airflow()
        secret = secret or from_airflow[0]
        token = token or from_airflow[1]
    missing = [
        name
        for name, value in (("META_APP_SECRET", secret), ("META_WEBHOOK_VERIFY_TOKEN", token))
        if not value
    ]
    if missing:
        raise ReceiverNotConfigured(
            f"the webhook receiver needs {' and '.join(missing)}: set them, or create the "
            f"Airflow connection '{CONNECTION}' (password = the Meta app secret, extra "
            '{"verify_token": "..."}); without the app secret no delivery can be verified'
        )
    assert secret is not None and token is not None
    return ReceiverConfig(secret, token, loaded.webhook_max_bytes)


def _from_airflow() -> tuple[str | None, str | None]:
    from social_crm.extract.credentials import airflow_connection

    conn = airflow_connection(CONNECTION)[0]  # none found or no store readable: env vars only
    if conn is None:
        return None, None
    token = (conn.extra_dejson or {}).get("verify_token")
    return conn.password or None, token if isinstance(token, str) and token else None
