"""Settings of the developer tooling (simulator, demo, benchmark, embedded warehouse): the one
place it reads the environment. The pipeline's own settings are `social_crm.settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from social_crm.settings import SettingError, counting_number, shown_setting

# the simulator's tokens when SIM_FACEBOOK_TOKEN / SIM_X_TOKEN are not set
DEFAULT_FB_TOKEN = "sim-facebook-token"
DEFAULT_X_TOKEN = "sim-x-bearer-token"
# an OAuth 2.0 user token of our brand's account, which owns the simulated developer app: with
# it, the account's own timeline, mentions and followers are Owned Reads (x_billing.py)
DEFAULT_X_USER_TOKEN = "sim-x-owner-user-token"


@dataclass(frozen=True)
class DevSettings:
    sim_facebook_token: str = field(repr=False)  # SIM_FACEBOOK_TOKEN: the simulator's Graph token
    sim_x_token: str = field(repr=False)  # SIM_X_TOKEN: the simulator's X bearer token
    demo_scale: float  # DEMO_SCALE: world size of `make demo` (1.0 = ~2,000 customers)
    bench_events: int  # BENCH_SCALE: engagement events of `make bench`
    pg_port: int | None  # SOCIAL_CRM_PG_PORT: the embedded PostgreSQL's port (else a free one)
    # SOCIAL_CRM_SIMULATOR_PORT: the port of the demo's simulator (the demo and `make airflow`),
    # which the Airflow connections the demo saves name
    simulator_port: int
    # WEBHOOKS_PORT: the port of `make airflow`'s webhook receiver (local_webhooks.py)
    webhooks_port: int
    airflow_home: str | None  # AIRFLOW_HOME: the local Airflow's home (else .local/airflow)
    # AIRFLOW__API__PORT and AIRFLOW__API__HOST: where `make airflow`'s UI and API listen (the
    # `--port` and `--host` flags win); Airflow's own settings of its API server
    # (airflow.apache.org/docs/apache-airflow/3.3.2/configurations-ref.html#api), with its
    # default port and this machine only as the host
    airflow_port: int
    airflow_host: str
    bi_port: int  # SOCIAL_CRM_BI_PORT: where `make bi` serves Superset (docs/bi.md)
    # SUPERSET_SECRET_KEY: the key `make bi`'s Superset signs sessions and encrypts the saved
    # warehouse password with (else one generated into .local/bi/)
    superset_secret_key: str | None = field(repr=False)
    # SENTIMENT_DATA_DIR: the shared human-labelled sentiment data (else ../shared/sentiment
    # beside the checkout), read by the sentiment training script, tests and benchmark
    sentiment_data_dir: str | None
    # SENTIMENT_EXTRA_DIR: extra public training splits that `python -m
    # social_crm_dev.sentiment_data fetch` copies in (else .local/sentiment-extra)
    sentiment_extra_dir: str | None
    # SOCIAL_CRM_SIM_BRANDS: the brands of the simulator's world, an agency's 3 to 64 (the bench's
    # agency series sets it for the DAG runs it starts; else the seed's ours and two rivals)
    sim_brands: int | None


def _number(env: Mapping[str, str], name: str, kind: type, default):
    """A positive number: a whole one by the product's one rule (settings.counting_number:
    ASCII digits only), a fraction as ASCII digits with a point, finite."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value: float | int | None
    if kind is int:
        value = counting_number(raw)
    else:
        # float() also reads other scripts' digits, underscores, "nan" and "inf"
        written = raw.isascii() and raw.replace(".", "", 1).isdigit()
        value = float(raw) if written else None
    if value is None or value <= 0:
        raise SettingError(
            f"{name} must be a number > 0 written in ASCII digits (got {shown_setting(raw)})"
        )
    return value


def _port(env: Mapping[str, str], name: str, default: int | None):
    port = _number(env, name, int, default)
    if port is not None and port > 65535:
        raise SettingError(f"{name} must be a TCP port, 1 to 65535 (got {port})")
    return port


def load(env: Mapping[str, str] | None = None) -> DevSettings:
    env = os.environ if env is None else env
    return DevSettings(
        sim_facebook_token=env.get("SIM_FACEBOOK_TOKEN") or DEFAULT_FB_TOKEN,
        sim_x_token=env.get("SIM_X_TOKEN") or DEFAULT_X_TOKEN,
        demo_scale=_number(env, "DEMO_SCALE", float, 1.0),
        bench_events=_number(env, "BENCH_SCALE", int, 1_000_000),
        pg_port=_port(env, "SOCIAL_CRM_PG_PORT", None),
        simulator_port=_port(env, "SOCIAL_CRM_SIMULATOR_PORT", 8799),
        webhooks_port=_port(env, "WEBHOOKS_PORT", 8790),
        airflow_home=env.get("AIRFLOW_HOME") or None,
        airflow_port=_port(env, "AIRFLOW__API__PORT", 8080),
        airflow_host=env.get("AIRFLOW__API__HOST", "").strip() or "127.0.0.1",
        bi_port=_port(env, "SOCIAL_CRM_BI_PORT", 8088),
        superset_secret_key=env.get("SUPERSET_SECRET_KEY", "").strip() or None,
        sentiment_data_dir=env.get("SENTIMENT_DATA_DIR") or None,
        sentiment_extra_dir=env.get("SENTIMENT_EXTRA_DIR") or None,
        sim_brands=_number(env, "SOCIAL_CRM_SIM_BRANDS", int, None),
    )
