"""Settings: read once from the environment and .env, refused by variable name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.settings import ConfigError, Settings, load_environ
from zego_token import decode_token04

REPO = Path(__file__).resolve().parents[1]
ZEGO_VARIABLES = (
    "ZEGO_APP_ID",
    "ZEGO_SERVER_SECRET",
    "ZEGO_TOKEN_ENCRYPTION",
    "ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME",
    "ZEGO_TOKEN_MAX_EFFECTIVE_TIME",
)
EFFECTIVE_TIME_VARIABLES = ZEGO_VARIABLES[3:]
BAD_SECRETS = [
    "NotThirtyTwo-Kq7vT2mX9pL4",
    "Kq7vT2mX9pL4wR8sZ1nB6cY3hJ5dF0gAx",
    "é" + "Kq7vT2mX9pL4wR8sZ1nB6cY3hJ5dF0g",
]


@pytest.fixture
def bare_environ(monkeypatch):
    """The real environment without any ZEGO_ variable."""
    for name in ZEGO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def config_error(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_environ(environ)
    return str(caught.value)


def test_app_id_and_secret_are_read(environ, app_id, secret):
    settings = Settings.from_environ(environ)

    assert (settings.app_id, settings.server_secret) == (app_id, secret)


def test_defaults_are_gcm_3600_and_86400_seconds(environ):
    settings = Settings.from_environ(environ)

    assert settings.encryption == "gcm"
    assert settings.default_effective_time == 3600
    assert settings.max_effective_time == 86400


@pytest.mark.parametrize("encryption", ["gcm", "cbc"])
def test_encryption_is_read(environ, encryption):
    settings = Settings.from_environ({**environ, "ZEGO_TOKEN_ENCRYPTION": encryption})

    assert settings.encryption == encryption


@pytest.mark.parametrize("name", ["ZEGO_APP_ID", "ZEGO_SERVER_SECRET"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_required_variable_is_named(environ, name, value):
    if value is None:
        del environ[name]
    else:
        environ[name] = value

    assert name in config_error(environ)


@pytest.mark.parametrize("value", ["abc", "0", "-1", "4294967296", "1.5", "1e3"])
def test_app_id_that_is_not_1_to_4294967295_is_named(environ, value):
    environ["ZEGO_APP_ID"] = value

    assert "ZEGO_APP_ID" in config_error(environ)


@pytest.mark.parametrize("bad_secret", BAD_SECRETS)
def test_bad_secret_is_named_but_not_echoed(environ, bad_secret):
    environ["ZEGO_SERVER_SECRET"] = bad_secret

    message = config_error(environ)

    assert "ZEGO_SERVER_SECRET" in message
    assert bad_secret not in message
    assert bad_secret[:12] not in message


@pytest.mark.parametrize("value", ["ecb", "aes", "none", "gcm-cbc"])
def test_encryption_other_than_gcm_or_cbc_is_named(environ, value):
    environ["ZEGO_TOKEN_ENCRYPTION"] = value

    assert "ZEGO_TOKEN_ENCRYPTION" in config_error(environ)


@pytest.mark.parametrize("name", EFFECTIVE_TIME_VARIABLES)
@pytest.mark.parametrize("value", ["abc", "0", "-60", "60.5", "1h"])
def test_effective_time_setting_that_is_not_whole_seconds_is_named(
    environ, name, value
):
    environ[name] = value

    assert name in config_error(environ)


def test_default_effective_time_above_the_maximum_is_named(environ):
    environ["ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME"] = "7200"
    environ["ZEGO_TOKEN_MAX_EFFECTIVE_TIME"] = "3600"

    assert "ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME" in config_error(environ)


def test_lowering_only_the_maximum_lowers_the_default_with_it(environ):
    environ["ZEGO_TOKEN_MAX_EFFECTIVE_TIME"] = "600"

    settings = Settings.from_environ(environ)

    assert (settings.default_effective_time, settings.max_effective_time) == (600, 600)


def test_empty_encryption_means_the_default(environ):
    environ["ZEGO_TOKEN_ENCRYPTION"] = ""

    assert Settings.from_environ(environ).encryption == "gcm"


def test_settings_repr_hides_the_secret(environ, secret):
    assert secret not in repr(Settings.from_environ(environ))


# -- the settings at work in the app ----------------------------------------------


def test_default_effective_time_setting_applies_to_requests_without_one(
    make_app, secret
):
    client = make_app(ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME="120").test_client()

    response = client.get("/api/zego/token", query_string={"userId": "alice"})

    claims = decode_token04(response.get_data(as_text=True), secret)
    assert claims.expire - claims.ctime == 120


def test_max_effective_time_setting_bounds_requests(make_app, secret):
    client = make_app(
        ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME="300", ZEGO_TOKEN_MAX_EFFECTIVE_TIME="600"
    ).test_client()

    at_max = client.get("/api/zego/token?userId=alice&effectiveTime=600")
    over_max = client.get("/api/zego/token?userId=alice&effectiveTime=601")

    claims = decode_token04(at_max.get_data(as_text=True), secret)
    assert claims.expire - claims.ctime == 600
    assert over_max.status_code == 400
    assert "600" in over_max.get_json()["error"]


def test_create_app_accepts_ready_settings(environ, secret):
    client = create_app(Settings.from_environ(environ)).test_client()

    response = client.get("/api/zego/token?userId=alice")

    assert decode_token04(response.get_data(as_text=True), secret).user_id == "alice"


# -- .env and the real environment -----------------------------------------------


def test_load_environ_reads_the_env_file(tmp_path, bare_environ):
    env_file = tmp_path / ".env"
    env_file.write_text("ZEGO_APP_ID=42\nZEGO_TOKEN_ENCRYPTION=cbc\n")

    values = load_environ(env_file)

    assert (values["ZEGO_APP_ID"], values["ZEGO_TOKEN_ENCRYPTION"]) == ("42", "cbc")


def test_load_environ_lets_the_real_environment_win(tmp_path, bare_environ):
    env_file = tmp_path / ".env"
    env_file.write_text("ZEGO_APP_ID=42\nZEGO_TOKEN_ENCRYPTION=cbc\n")
    bare_environ.setenv("ZEGO_APP_ID", "7")

    values = load_environ(env_file)

    assert (values["ZEGO_APP_ID"], values["ZEGO_TOKEN_ENCRYPTION"]) == ("7", "cbc")


def test_load_environ_without_an_env_file_is_the_real_environment(
    tmp_path, bare_environ
):
    bare_environ.setenv("ZEGO_APP_ID", "7")

    values = load_environ(tmp_path / "absent.env")

    assert values["ZEGO_APP_ID"] == "7"
    assert "ZEGO_SERVER_SECRET" not in values


def test_create_app_without_config_reads_env_file_in_the_working_directory(
    tmp_path, bare_environ, secret
):
    (tmp_path / ".env").write_text(f"ZEGO_APP_ID=42\nZEGO_SERVER_SECRET={secret}\n")
    bare_environ.chdir(tmp_path)

    response = create_app().test_client().get("/api/zego/token?userId=alice")

    claims = decode_token04(response.get_data(as_text=True), secret)
    assert claims.app_id == 42


def test_create_app_without_config_prefers_the_real_environment(
    tmp_path, bare_environ, secret
):
    (tmp_path / ".env").write_text(f"ZEGO_APP_ID=42\nZEGO_SERVER_SECRET={secret}\n")
    bare_environ.chdir(tmp_path)
    bare_environ.setenv("ZEGO_APP_ID", "7")

    response = create_app().test_client().get("/api/zego/token?userId=alice")

    assert decode_token04(response.get_data(as_text=True), secret).app_id == 7


def test_create_app_with_a_bad_mapping_raises_config_error(environ):
    environ["ZEGO_TOKEN_ENCRYPTION"] = "ecb"

    with pytest.raises(ConfigError, match="ZEGO_TOKEN_ENCRYPTION"):
        create_app(environ)


# -- gunicorn refuses to start ------------------------------------------------------


def test_gunicorn_with_a_bad_secret_exits_with_one_line_naming_it(tmp_path):
    bad_secret = "Not-32-chars-Kq7vT2mX9pL4wR8s"
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ZEGO_", "GUNICORN_"))
    }
    environ.update(
        ZEGO_APP_ID="42",
        ZEGO_SERVER_SECRET=bad_secret,
        BIND="127.0.0.1:0",
        PYTHONPATH=str(REPO),
    )
    config = str(REPO / "gunicorn.conf.py")

    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", config, "wsgi:app"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "ZEGO_SERVER_SECRET" in lines[0]
    assert bad_secret not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [("GUNICORN_THREADS", "0"), ("PORT", "http"), ("LOG_FORMAT", "x")],
)
def test_gunicorn_refuses_bad_server_settings_from_dotenv_in_one_line(
    tmp_path, environ, name, value
):
    (tmp_path / ".env").write_text(f"{name}={value}\n")
    config = str(REPO / "gunicorn.conf.py")
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", config, "wsgi:app"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **environ},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith(f"configuration error: {name} must be")
