"""Settings: read in one place, validated at start, errors that name what to fix."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from social_crm import settings
from social_crm.settings import ApiOptions, SettingError

REPO = Path(__file__).resolve().parents[2]

# reads of os.environ outside the settings modules, each with why it is not configuration
NOT_CONFIGURATION = {
    "include/social_crm/transform/dbt_runner.py": "saves the variables it sets, to restore them",
    "include/social_crm/quality/data_docs.py": "the Airflow run a gate ran in (task context)",
    "tools/social_crm_dev/airflow_env.py": "Airflow's own variables, passed through to Airflow",
    "tools/social_crm_dev/cli.py": "Airflow's own PATH and AIRFLOW__API__HOST, for its components",
}
ENV_READ = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=[^=])")


def test_no_module_but_settings_reads_the_environment():
    readers = {
        str(path.relative_to(REPO))
        for folder in ("include", "tools", "dags")
        for path in (REPO / folder).rglob("*.py")
        if path.name != "settings.py" and ENV_READ.search(path.read_text())
    }
    assert readers == set(NOT_CONFIGURATION)


def test_a_malformed_warehouse_url_is_refused_naming_it():
    with pytest.raises(SettingError, match="WAREHOUSE_URL must start with postgresql://"):
        settings.load({"WAREHOUSE_URL": "mysql://user@host/db"})


def test_a_bi_login_needs_both_user_and_password():
    with pytest.raises(SettingError, match="BI_READER_USER and BI_READER_PASSWORD"):
        settings.load({"BI_READER_USER": "metabase"})


def test_the_alert_webhook_must_be_an_http_url():
    with pytest.raises(SettingError, match="SOCIAL_CRM_ALERT_WEBHOOK must be an http"):
        settings.load({"SOCIAL_CRM_ALERT_WEBHOOK": "hooks.example.com/T0"})


def test_a_debug_flag_that_is_not_a_boolean_is_refused():
    with pytest.raises(SettingError, match="SOCIAL_CRM_DEBUG must be"):
        settings.load({"SOCIAL_CRM_DEBUG": "verbose"})


def test_secrets_do_not_appear_in_the_settings_repr():
    loaded = settings.load(
        {
            "WAREHOUSE_URL": "postgresql://u:pg-secret@h/db",
            "BI_READER_USER": "bi",
            "BI_READER_PASSWORD": "bi-secret",
            "X_API_URL": "https://api.x.com",
            "X_API_TOKEN": "x-secret",
        }
    )
    assert not re.search("pg-secret|bi-secret|x-secret", repr(loaded))


def test_an_unknown_connection_extra_is_refused_naming_the_connection():
    with pytest.raises(SettingError, match="connection 'x_api': unknown extra lookback"):
        ApiOptions.parse("x_api", {"lookback": 7}, "2")


def test_a_connection_extra_of_the_wrong_type_is_refused_naming_it():
    with pytest.raises(SettingError, match="'facebook_graph': extra read_timeout must be a num"):
        ApiOptions.parse("facebook_graph", {"read_timeout": "slow"}, "v24.0")


def test_the_dbt_docs_folder_is_set_by_its_variable(tmp_path):
    docs = tmp_path / "dbt_docs"
    assert settings.load({"SOCIAL_CRM_DBT_DOCS_DIR": str(docs)}).dbt_docs_dir == docs


def test_a_zero_look_back_is_refused():
    with pytest.raises(SettingError, match="extra lookback_days must be >= 1"):
        ApiOptions.parse("x_api", {"lookback_days": 0}, "2")


def test_page_ids_are_read_from_a_list_or_a_comma_separated_string():
    as_list = ApiOptions.parse("facebook_graph", {"page_ids": ["1", 2]}, "v24.0")
    as_text = ApiOptions.parse("facebook_graph", {"page_ids": "1, 2"}, "v24.0")
    assert as_list.page_ids == as_text.page_ids == ("1", "2")


def test_connection_extras_from_the_ui_as_strings_are_typed():
    options = ApiOptions.parse("x_api", {"lookback_days": "7", "full_archive": "true"}, "2")
    assert (options.lookback_days, options.full_archive) == (7, True)


def test_an_unknown_x_tier_is_refused_with_the_known_ones():
    with pytest.raises(
        SettingError, match="extra tier must be one of pay_per_use, free, basic, pro"
    ):
        ApiOptions.parse("x_api", {"tier": "gold"}, "2")


def _in_a_clean_environment(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` run by this Python with only PATH and `env` set (a worker without our settings)."""
    env = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_a_worker_without_warehouse_url_fails_naming_it():
    code = "from social_crm import warehouse; warehouse.connect()"
    result = _in_a_clean_environment(code, SOCIAL_CRM_LOCAL_DIR=str(REPO / ".local" / "test"))
    assert result.returncode != 0 and "WAREHOUSE_URL is not set" in result.stderr


def test_the_cli_fails_at_start_naming_a_bad_setting():
    code = "import sys; from social_crm import cli; sys.exit(cli.main(['doctor']))"
    result = _in_a_clean_environment(code, SUPERSET_URL="superset:8088")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: SUPERSET_URL must be an http(s):// URL"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AIRFLOW__LOGGING__BASE_LOG_FOLDER": "/srv/logs", "AIRFLOW_HOME": "/a"}, "/srv/logs"),
        ({"AIRFLOW_HOME": "/opt/airflow"}, "/opt/airflow/logs"),
        ({"SOCIAL_CRM_LOCAL_DIR": "/l"}, "/l/airflow/logs"),
    ],
)
def test_the_task_logs_erasure_scrubs_are_where_airflow_writes_them(env, expected):
    assert settings.load(env).airflow_logs_dir == Path(expected)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DBT_PROJECT_DIR": "/p"}, "/p/target"),
        ({"DBT_PROJECT_DIR": "/p", "DBT_TARGET_PATH": "t"}, "/p/t"),
        ({"DBT_PROJECT_DIR": "/p", "DBT_TARGET_PATH": "/x/t"}, "/x/t"),
    ],
)
def test_the_dbt_target_erasure_scrubs_is_where_dbt_writes_it(env, expected):
    assert settings.load(env).dbt_target_dir == Path(expected)


@pytest.mark.parametrize("value", ["\u00b2", "\u0661\u0662", "\uff11"])
def test_a_whole_number_setting_in_other_digits_is_refused_naming_it(value):
    with pytest.raises(SettingError, match="SOCIAL_CRM_CLV_REFIT_DAYS must be a whole number"):
        settings.load({"SOCIAL_CRM_CLV_REFIT_DAYS": value})


def test_late_sources_only_warn_unless_set_to_fail():
    assert settings.load({}).late_sources == "warn"
    assert settings.load({"SOCIAL_CRM_LATE_SOURCES": "FAIL"}).late_sources == "fail"


def test_an_unknown_late_sources_choice_is_refused_naming_it():
    with pytest.raises(SettingError, match="SOCIAL_CRM_LATE_SOURCES must be one of warn, fail"):
        settings.load({"SOCIAL_CRM_LATE_SOURCES": "page-me"})
