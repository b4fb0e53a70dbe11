"""deploy/nginx.conf in front of gunicorn, both running for real.

Each test gets its own nginx and gunicorn on free ports of 127.0.0.1, so
each starts with a fresh rate-limit budget. Without nginx the tests skip,
except under CI, where they fail.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import (
    ACCESS_LOG_NAME,
    MAX_POLLS,
    POLL_SECONDS,
    Server,
    nginx_binary,
    request,
    start_gunicorn,
    start_nginx,
)
from zego_token import decode_token04

APP_ID = 424242
SECRET = "nginx-test-secret-0123456789abcd"
RATE_LIMIT = 5
NGINX_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class Stack:
    """nginx proxying to gunicorn, and nginx's prefix folder."""

    nginx: Server
    gunicorn: Server
    folder: Path

    def get(self, path: str, headers: dict[str, str] | None = None):
        return request(self.nginx.port, path, headers)

    def logged_request_ids(self) -> list[str]:
        """The request IDs in nginx's access log, once it has any.

        nginx writes the line after the response, so a fast client can look
        before it is there.
        """
        log = self.folder / ACCESS_LOG_NAME
        for _ in range(MAX_POLLS):
            lines = log.read_text().splitlines() if log.exists() else []
            if lines:
                return lines
            time.sleep(POLL_SECONDS)
        return []


@pytest.fixture
def stack(request, tmp_path) -> Stack:
    nginx_binary()
    environ = {
        "ZEGO_APP_ID": str(APP_ID),
        "ZEGO_SERVER_SECRET": SECRET,
        "TRUSTED_PROXIES": "1",
        "RATE_LIMIT": f"{RATE_LIMIT}/minute",
        # One worker holds the whole memory:// rate-limit budget.
        "WEB_CONCURRENCY": "1",
    }
    gunicorn = start_gunicorn(tmp_path, environ)
    request.addfinalizer(gunicorn.stop)
    nginx = start_nginx(tmp_path, gunicorn.port)
    request.addfinalizer(nginx.stop)
    return Stack(nginx, gunicorn, tmp_path)


def token_path(**query: str) -> str:
    return "/api/zego/token?" + urllib.parse.urlencode(query)


def test_token_through_nginx_decodes_with_the_server_secret(stack):
    status, _, body = stack.get(token_path(userId="alice", effectiveTime="600"))

    assert status == 200
    claims = decode_token04(body.decode(), SECRET)
    assert (claims.app_id, claims.user_id) == (APP_ID, "alice")
    assert claims.expire - claims.ctime == 600


def test_largest_payload_passes_nginx_and_gunicorn_once_url_encoded(stack):
    # Every "é" is 2 bytes and 6 characters once URL-encoded.
    payload = json.dumps({"note": "é" * 1018}, ensure_ascii=False)
    assert len(payload.encode()) == 2048
    path = token_path(userId="alice", payload=payload)
    assert len(path) > 6000

    status, _, body = stack.get(path)

    assert status == 200, body
    assert decode_token04(body.decode(), SECRET).payload == payload


def test_url_too_long_for_the_service_gets_a_json_error_from_nginx(stack):
    status, headers, body = stack.get(token_path(userId="alice", payload="x" * 9000))

    assert status == 414
    assert headers["Content-Type"] == "application/json"
    assert "error" in json.loads(body)


def test_token_response_keeps_cache_control_no_store(stack):
    status, headers, _ = stack.get(token_path(userId="alice"))

    assert status == 200
    assert headers.get_all("Cache-Control") == ["no-store"]


def test_app_trusts_x_forwarded_for_from_its_one_proxy(stack):
    """The control for the next test: the app keys its limit on the header."""
    for attempt in range(RATE_LIMIT + 1):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt}"}
        status, _, _ = request(stack.gunicorn.port, token_path(userId="u"), forged)
        assert status == 200


def test_forged_x_forwarded_for_through_nginx_still_hits_the_rate_limit(stack):
    statuses = []
    for attempt in range(RATE_LIMIT + 1):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt}"}
        status, headers, body = stack.get(token_path(userId="u"), forged)
        statuses.append(status)

    assert statuses == [200] * RATE_LIMIT + [429]
    assert int(headers["Retry-After"]) > 0
    assert "rate limit" in json.loads(body)["error"]


def test_client_request_id_comes_back(stack):
    status, headers, _ = stack.get("/healthz", {"X-Request-ID": "abc-123"})

    assert status == 200
    assert headers["X-Request-ID"] == "abc-123"
    assert stack.logged_request_ids() == ["abc-123"]


def test_request_without_an_id_gets_the_one_nginx_logged(stack):
    status, headers, _ = stack.get("/healthz")

    assert status == 200
    assert NGINX_REQUEST_ID.fullmatch(headers["X-Request-ID"])
    assert stack.logged_request_ids() == [headers["X-Request-ID"]]


def test_unsafe_request_id_is_replaced_by_nginx(stack):
    unsafe = "id with spaces"

    status, headers, _ = stack.get("/healthz", {"X-Request-ID": unsafe})

    assert status == 200
    assert headers["X-Request-ID"] != unsafe
    assert stack.logged_request_ids() == [headers["X-Request-ID"]]


def test_app_down_gets_a_json_502_from_nginx(stack):
    stack.gunicorn.stop()

    status, headers, body = stack.get(token_path(userId="alice"))

    assert status == 502
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert "error" in json.loads(body)
