"""Request IDs, the per-request log line, and what logs never hold."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import ConfigError, Settings, describe
from app.logs import JsonFormatter, logging_config
from tests.servers import request as request_url
from tests.servers import start_gunicorn

REPO = Path(__file__).resolve().parents[1]
TOKEN_URL = "/api/zego/token?userId=alice"
GUNICORN_SECRET = "Xw4pN8rT1vB6yQ3mK9sD2fH7jL5cZ0aE"


def token_lines(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "app.access" and record.getMessage().startswith("token ")
    ]


def test_caller_request_id_is_echoed(client):
    response = client.get(TOKEN_URL, headers={"X-Request-ID": "frontend-42.a_b"})

    assert response.headers["X-Request-ID"] == "frontend-42.a_b"


@pytest.mark.parametrize(
    "given", ["", "has space", "x" * 129, "back\\slash", "<script>", "ünïcode"]
)
def test_insane_request_id_is_replaced_by_a_generated_one(client, given):
    response = client.get(TOKEN_URL, headers={"X-Request-ID": given})

    assert response.headers["X-Request-ID"] != given
    assert re.fullmatch(r"[0-9a-f]{20,}", response.headers["X-Request-ID"])


def test_every_response_carries_a_request_id(client):
    ids = {
        client.get(path).headers["X-Request-ID"]
        for path in ("/healthz", "/nowhere", "/api/zego/token", TOKEN_URL)
    }

    assert len(ids) == 4


def test_one_line_per_token_issued_without_the_user_or_token(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get(TOKEN_URL, headers={"X-Request-ID": "req-1"})

    [line] = token_lines(caplog)
    assert line.startswith("token issued request_id=req-1 status=200 duration_ms=")
    assert "alice" not in caplog.text
    assert response.get_data(as_text=True) not in caplog.text


def test_refusals_are_logged_with_their_status(make_app, caplog):
    client = make_app(RATE_LIMIT="1/minute").test_client()
    caplog.set_level(logging.INFO)
    client.get("/api/zego/token")
    client.get(TOKEN_URL)

    lines = token_lines(caplog)
    assert len(lines) == 2
    assert "token refused" in lines[0]
    assert "status=400" in lines[0]
    assert "status=429" in lines[1]


def test_user_ids_are_logged_only_when_asked(make_app, caplog):
    client = make_app(LOG_USER_IDS="true").test_client()
    caplog.set_level(logging.INFO)
    client.get(TOKEN_URL)

    [line] = token_lines(caplog)
    assert line.endswith(" user_id=alice")


def test_other_endpoints_log_no_token_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/healthz")
    client.get("/nowhere")

    assert token_lines(caplog) == []


def test_startup_line_describes_the_configuration_without_secrets(environ):
    settings = Settings.from_environ(
        {
            **environ,
            "API_KEYS": "api-key-that-must-not-show",
            "AUTH_JWT_SECRET": "jwt-secret-that-must-not-show-0123456789",
            "RATE_LIMIT_STORAGE_URI": "redis://u:hunter2@redis:6379/2?password=pw2",
        }
    )

    line = describe(settings)

    assert environ["ZEGO_SERVER_SECRET"] not in line
    for hidden in ("api-key-that", "jwt-secret-that", "hunter2", "pw2"):
        assert hidden not in line
    assert "redis:6379/2" in line
    assert "api_keys=1" in line
    assert f"app_id={environ['ZEGO_APP_ID']}" in line


def test_startup_is_logged_once(make_app, caplog):
    caplog.set_level(logging.INFO)
    make_app()

    assert (
        len([r for r in caplog.records if r.getMessage().startswith("starting")]) == 1
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml"), ("LOG_USER_IDS", "maybe")],
)
def test_bad_log_settings_are_refused(environ, name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_environ({**environ, name: value})


def test_json_format_writes_one_object_per_line():
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "a %s", ("b",), None)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "a b"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "app"


def test_logging_config_applies_the_level_to_gunicorn_too(environ):
    settings = Settings.from_environ({**environ, "LOG_LEVEL": "warning"}).log
    config = logging_config(settings)

    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["gunicorn.error"]["level"] == "WARNING"


@dataclass(frozen=True)
class ServedLogs:
    """What a real gunicorn logged for one token request and one health check."""

    token_body: str
    lines: list[str]

    def by(self, logger: str) -> list[str]:
        entries = (json.loads(line) for line in self.lines)
        return [entry["message"] for entry in entries if entry["logger"] == logger]


@pytest.fixture(scope="module", params=["INFO", "WARNING"])
def served_logs(request, tmp_path_factory) -> ServedLogs:
    """gunicorn's JSON log at each LOG_LEVEL, after a token and a health check."""
    environ = {
        "ZEGO_APP_ID": "987654321",
        "ZEGO_SERVER_SECRET": GUNICORN_SECRET,
        "WEB_CONCURRENCY": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": request.param,
    }
    server = start_gunicorn(tmp_path_factory.mktemp("gunicorn"), environ)
    try:
        status, _, body = request_url(
            server.port, "/api/zego/token?userId=zed9", {"X-Request-ID": "req-7"}
        )
        health_status, _, _ = request_url(
            server.port, "/healthz?probe=1", {"X-Request-ID": "health-9"}
        )
    finally:
        server.stop()
    assert (status, health_status) == (200, 200)
    return ServedLogs(body.decode(), server.log_text().splitlines())


def test_gunicorn_logs_hold_no_query_string_token_or_secret(served_logs):
    text = "\n".join(served_logs.lines)

    for hidden in ("zed9", "userId", "probe", served_logs.token_body):
        assert hidden not in text
    assert GUNICORN_SECRET not in text


def test_token_request_is_logged_once_by_the_service_at_any_log_level(served_logs):
    [line] = served_logs.by("app.access")

    assert line.startswith("token issued request_id=req-7 status=200 ")
    assert " client=127.0.0.1 method=GET" in line


def test_gunicorn_writes_access_lines_only_for_other_paths(served_logs):
    access = served_logs.by("gunicorn.access")

    assert any("/healthz" in line and "request_id=health-9" in line for line in access)
    assert not any("/api/zego/token" in line for line in access)
