"""CORS: only the configured origins may call the token endpoint from a browser."""

from __future__ import annotations

import pytest

from app import ConfigError, create_app

SECRET = "0123456789abcdef0123456789abcdef"
ORIGIN = "http://localhost:5173"
TOKEN_URL = "/api/zego/token?userId=alice"


def make_client(**environ):
    config = {"ZEGO_APP_ID": "1", "ZEGO_SERVER_SECRET": SECRET, **environ}
    return create_app(config).test_client()


@pytest.fixture
def client():
    return make_client(CORS_ALLOWED_ORIGINS=f"{ORIGIN}, https://app.example.com")


def test_allowed_origin_gets_its_own_origin_back(client):
    response = client.get(TOKEN_URL, headers={"Origin": ORIGIN})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_second_allowed_origin_is_allowed_too(client):
    origin = "https://app.example.com"
    response = client.get(TOKEN_URL, headers={"Origin": origin})

    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_other_origin_gets_no_allow_header(client):
    response = client.get(TOKEN_URL, headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_allows_the_authorization_header(client):
    response = client.options(
        "/api/zego/token",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization, X-Request-ID",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "x-request-id" in allowed


def test_preflight_needs_no_credentials_when_api_keys_are_required():
    client = make_client(CORS_ALLOWED_ORIGINS=ORIGIN, API_KEYS="k" * 24)
    response = client.options(
        "/api/zego/token",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_errors_carry_the_allow_header_so_the_browser_can_read_them(client):
    response = client.get("/api/zego/token", headers={"Origin": ORIGIN})

    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_rate_limit_refusal_exposes_retry_after_to_the_page():
    client = make_client(CORS_ALLOWED_ORIGINS=ORIGIN, RATE_LIMIT="1/minute")
    client.get(TOKEN_URL, headers={"Origin": ORIGIN})
    response = client.get(TOKEN_URL, headers={"Origin": ORIGIN})

    assert response.status_code == 429
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "retry-after" in exposed
    assert "x-request-id" in exposed


def test_no_origin_is_allowed_by_default():
    response = make_client().get(TOKEN_URL, headers={"Origin": ORIGIN})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origins", ["*", "localhost:3000", "https://a.example/path"])
def test_origins_that_are_not_origins_are_refused_at_startup(origins):
    with pytest.raises(ConfigError, match="CORS_ALLOWED_ORIGINS"):
        make_client(CORS_ALLOWED_ORIGINS=origins)


def test_request_without_origin_gets_no_cors_headers(client):
    response = client.get(TOKEN_URL)

    assert response.status_code == 200
    assert not any(name.startswith("Access-Control") for name, _ in response.headers)
