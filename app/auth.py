"""Who may ask for a token: callers proven by an API key or a JWT."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Request

from app.errors import ApiError
from app.settings import ConfigError, JwtSettings, Settings

JWKS_ALGORITHMS = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5
# How far the identity provider's clock may be from ours.
CLOCK_SKEW_SECONDS = 30


@dataclass(frozen=True)
class Caller:
    """A proven caller; ``user_id`` is set when a JWT names the user."""

    user_id: str | None = None


ANY_CALLER = Caller()


class Authenticator:
    """Checks the ``Authorization: Bearer`` header of token requests."""

    def __init__(self, settings: Settings) -> None:
        self._api_keys = tuple(key.encode() for key in settings.api_keys)
        self._jwt = JwtVerifier(settings.jwt) if settings.jwt else None

    @property
    def enabled(self) -> bool:
        return bool(self._api_keys) or self._jwt is not None

    def authenticate(self, request: Request) -> Caller:
        """Return the proven caller, or raise ApiError 401."""
        if not self.enabled:
            return ANY_CALLER
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise _unauthorized("Authorization: Bearer <credential> is required")
        if self._is_api_key(credential):
            return ANY_CALLER
        if self._jwt is not None:
            return Caller(user_id=self._jwt.user_id(credential))
        raise _unauthorized("the bearer credential is not a valid API key", True)

    def _is_api_key(self, credential: str) -> bool:
        given = credential.encode()
        # A list, not a generator: every key is compared, so the time taken
        # does not tell which key came close.
        matches = [hmac.compare_digest(given, key) for key in self._api_keys]
        return any(matches)


class JwtVerifier:
    """Verifies callers' JWTs with an explicit list of allowed algorithms."""

    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._jwks = None
        if settings.secret is not None:
            self._key: object = settings.secret
            self._algorithms: tuple[str, ...] = ("HS256",)
        elif settings.public_key is not None:
            self._key, self._algorithms = _public_key(settings.public_key)
        else:
            self._key, self._algorithms = None, JWKS_ALGORITHMS
            self._jwks = jwt.PyJWKClient(
                settings.jwks_url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=JWKS_TIMEOUT_SECONDS,
            )

    def user_id(self, token: str) -> str:
        """Return the user the JWT names, or raise ApiError 401."""
        try:
            key = self._key
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self._algorithms),
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["exp"]},
                leeway=CLOCK_SKEW_SECONDS,
            )
        except jwt.PyJWKClientConnectionError:
            raise ApiError(
                "the identity provider's keys could not be fetched", 503
            ) from None
        except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
            raise _unauthorized(
                f"invalid JWT: {_reason(error, self._settings.audience)}", True
            ) from None

        user_id = claims.get(self._settings.user_claim)
        if not isinstance(user_id, str) or not user_id:
            raise _unauthorized(
                f"the JWT has no {self._settings.user_claim} claim naming the user",
                True,
            )
        return user_id


def _public_key(pem: str) -> tuple[object, tuple[str, ...]]:
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError:
        raise ConfigError("AUTH_JWT_PUBLIC_KEY must be a PEM public key") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key, ("RS256",)
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return key, ("ES256",)
    raise ConfigError("AUTH_JWT_PUBLIC_KEY must be an RSA or P-256 (ES256) key")


def _reason(error: Exception, audience: str | None) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "not valid yet (iat or nbf in the future)"
    if isinstance(error, jwt.InvalidAudienceError):
        if audience is None:
            return "it names an audience (aud) and AUTH_JWT_AUDIENCE is not set"
        return "wrong audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing {error.claim} claim"
    return "signature, algorithm or format not accepted"


def _unauthorized(message: str, invalid: bool = False) -> ApiError:
    challenge = 'Bearer realm="zego-token"'
    if invalid:
        challenge += ', error="invalid_token"'
    return ApiError(message, 401, headers={"WWW-Authenticate": challenge})
