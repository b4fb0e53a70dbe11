"""The OpenAPI document: valid, served, in step with the code, true of the app."""

from __future__ import annotations

import json
import re
import string
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app
from app.middleware import REQUEST_ID_PATTERN
from app.params import (
    BOOLEANS,
    ID_CHARACTERS,
    MAX_PAYLOAD_BYTES,
    MAX_ROOM_ID_BYTES,
    MAX_STREAM_ID_BYTES,
    MAX_USER_ID_BYTES,
    PRIVILEGE_PARAMETERS,
)
from app.settings import MIN_EFFECTIVE_TIME
from tests.servers import refusing_port

REPO = Path(__file__).resolve().parents[1]
DOCUMENT_PATH = REPO / "app" / "openapi.json"
TOKEN_PATH = "/api/zego/token"
API_KEY = "openapi-test-key-0123456789"
JWT_SECRET = "a JWT secret of at least 32 bytes, for tests only"
JWT_USER = "alice"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def parameter_schema(document: dict, name: str) -> dict:
    return document["components"]["parameters"][name]["schema"]


def test_document_is_valid_openapi_3(document):
    schemathesis.openapi.from_dict(document).validate()


def test_every_reference_in_the_document_resolves(document):
    for reference in _references(document):
        node = document
        for part in reference.removeprefix("#/").split("/"):
            assert part in node, f"{reference} does not resolve"
            node = node[part]


@pytest.mark.parametrize("name", ["userId", "roomId"])
def test_id_patterns_allow_exactly_zegos_id_characters(document, name):
    pattern = re.compile(parameter_schema(document, name)["pattern"])

    allowed = {c for c in string.printable if pattern.fullmatch(c)}

    assert allowed == ID_CHARACTERS


def test_stream_id_pattern_allows_zegos_characters_except_the_comma(document):
    pattern = re.compile(parameter_schema(document, "streamIdList")["pattern"])

    allowed = {c for c in string.printable if pattern.fullmatch(c)}

    assert allowed == ID_CHARACTERS - {","}
    assert pattern.fullmatch("s1,s2")
    assert not pattern.fullmatch("s1,,s2")
    assert pattern.fullmatch("s" * MAX_STREAM_ID_BYTES)
    assert not pattern.fullmatch("s" * (MAX_STREAM_ID_BYTES + 1))


@pytest.mark.parametrize("name", ["canLogin", "canPublish"])
def test_flag_patterns_allow_exactly_the_words_the_app_reads(document, name):
    pattern = re.compile(parameter_schema(document, name)["pattern"])
    words = {*BOOLEANS, "TRUE", "False", "fAlSe", "yes", "no", "on", "2", " 1", ""}

    allowed = {word for word in words if pattern.fullmatch(word)}

    assert allowed == {word for word in words if word.lower() in BOOLEANS}


def test_lengths_and_ranges_match_the_validation_code(document):
    assert parameter_schema(document, "userId")["maxLength"] == MAX_USER_ID_BYTES
    assert parameter_schema(document, "roomId")["maxLength"] == MAX_ROOM_ID_BYTES
    effective_time = parameter_schema(document, "effectiveTime")
    assert effective_time["minimum"] == MIN_EFFECTIVE_TIME
    payload = document["components"]["parameters"]["payload"]
    assert f"at most {MAX_PAYLOAD_BYTES} bytes" in payload["description"]


def test_request_id_rule_is_the_same_in_the_app_nginx_and_the_document(
    document,
):
    app_rule = REQUEST_ID_PATTERN.pattern
    documented = document["components"]["headers"]["X-Request-ID"]["schema"]
    site = (REPO / "deploy" / "nginx.conf").read_text()

    assert documented["pattern"] == f"^{app_rule}$"
    assert f'"~^{app_rule}$"' in site


def test_openapi_json_serves_the_document(client, document):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["paths"] == document["paths"]


def test_served_document_states_the_configured_effective_times(make_app):
    app = make_app(
        ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME="600",
        ZEGO_TOKEN_MAX_EFFECTIVE_TIME="7200",
    )

    served = app.test_client().get("/openapi.json").get_json()

    assert parameter_schema(served, "effectiveTime") == {
        "type": "integer",
        "minimum": MIN_EFFECTIVE_TIME,
        "maximum": 7200,
        "default": 600,
    }


# Below, schemathesis sends generated requests to apps in every configuration
# that changes what GET /api/zego/token answers. Its pytest integration needs
# the schemas when the module is collected (the fixture-based loader fails
# under pytest 9.2), hence apps built at import rather than in fixtures.


@dataclass(frozen=True)
class Service:
    """An app under test, and what its token requests carry and get."""

    app: Flask
    authorization: str | None = None
    jwt_user: str | None = None
    # The status every token request gets, when the app refuses them all.
    refusal: int | None = None


def _app(**variables: str) -> Flask:
    return create_app(
        {
            "ZEGO_APP_ID": "987654321",
            "ZEGO_SERVER_SECRET": "Kq7vT2mX9pL4wR8sZ1nB6cY3hJ5dF0gA",
            # High enough that schemathesis' requests never reach it.
            "RATE_LIMIT": "100000/minute",
            **variables,
        }
    )


def _jwt(secret: str, **headers: str) -> str:
    claims = {"sub": JWT_USER, "exp": int(time.time()) + 3600}
    return jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


def _exhausted_app() -> Flask:
    app = _app(RATE_LIMIT="1/hour")
    app.test_client().get(TOKEN_PATH, query_string={"userId": "alice"})
    return app


OPEN = Service(_app())
WITH_API_KEY = Service(_app(API_KEYS=API_KEY), authorization=f"Bearer {API_KEY}")
WITH_JWT = Service(
    _app(AUTH_JWT_SECRET=JWT_SECRET),
    authorization=f"Bearer {_jwt(JWT_SECRET)}",
    jwt_user=JWT_USER,
)
WITHOUT_CREDENTIAL = Service(_app(API_KEYS=API_KEY), refusal=401)
RATE_LIMITED = Service(_exhausted_app(), refusal=429)
# A JWKS URL that refuses connections: the keys to check a JWT cannot be fetched.
IDENTITY_PROVIDER_DOWN = Service(
    _app(AUTH_JWKS_URL=f"http://127.0.0.1:{refusing_port()}/jwks.json"),
    authorization=f"Bearer {_jwt(JWT_SECRET, kid='key-1')}",
    refusal=503,
)
EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _schema(service: Service):
    return schemathesis.openapi.from_wsgi("/openapi.json", service.app)


@_schema(OPEN).parametrize()
@EXAMPLES
def test_open_app_keeps_the_contract(case):
    _call_and_validate(case, OPEN)


@_schema(WITH_API_KEY).parametrize()
@EXAMPLES
def test_app_with_api_keys_keeps_the_contract(case):
    _call_and_validate(case, WITH_API_KEY)


@_schema(WITH_JWT).parametrize()
@EXAMPLES
def test_app_with_jwts_keeps_the_contract(case):
    _call_and_validate(case, WITH_JWT)


@_schema(WITHOUT_CREDENTIAL).parametrize()
@EXAMPLES
def test_refusing_a_caller_without_credential_keeps_the_contract(case):
    _call_and_validate(case, WITHOUT_CREDENTIAL)


@_schema(RATE_LIMITED).parametrize()
@EXAMPLES
def test_refusing_a_rate_limited_caller_keeps_the_contract(case):
    _call_and_validate(case, RATE_LIMITED)


@_schema(IDENTITY_PROVIDER_DOWN).parametrize()
@EXAMPLES
def test_refusing_while_the_identity_provider_is_down_keeps_the_contract(case):
    _call_and_validate(case, IDENTITY_PROVIDER_DOWN)


def _call_and_validate(case, service: Service) -> None:
    """Check the app's answer; mend queries OpenAPI calls valid but are not.

    OpenAPI describes each query parameter on its own, while some rules of
    the token endpoint tie parameters together. A schema-valid query that
    breaks one of those must be refused with the documented error; the same
    query mended must then be accepted.
    """
    headers = {"Authorization": service.authorization} if service.authorization else {}
    is_token_request = case.operation.path == TOKEN_PATH and case.method == "GET"
    if service.refusal is not None:
        # A 503 is the documented answer here, not a failure of the server.
        excluded = [not_a_server_error] if service.refusal >= 500 else []
        response = case.call_and_validate(headers=headers, excluded_checks=excluded)
        assert response.status_code == service.refusal or not is_token_request
        return

    broken = _rule_across_parameters_broken(case, service)
    if is_token_request and broken is not None:
        status, rule = broken
        response = case.call_and_validate(
            headers=headers, excluded_checks=[positive_data_acceptance]
        )
        assert response.status_code == status, rule
        _mend(case.query, service)
        assert _rule_across_parameters_broken(case, service) is None

    case.call_and_validate(headers=headers)


def _rule_across_parameters_broken(case, service: Service) -> tuple[int, str] | None:
    """Return the status and rule a schema-valid token query breaks, if any."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    query = case.query or {}
    if "userId" not in query and service.jwt_user is None:
        return 400, "userId is required without a JWT naming the user"
    if "userId" in query and service.jwt_user not in (None, query["userId"]):
        return 403, "userId must be the user the JWT names"
    if "payload" in query and "roomId" in query:
        return 400, "payload and roomId cannot be combined"
    if "roomId" not in query and any(name in query for name in PRIVILEGE_PARAMETERS):
        return 400, "canLogin, canPublish and streamIdList need roomId"
    if len(_text(query.get("payload", "")).encode()) > MAX_PAYLOAD_BYTES:
        return 400, f"payload must be at most {MAX_PAYLOAD_BYTES} bytes"
    return None


def _mend(query: dict, service: Service) -> None:
    if service.jwt_user is None:
        query.setdefault("userId", "alice")
    elif query.get("userId") != service.jwt_user:
        query.pop("userId", None)
    if "roomId" in query or any(name in query for name in PRIVILEGE_PARAMETERS):
        query.pop("payload", None)
        query.setdefault("roomId", "room-1")
    elif len(_text(query.get("payload", "")).encode()) > MAX_PAYLOAD_BYTES:
        del query["payload"]


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _references(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
