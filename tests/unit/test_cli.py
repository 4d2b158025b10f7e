import pytest

from social_crm import cli


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    commands = ("warehouse", "doctor", "load", "extract", "nightly", "live", "demo", "airflow")
    for command in commands:
        assert command in out


def test_warehouse_url_hides_password_unless_asked(monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://bi:hunter2@db.example:5432/crm")
    assert cli.main(["warehouse", "url"]) == 0
    assert capsys.readouterr().out.strip() == "postgresql://bi:***@db.example:5432/crm"
    assert cli.main(["warehouse", "url", "--show-password"]) == 0
    assert "hunter2" in capsys.readouterr().out


def test_a_bad_setting_fails_at_start_in_one_clear_line_without_secrets(monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", "mysql://bi:hunter2@db/crm")
    assert cli.main(["warehouse", "url"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: WAREHOUSE_URL must start with postgresql://")
    assert "hunter2" not in err


def test_warehouse_down_leaves_an_external_server_alone(monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://u@db.example/crm")
    assert cli.main(["warehouse", "down"]) == 0
    assert "not ours to stop" in capsys.readouterr().out


def test_loading_a_missing_drop_folder_fails_naming_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://u@db.example/crm")
    assert cli.main(["load", "crm", "--drop-dir", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert f"CRM drop folder {tmp_path / 'nowhere'} does not exist" in err


def test_a_bad_clv_setting_fails_at_start_naming_it(monkeypatch, capsys):
    monkeypatch.setenv("SOCIAL_CRM_CLV_OBSERVATION_END", "30/09/1997")
    assert cli.main(["nightly"]) == 2
    assert "SOCIAL_CRM_CLV_OBSERVATION_END must be a date, YYYY-MM-DD" in capsys.readouterr().err


def test_a_bad_live_setting_fails_at_start_naming_it(monkeypatch, capsys):
    monkeypatch.setenv("SOCIAL_CRM_SPIKE_COOL_DOWN_HOURS", "soon")
    assert cli.main(["live"]) == 2
    assert "SOCIAL_CRM_SPIKE_COOL_DOWN_HOURS must be a whole number of hours" in (
        capsys.readouterr().err
    )
