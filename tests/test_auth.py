"""Callers proven by API key or JWT before a token is issued."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app import ConfigError, create_app
from tests.servers import refusing_port
from zego_token import decode_token04

SECRET = "0123456789abcdef0123456789abcdef"
API_KEY = "test-api-key-0123456789"
JWT_SECRET = "jwt-signing-secret-for-tests-" + "0123456789abcdef" * 3
TOKEN_URL = "/api/zego/token?userId=alice"


def make_client(**environ):
    config = {"ZEGO_APP_ID": "1", "ZEGO_SERVER_SECRET": SECRET, **environ}
    return create_app(config).test_client()


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def make_jwt(key=JWT_SECRET, algorithm="HS256", headers=None, **claims) -> str:
    claims = {"sub": "alice", "exp": int(time.time()) + 300, **claims}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def hs256_jwt_by_hand(header: dict, payload: bytes, key: bytes) -> str:
    """An HS256 JWT made without PyJWT, which refuses PEM keys as HMAC secrets."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def b64(data: bytes) -> str:
    return jwt.utils.base64url_encode(data).decode()


def unsigned_jwt(**claims) -> str:
    claims = {"sub": "alice", "exp": int(time.time()) + 300, **claims}
    header = {"alg": "none", "typ": "JWT"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


# API keys


@pytest.fixture
def api_key_client():
    return make_client(API_KEYS=f"{API_KEY}, second-api-key-0123456789")


def test_api_key_lets_the_caller_in(api_key_client):
    response = api_key_client.get(TOKEN_URL, headers=bearer(API_KEY))

    assert response.status_code == 200
    assert decode_token04(response.get_data(as_text=True), SECRET).user_id == "alice"


def test_every_listed_api_key_is_accepted(api_key_client):
    headers = bearer("second-api-key-0123456789")

    assert api_key_client.get(TOKEN_URL, headers=headers).status_code == 200


def test_missing_credential_is_401_with_a_bearer_challenge(api_key_client):
    response = api_key_client.get(TOKEN_URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in response.json["error"]


@pytest.mark.parametrize(
    "header",
    [
        f"Basic {API_KEY}",
        "Bearer ",
        f"Bearer {API_KEY}x",
        f"Bearer {API_KEY[:-1]}",
        "Bearer wrong",
    ],
)
def test_wrong_credential_is_401(api_key_client, header):
    response = api_key_client.get(TOKEN_URL, headers={"Authorization": header})

    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert response.json["error"]


def test_unauthenticated_request_learns_nothing_about_its_parameters(
    api_key_client,
):
    response = api_key_client.get("/api/zego/token?effectiveTime=1")

    assert response.status_code == 401


def test_api_keys_are_never_logged(api_key_client, caplog):
    caplog.set_level(logging.DEBUG)
    api_key_client.get(TOKEN_URL, headers=bearer(API_KEY))
    api_key_client.get(TOKEN_URL, headers=bearer(API_KEY + "x"))

    assert API_KEY not in caplog.text


def test_short_api_keys_are_refused_at_startup():
    with pytest.raises(ConfigError, match="API_KEYS"):
        make_client(API_KEYS="short")


def test_open_issuance_logs_one_warning(caplog):
    caplog.set_level(logging.WARNING)
    make_client()

    warnings = [r for r in caplog.records if "open to anyone" in r.getMessage()]
    assert len(warnings) == 1


def test_no_open_issuance_warning_when_callers_must_prove_themselves(caplog):
    caplog.set_level(logging.WARNING)
    make_client(API_KEYS=API_KEY)
    make_client(AUTH_JWT_SECRET=JWT_SECRET)

    assert "open to anyone" not in caplog.text


# JWT with a shared secret (HS256)


@pytest.fixture
def jwt_client():
    return make_client(AUTH_JWT_SECRET=JWT_SECRET)


def test_valid_jwt_gets_a_token_for_its_user(jwt_client):
    response = jwt_client.get(TOKEN_URL, headers=bearer(make_jwt()))

    assert response.status_code == 200
    assert decode_token04(response.get_data(as_text=True), SECRET).user_id == "alice"


def test_user_id_is_taken_from_the_jwt_when_the_query_omits_it(jwt_client):
    headers = {**bearer(make_jwt(sub="bob")), "Accept": "application/json"}
    response = jwt_client.get("/api/zego/token", headers=headers)

    assert response.status_code == 200
    assert response.json["userId"] == "bob"
    assert decode_token04(response.json["token"], SECRET).user_id == "bob"


def test_user_id_of_another_user_is_403(jwt_client):
    response = jwt_client.get(
        "/api/zego/token?userId=mallory", headers=bearer(make_jwt(sub="alice"))
    )

    assert response.status_code == 403
    assert "userId" in response.json["error"]


def test_user_claim_can_be_configured():
    client = make_client(AUTH_JWT_SECRET=JWT_SECRET, AUTH_JWT_USER_CLAIM="uid")
    headers = bearer(make_jwt(uid="carol"))

    response = client.get("/api/zego/token", headers=headers)

    assert decode_token04(response.get_data(as_text=True), SECRET).user_id == "carol"


def test_jwt_without_the_user_claim_is_401(jwt_client):
    token = jwt.encode({"exp": int(time.time()) + 60}, JWT_SECRET, "HS256")

    assert jwt_client.get("/api/zego/token", headers=bearer(token)).status_code == 401


def test_user_from_the_jwt_must_still_follow_the_id_rules(jwt_client):
    response = jwt_client.get(
        "/api/zego/token", headers=bearer(make_jwt(sub="has space"))
    )

    assert response.status_code == 400
    assert "userId" in response.json["error"]


def test_expired_jwt_is_401(jwt_client):
    token = make_jwt(exp=int(time.time()) - 120)
    response = jwt_client.get(TOKEN_URL, headers=bearer(token))

    assert response.status_code == 401
    assert "expired" in response.json["error"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_jwt_without_expiry_is_401(jwt_client):
    token = jwt.encode({"sub": "alice"}, JWT_SECRET, "HS256")

    assert jwt_client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_jwt_signed_with_another_secret_is_401(jwt_client):
    token = make_jwt(key="another-secret-of-enough-length-0123456")

    assert jwt_client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_jwt_with_alg_none_is_401(jwt_client):
    assert jwt_client.get(TOKEN_URL, headers=bearer(unsigned_jwt())).status_code == 401


def test_jwt_of_another_hmac_algorithm_is_401(jwt_client):
    token = make_jwt(algorithm="HS512")

    assert jwt_client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_jwt_for_another_audience_is_401():
    client = make_client(AUTH_JWT_SECRET=JWT_SECRET, AUTH_JWT_AUDIENCE="zego-token")

    good = client.get(TOKEN_URL, headers=bearer(make_jwt(aud="zego-token")))
    wrong = client.get(TOKEN_URL, headers=bearer(make_jwt(aud="other-service")))
    missing = client.get(TOKEN_URL, headers=bearer(make_jwt()))

    assert good.status_code == 200
    assert wrong.status_code == 401
    assert "audience" in wrong.json["error"]
    assert missing.status_code == 401


def test_jwt_from_another_issuer_is_401():
    issuer = "https://login.example.com/"
    client = make_client(AUTH_JWT_SECRET=JWT_SECRET, AUTH_JWT_ISSUER=issuer)

    good = client.get(TOKEN_URL, headers=bearer(make_jwt(iss=issuer)))
    wrong = client.get(TOKEN_URL, headers=bearer(make_jwt(iss="https://evil/")))

    assert (good.status_code, wrong.status_code) == (200, 401)


def test_garbage_bearer_is_401_not_500(jwt_client):
    for credential in ("abc", "a.b.c", "....", "eyJ.eyJ.sig"):
        response = jwt_client.get(TOKEN_URL, headers=bearer(credential))
        assert response.status_code == 401


def test_api_key_and_jwt_can_be_combined():
    client = make_client(API_KEYS=API_KEY, AUTH_JWT_SECRET=JWT_SECRET)

    assert client.get(TOKEN_URL, headers=bearer(API_KEY)).status_code == 200
    assert client.get(TOKEN_URL, headers=bearer(make_jwt())).status_code == 200
    assert client.get(TOKEN_URL, headers=bearer("neither")).status_code == 401


# JWT with a public key (RS256, ES256)


def test_rs256_jwt_verified_with_the_configured_public_key():
    private_key = rsa_key()
    client = make_client(AUTH_JWT_PUBLIC_KEY=public_pem(private_key))

    response = client.get(TOKEN_URL, headers=bearer(make_jwt(private_key, "RS256")))

    assert response.status_code == 200


def test_public_key_with_escaped_newlines_from_a_dotenv_line():
    private_key = rsa_key()
    one_line = public_pem(private_key).replace("\n", "\\n")
    client = make_client(AUTH_JWT_PUBLIC_KEY=one_line)

    response = client.get(TOKEN_URL, headers=bearer(make_jwt(private_key, "RS256")))

    assert response.status_code == 200


def test_es256_jwt_verified_with_the_configured_public_key():
    private_key = ec.generate_private_key(ec.SECP256R1())
    client = make_client(AUTH_JWT_PUBLIC_KEY=public_pem(private_key))

    response = client.get(TOKEN_URL, headers=bearer(make_jwt(private_key, "ES256")))

    assert response.status_code == 200


def test_hs256_jwt_keyed_with_the_public_key_is_401():
    private_key = rsa_key()
    pem = public_pem(private_key)
    client = make_client(AUTH_JWT_PUBLIC_KEY=pem)
    header = {"alg": "HS256", "typ": "JWT"}
    payload = json.dumps({"sub": "alice", "exp": int(time.time()) + 60}).encode()
    token = hs256_jwt_by_hand(header, payload, key=pem.encode())

    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_rs256_jwt_signed_by_another_key_is_401():
    client = make_client(AUTH_JWT_PUBLIC_KEY=public_pem(rsa_key()))
    token = make_jwt(rsa_key(), "RS256")

    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"AUTH_JWT_PUBLIC_KEY": "not a key"}, "AUTH_JWT_PUBLIC_KEY"),
        ({"AUTH_JWT_SECRET": "short"}, "AUTH_JWT_SECRET"),
        ({"AUTH_JWKS_URL": "ftp://example/keys"}, "AUTH_JWKS_URL"),
        (
            {"AUTH_JWT_SECRET": JWT_SECRET, "AUTH_JWKS_URL": "https://idp/keys"},
            "AUTH_JWT_SECRET",
        ),
    ],
)
def test_bad_jwt_settings_are_refused_at_startup(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        make_client(**environ)


# JWKS from the identity provider


class JwksServer:
    """Serves a JWKS document on 127.0.0.1 and counts how often it is fetched."""

    def __init__(self, keys) -> None:
        self.document = json.dumps({"keys": keys}).encode()
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.document)))
                self.end_headers()
                self.wfile.write(server.document)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/.well-known/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def jwk(private_key, kid: str) -> dict:
    key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**key, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def identity_provider():
    private_key = rsa_key()
    server = JwksServer([jwk(private_key, "key-1")])
    yield server, private_key
    server.close()


def test_jwt_verified_with_keys_from_the_jwks_url(identity_provider):
    server, private_key = identity_provider
    client = make_client(AUTH_JWKS_URL=server.url)
    token = make_jwt(private_key, "RS256", headers={"kid": "key-1"})

    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 200


def test_jwks_keys_are_cached_between_requests(identity_provider):
    server, private_key = identity_provider
    client = make_client(AUTH_JWKS_URL=server.url)
    token = make_jwt(private_key, "RS256", headers={"kid": "key-1"})

    for _ in range(3):
        assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 200
    assert server.fetches == 1


def test_jwt_with_an_unknown_key_id_is_401(identity_provider):
    server, _ = identity_provider
    client = make_client(AUTH_JWKS_URL=server.url)
    token = make_jwt(rsa_key(), "RS256", headers={"kid": "key-2"})

    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_jwt_signed_by_another_key_under_a_known_key_id_is_401(identity_provider):
    server, _ = identity_provider
    client = make_client(AUTH_JWKS_URL=server.url)
    token = make_jwt(rsa_key(), "RS256", headers={"kid": "key-1"})

    assert client.get(TOKEN_URL, headers=bearer(token)).status_code == 401


def test_unreachable_identity_provider_is_503():
    port = refusing_port()
    client = make_client(AUTH_JWKS_URL=f"http://127.0.0.1:{port}/jwks.json")
    token = make_jwt(rsa_key(), "RS256", headers={"kid": "key-1"})

    response = client.get(TOKEN_URL, headers=bearer(token))

    assert response.status_code == 503
    assert "identity provider" in response.json["error"]


def test_jwt_with_an_audience_needs_audience_configured(jwt_client):
    response = jwt_client.get(TOKEN_URL, headers=bearer(make_jwt(aud="other-api")))

    assert response.status_code == 401
    assert "AUTH_JWT_AUDIENCE" in response.json["error"]


def test_jwt_from_a_clock_a_little_ahead_is_accepted(jwt_client):
    token = make_jwt(iat=int(time.time()) + 10, nbf=int(time.time()) + 10)

    assert jwt_client.get(TOKEN_URL, headers=bearer(token)).status_code == 200


def test_jwt_not_valid_for_minutes_yet_is_401(jwt_client):
    token = make_jwt(nbf=int(time.time()) + 600)
    response = jwt_client.get(TOKEN_URL, headers=bearer(token))

    assert response.status_code == 401
    assert "not valid yet" in response.json["error"]


def test_jwt_expired_moments_ago_is_still_accepted_within_the_clock_skew(
    jwt_client,
):
    token = make_jwt(exp=int(time.time()) - 5)

    assert jwt_client.get(TOKEN_URL, headers=bearer(token)).status_code == 200
