"""The pipeline's settings: the one place that reads the environment for configuration.

`load()` reads and validates every setting and raises `SettingError` naming the variable to fix;
the CLI calls it at start, and every task reads its settings through it, so a bad value fails
the first thing that runs, not a query an hour later. Values are read again on each call (a
dozen lookups): tests and the demo may change the environment between runs.

API credentials and their options come from Airflow Connections (`extract/credentials.py`);
`ApiOptions` here validates those connections' extras the same way, and `WarehouseUrl`
is what `WAREHOUSE_URL` says (the warehouse package connects with it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# CLV purchase periods (SOCIAL_CRM_CLV_PERIOD) -> pandas period code
CLV_PERIODS = {"day": "D", "week": "W", "month": "M"}

# the largest Meta webhook delivery the receiver takes by default (docs/webhooks.md): a full
# batch (Meta: up to 1,000 updates) of the longest text a change carries (a Facebook comment,
# 8,000 characters), every character an emoji escaped as Meta escapes it (`\\ud83d\\ude0d`,
# 12 bytes), plus 4,000 bytes of ids, names and keys a change: 1,000 x (96,000 + 4,000) =
# 100,000,000 bytes, rounded up to 96 MiB
WEBHOOK_MAX_BYTES = 96 * 1_048_576


class SettingError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
_WAREHOUSE_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


class WarehouseConfigError(SettingError):
    """WAREHOUSE_URL is not a PostgreSQL URL we can use."""


@dataclass(frozen=True)
class WarehouseUrl:
    """A PostgreSQL location in the forms each client wants. `str()` never shows the password."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str

    @classmethod
    def parse(cls, url: str) -> WarehouseUrl:
        parts = urlsplit(url)
        if parts.scheme not in _WAREHOUSE_SCHEMES:
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL_ENV} must start with postgresql:// (got scheme {parts.scheme!r})"
            )
        database = parts.path.lstrip("/")
        if not parts.hostname or not database:
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL_ENV} needs a host and a database,"
                " e.g. postgresql://user:pass@host:5432/db"
            )
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            database=database,
        )

    def libpq(self, *, hide_password: bool = False) -> str:
        """`postgresql://...` for psql and psycopg."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if hide_password else quote(self.password, safe=""))
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"

    def sqlalchemy(self, driver: str = "psycopg") -> str:
        """A SQLAlchemy URL with the given DBAPI driver (psycopg 3 by default)."""
        return self.libpq().replace("postgresql://", f"postgresql+{driver}://", 1)

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by dbt_project/profiles.yml."""
        return {
            "WAREHOUSE_HOST": self.host,
            "WAREHOUSE_PORT": str(self.port),
            "WAREHOUSE_USER": self.user,
            "WAREHOUSE_PASSWORD": self.password,
            "WAREHOUSE_DB": self.database,
        }

    def __str__(self) -> str:
        return self.libpq(hide_password=True)


@dataclass(frozen=True)
class Settings:
    home: Path  # SOCIAL_CRM_HOME: the project checkout (dags/, dbt_project/)
    local_dir: Path  # SOCIAL_CRM_LOCAL_DIR: machine-local state (manifest, docs, test data)
    dbt_project_dir: Path  # DBT_PROJECT_DIR
    data_docs_dir: Path  # SOCIAL_CRM_DATA_DOCS_DIR: where Great Expectations writes Data Docs
    dbt_docs_dir: Path  # SOCIAL_CRM_DBT_DOCS_DIR: where `dbt docs generate` writes the docs site
    crm_drop_dir: Path  # CRM_DROP_DIR: the folder the CRM exports are dropped in
    # where the pipeline's runs write files that erasure scrubs: Airflow's task logs
    # (AIRFLOW__LOGGING__BASE_LOG_FOLDER, else $AIRFLOW_HOME/logs), dbt's target and log folders
    # (DBT_TARGET_PATH, DBT_LOG_PATH, relative to the dbt project as dbt reads them)
    airflow_logs_dir: Path
    dbt_target_dir: Path
    dbt_log_dir: Path
    warehouse_url: str | None = field(repr=False)  # WAREHOUSE_URL (may hold a password)
    alert_webhook: str | None = field(repr=False)  # SOCIAL_CRM_ALERT_WEBHOOK (may hold a key)
    bi_reader_user: str | None  # BI_READER_USER: the BI login, with BI_READER_PASSWORD
    bi_reader_password: str | None = field(repr=False)
    # SUPERSET_URL, SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD: the Superset that
    # `social-crm superset-provision` loads the dashboards into (docs/bi.md);
    # SUPERSET_BUNDLE_DIR: the dashboards as code (default: the checkout's bi/superset)
    superset_url: str | None
    superset_admin_user: str | None
    superset_admin_password: str | None = field(repr=False)
    superset_bundle_dir: Path
    ca_bundle: str | None  # REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, for the API clients
    debug: bool  # SOCIAL_CRM_DEBUG: tracebacks instead of one-line CLI errors
    # FACEBOOK_GRAPH_URL/_TOKEN, X_API_URL/_TOKEN: API credentials without Airflow
    api_env: Mapping[str, tuple[str, str]] = field(repr=False, default_factory=dict)
    # CLV (README, "Customer lifetime value"): SOCIAL_CRM_CLV_PERIOD, the purchase period
    # (day | week | month); SOCIAL_CRM_CLV_HORIZON_WEEKS, how far ahead it predicts;
    # SOCIAL_CRM_CLV_OBSERVATION_END, the last day of orders it reads (default: up to the run's
    # as-of time); SOCIAL_CRM_CLV_HOLDOUT_WEEKS, the last weeks the calibration fit leaves out;
    # SOCIAL_CRM_CLV_REFIT_DAYS, how far the observation end may move past the last fit's before
    # the models are fitted again (in between, every customer is scored with its parameters)
    clv_period: str = "day"
    clv_horizon_weeks: int = 52
    clv_observation_end: datetime | None = None  # exclusive: the day after the last day read
    clv_holdout_weeks: int = 13
    clv_refit_days: int = 7
    # the live queue (README, "Open conversations"): SOCIAL_CRM_LIVE_POST_DAYS, how many days of
    # posts the 10-minute walk reads the new comments of (older posts: the hourly extraction);
    # SOCIAL_CRM_SPIKE_COOL_DOWN_HOURS, how long a brand and channel must stay calm before a
    # new spike is a new alert
    live_post_days: int = 3
    spike_cool_down_hours: int = 6
    # identity matching (README, "Identity resolution"): SOCIAL_CRM_IDENTITY_RETRAIN_DAYS, how
    # old the record linkage model may grow before the nightly trains it again (in between, it
    # scores only the profiles and customers that are new or changed)
    identity_retrain_days: int = 7
    # sentiment scoring (README, "Sentiment"): SOCIAL_CRM_SENTIMENT_WORKERS, how many processes
    # score messages at once (default: the cores this process may run on)
    sentiment_workers: int = 1
    # the marts build (docs/operating.md, "When the marts are built"):
    # SOCIAL_CRM_MARTS_EVERY_HOURS, the build runs at most once in each period of this many
    # hours, and only when an extraction landed rows; 02:00 UTC every night whatever landed
    marts_every_hours: int = 1
    # raw source freshness (docs/operating.md, "Is a source late?"): SOCIAL_CRM_LATE_SOURCES,
    # what a source past its dbt freshness `error_after` does to the nightly run: `warn` (a
    # warning in its log) or `fail` (the run fails before the build)
    late_sources: str = "warn"
    # the Meta webhook receiver (docs/webhooks.md): META_APP_SECRET signs deliveries,
    # META_WEBHOOK_VERIFY_TOKEN answers the subscription handshake (else the Airflow connection
    # `meta_webhooks`); SOCIAL_CRM_WEBHOOK_MAX_BYTES, the largest delivery accepted; META_APP_ID
    # and META_WEBHOOK_CALLBACK_URL, what check-connections compares the subscription with
    meta_app_secret: str | None = field(repr=False, default=None)
    meta_webhook_verify_token: str | None = field(repr=False, default=None)
    webhook_max_bytes: int = WEBHOOK_MAX_BYTES
    meta_app_id: str | None = None
    meta_webhook_callback_url: str | None = None

    def api_from_env(self, connection_id: str) -> tuple[str, str] | None:
        """(base URL, token) from `<CONNECTION_ID>_URL` / `_TOKEN`, None when the URL is unset."""
        return self.api_env.get(connection_id)


API_CONNECTIONS = ("facebook_graph", "instagram_graph", "x_api")


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value is not None and (
        urlsplit(value).scheme not in ("http", "https") or "://" not in value
    ):
        raise SettingError(f"{name} must be an http(s):// URL")
    return value


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = _text(env, name)
    return Path(value).expanduser().resolve() if value else default


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (_text(env, name) or "0").lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingError(f"{name} must be 1/0, true/false or yes/no (got {value!r})")
    return value in ("1", "true", "yes")


# the longest number a count setting may have: more digits than any real count, and far
# fewer than Python's limit on reading a number from text (4,300 digits, a bare ValueError)
_MAX_DIGITS = 18


def counting_number(value: str) -> int | None:
    """`value` as a whole number >= 1 written in ASCII digits (leading zeros allowed), or None:
    Unicode digits, signs, spaces inside and numbers of more than 18 digits are not one."""
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit()) or not digits or len(digits) > _MAX_DIGITS:
        return None
    return int(digits)


def shown_setting(value: str) -> str:
    """A setting's value as an error quotes it: at most 40 characters of it."""
    return repr(value) if len(value) <= 40 else f"{value[:40]!r}... ({len(value)} characters)"


def _whole(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    value = _text(env, name)
    if value is None:
        return default
    number = counting_number(value)
    if number is None:
        raise SettingError(
            f"{name} must be a whole number of {unit} >= 1 (got {shown_setting(value)})"
        )
    return number


def _divisor_of_a_day(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of hours that divides a day: periods that start at the same hours every
    day, the same length apart."""
    value = _text(env, name)
    if value is None:
        return default
    number = counting_number(value)
    if number is None or 24 % number:
        raise SettingError(
            f"{name} must be a whole number of hours that divides 24: 1, 2, 3, 4, 6, 8, 12 or"
            f" 24 (got {shown_setting(value)})"
        )
    return number


def _day_after(env: Mapping[str, str], name: str) -> datetime | None:
    value = _text(env, name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise SettingError(f"{name} must be a date, YYYY-MM-DD (got {value!r})") from None
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _cores() -> int:
    """The cores this process may run on (a container's or a CPU set's, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no sched_getaffinity (macOS)
        return os.cpu_count() or 1


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Every setting, validated; `env` defaults to the process environment."""
    env = os.environ if env is None else env
    home = _path(env, "SOCIAL_CRM_HOME", Path(__file__).resolve().parents[2])
    local = _path(env, "SOCIAL_CRM_LOCAL_DIR", home / ".local")
    warehouse_url = _text(env, WAREHOUSE_URL_ENV)
    if warehouse_url is not None:
        WarehouseUrl.parse(warehouse_url)  # raises naming WAREHOUSE_URL
    bi_user, bi_password = _text(env, "BI_READER_USER"), _text(env, "BI_READER_PASSWORD")
    if (bi_user is None) != (bi_password is None):
        raise SettingError("set both BI_READER_USER and BI_READER_PASSWORD, or neither")
    api_env = {}
    for connection_id in API_CONNECTIONS:
        prefix = connection_id.upper()
        url = _http_url(env, f"{prefix}_URL")
        if url is not None:
            api_env[connection_id] = (url, _text(env, f"{prefix}_TOKEN") or "")
    dbt_project = _path(env, "DBT_PROJECT_DIR", home / "dbt_project")
    return Settings(
        home=home,
        local_dir=local,
        dbt_project_dir=dbt_project,
        data_docs_dir=_path(env, "SOCIAL_CRM_DATA_DOCS_DIR", local / "docs" / "data_docs"),
        dbt_docs_dir=_path(env, "SOCIAL_CRM_DBT_DOCS_DIR", local / "docs" / "dbt"),
        crm_drop_dir=_path(env, "CRM_DROP_DIR", local / "crm_drop"),
        airflow_logs_dir=_path(
            env,
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
            _path(env, "AIRFLOW_HOME", local / "airflow") / "logs",
        ),
        dbt_target_dir=dbt_project / (_text(env, "DBT_TARGET_PATH") or "target"),
        dbt_log_dir=dbt_project / (_text(env, "DBT_LOG_PATH") or "logs"),
        warehouse_url=warehouse_url,
        alert_webhook=_http_url(env, "SOCIAL_CRM_ALERT_WEBHOOK"),
        bi_reader_user=bi_user,
        bi_reader_password=bi_password,
        superset_url=_http_url(env, "SUPERSET_URL"),
        superset_admin_user=_text(env, "SUPERSET_ADMIN_USER"),
        superset_admin_password=_text(env, "SUPERSET_ADMIN_PASSWORD"),
        superset_bundle_dir=_path(env, "SUPERSET_BUNDLE_DIR", home / "bi" / "superset"),
        ca_bundle=_text(env, "REQUESTS_CA_BUNDLE") or _text(env, "CURL_CA_BUNDLE"),
        debug=_flag(env, "SOCIAL_CRM_DEBUG"),
        api_env=api_env,
        clv_period=_choice(env, "SOCIAL_CRM_CLV_PERIOD", tuple(CLV_PERIODS)),
        clv_horizon_weeks=_whole(env, "SOCIAL_CRM_CLV_HORIZON_WEEKS", 52, "weeks"),
        clv_observation_end=_day_after(env, "SOCIAL_CRM_CLV_OBSERVATION_END"),
        clv_holdout_weeks=_whole(env, "SOCIAL_CRM_CLV_HOLDOUT_WEEKS", 13, "weeks"),
        clv_refit_days=_whole(env, "SOCIAL_CRM_CLV_REFIT_DAYS", 7, "days"),
        live_post_days=_whole(env, "SOCIAL_CRM_LIVE_POST_DAYS", 3, "days"),
        spike_cool_down_hours=_whole(env, "SOCIAL_CRM_SPIKE_COOL_DOWN_HOURS", 6, "hours"),
        identity_retrain_days=_whole(env, "SOCIAL_CRM_IDENTITY_RETRAIN_DAYS", 7, "days"),
        sentiment_workers=_whole(env, "SOCIAL_CRM_SENTIMENT_WORKERS", _cores(), "processes"),
        marts_every_hours=_divisor_of_a_day(env, "SOCIAL_CRM_MARTS_EVERY_HOURS", 1),
        late_sources=_choice(env, "SOCIAL_CRM_LATE_SOURCES", ("warn", "fail")),
        meta_app_secret=_text(env, "META_APP_SECRET"),
        meta_webhook_verify_token=_text(env, "META_WEBHOOK_VERIFY_TOKEN"),
        webhook_max_bytes=_whole(env, "SOCIAL_CRM_WEBHOOK_MAX_BYTES", WEBHOOK_MAX_BYTES, "bytes"),
        meta_app_id=_text(env, "META_APP_ID"),
        meta_webhook_callback_url=_http_url(env, "META_WEBHOOK_CALLBACK_URL"),
    )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = (_text(env, name) or allowed[0]).lower()
    if value not in allowed:
        raise SettingError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


@dataclass(frozen=True)
class ApiOptions:
    """The extras of an API connection (`facebook_graph`, `instagram_graph`, `x_api`), typed
    and validated."""

    api_version: str
    lookback_days: int = 30
    page_size: int = 100
    # the age of an item at its first re-read (then at twice, four times ... that, within
    # lookback_days): a Facebook post's comments and reactions whose counts did not move are
    # walked again, an X Post is looked up by id. 0: every run walks the whole window
    recheck_hours: int = 24
    page_ids: tuple[str, ...] = ()
    # Instagram: the campaign hashtags whose recent media are read (30 unique per account in
    # any 7 days: the API's limit, counted by the extractor)
    hashtags: tuple[str, ...] = ()
    # X: the project's access model (`X_ACCESS`: pay-per-use, what a new developer gets, or a
    # legacy tier: its endpoints and monthly Post cap), a cap of our own below the model's
    # (0: the model's), a monthly budget in US dollars (0: none; pay-per-use), prices that
    # differ from `X_PRICES_USD` (a mapping, or "post=0.005,user=0.01"), full-archive search
    # (look back beyond 7 days), follower walks
    # owner_user_id: the X account whose OAuth 2.0 user token the connection carries, when it
    # is the developer app's owner and one of our brands (brands.csv is_ours): its own posts,
    # mentions and followers are then Owned Reads; empty (an app-only Bearer token): none are
    tier: str = "pay_per_use"
    monthly_read_cap: int = 0
    monthly_budget_usd: float = 0.0
    owner_user_id: str = ""
    prices: Mapping[str, float] = field(default_factory=lambda: dict(X_PRICES_USD))
    full_archive: bool = False
    follower_walks: str = "off"
    follower_walk_days: int = 7  # X: an account's followers are walked again this often
    count_audit_hours: int = 24  # X: each search's count audit, this often (0: every run)
    max_attempts: int = 8
    backoff_base: float = 0.5
    rate_limit_wait: float = 60.0
    full_archive_spacing: float = 1.0  # X: seconds between full-archive searches (1/sec)
    rate_limit_cap: float = 900.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    @classmethod
    def parse(cls, connection_id: str, extra: Mapping[str, Any], api_version: str) -> ApiOptions:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(extra) - known)
        if unknown:
            raise SettingError(
                f"connection '{connection_id}': unknown extra {', '.join(unknown)}"
                f" (known: {', '.join(sorted(known))})"
            )
        values: dict[str, Any] = {"api_version": str(extra.get("api_version", api_version))}
        if "prices" in extra:
            values["prices"] = _prices(connection_id, extra["prices"])
        for name in known - {"api_version", "prices"}:
            if name not in extra:
                continue
            default = cls.__dataclass_fields__[name].default
            values[name] = _extra_value(connection_id, name, extra[name], default)
        options = cls(**values)
        for name, allowed in CHOICES.items():
            if getattr(options, name) not in allowed:
                raise SettingError(
                    f"connection '{connection_id}': extra {name} must be one of "
                    f"{', '.join(allowed)} (got {_described(getattr(options, name))})"
                )
        if options.owner_user_id and not options.owner_user_id.isdigit():
            raise SettingError(
                f"connection '{connection_id}': extra owner_user_id must be an X user id, "
                f"digits only (got {_described(options.owner_user_id)})"
            )
        for name in ("recheck_hours", "count_audit_hours", "full_archive_spacing"):
            if getattr(options, name) < 0:
                raise SettingError(f"connection '{connection_id}': extra {name} must be >= 0")
        for name in ("lookback_days", "page_size", "max_attempts", "follower_walk_days"):
            if getattr(options, name) < 1:
                raise SettingError(f"connection '{connection_id}': extra {name} must be >= 1")
        return options


# X's access models: pay-per-use, the default for a developer who signs up since 2026-02-06,
# and the legacy subscriptions existing subscribers keep (docs.x.com/changelog, 2026-02-06)
X_ACCESS = ("pay_per_use", "free", "basic", "pro", "enterprise")
# What X charges a pay-per-use project, in US dollars (docs.x.com/x-api/getting-started/pricing):
# a Post read, a User read, a follower listed (Following/Followers: Read), a resource of an
# Owned Read (the account's own posts, mentions, followers ... since 2026-04-20), a request to
# the Post counts endpoints. Each resource once per UTC day (`extract/x_cost.py`).
X_PRICES_USD: dict[str, float] = {
    "post": 0.005,
    "user": 0.010,
    "follower": 0.010,
    "owned": 0.001,
    "counts_recent": 0.005,
    "counts_all": 0.010,
}

CHOICES = {
    "tier": X_ACCESS,
    # off: no follower lists; brands: the followers of the tracked brand accounts; authors: also
    # of every author who mentions a brand (thousands of calls: pro tier and above)
    "follower_walks": ("off", "brands", "authors"),
}


def _prices(connection_id: str, value: Any) -> dict[str, float]:
    """The price table of a connection: `X_PRICES_USD` with the extra's prices over it, given
    as a mapping or as "post=0.005,user=0.01"."""
    where = f"connection '{connection_id}': extra prices"
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise SettingError(f"{where} must be name=dollars pairs, e.g. post=0.005,user=0.01")
        value = {name.strip().lower(): price.strip() for name, _, price in pairs}
    if not isinstance(value, Mapping):
        raise SettingError(f"{where} must be a mapping of price name to US dollars")
    prices = dict(X_PRICES_USD)
    for name, price in value.items():
        if name not in X_PRICES_USD:
            raise SettingError(
                f"{where}: unknown price {name!r} (known: {', '.join(X_PRICES_USD)})"
            )
        try:
            number = float(price)
        except (TypeError, ValueError):
            raise SettingError(f"{where}: {name} must be a number of dollars") from None
        if not math.isfinite(number) or number < 0:
            raise SettingError(f"{where}: {name} must be a finite number >= 0 (got {number})")
        prices[name] = number
    return prices


def _described(value: Any) -> str:
    """What an extra's refused value is, never the value: a connection's extra may hold a
    token pasted into the wrong field, and errors reach logs."""
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    return f"a {type(value).__name__}"


def _extra_value(connection_id: str, name: str, value: Any, default: Any) -> Any:
    where = f"connection '{connection_id}': extra {name}"
    if isinstance(default, str):
        return str(value).strip().lower()
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false", "1", "0"):
            return str(value).lower() in ("true", "1")
        raise SettingError(f"{where} must be true or false (got {_described(value)})")
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(str(i).strip() for i in items):
            raise SettingError(f"{where} must be a list of ids or a comma-separated string")
        return tuple(str(i).strip() for i in items)
    try:
        number = type(default)(value)
    except (TypeError, ValueError):
        raise SettingError(f"{where} must be a number (got {_described(value)})") from None
    if number < 0 or not math.isfinite(number):
        raise SettingError(f"{where} must be a finite number >= 0 (got {_described(value)})")
    return number
