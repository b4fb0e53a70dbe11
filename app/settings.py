"""Service settings: read from the environment once, at startup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from limits import parse_many

from zego_token import ENCRYPTIONS, Encryption, InvalidArgument
from zego_token.token04 import check_app_id, check_server_secret

# The AppID that .env.example ships with; a real ZEGO project never has it.
DEVELOPMENT_APP_ID = 1234567890
MIN_EFFECTIVE_TIME = 60
DEFAULT_EFFECTIVE_TIME = 3600
DEFAULT_MAX_EFFECTIVE_TIME = 86400
MAX_SECONDS_SETTING = 2**31 - 1
DEFAULT_RATE_LIMIT = "60/minute"
SUPPORTED_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix")
MIN_API_KEY_LENGTH = 16
MIN_JWT_SECRET_BYTES = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
JWT_KEY_VARIABLES = ("AUTH_JWT_SECRET", "AUTH_JWT_PUBLIC_KEY", "AUTH_JWKS_URL")


class ConfigError(Exception):
    """The environment does not configure a working service."""


@dataclass(frozen=True)
class JwtSettings:
    """How callers' JWTs are verified; exactly one key source is set."""

    secret: str | None = field(default=None, repr=False)
    public_key: str | None = None
    jwks_url: str | None = None
    audience: str | None = None
    issuer: str | None = None
    user_claim: str = "sub"


@dataclass(frozen=True)
class LogSettings:
    """How the service logs; gunicorn's configuration reads these too."""

    level: str = "INFO"
    format: str = "text"
    user_ids: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LogSettings:
        level = environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        log_format = environ.get("LOG_FORMAT", "").strip().lower() or "text"
        if log_format not in LOG_FORMATS:
            raise ConfigError("LOG_FORMAT must be text or json")
        return cls(
            level=level,
            format=log_format,
            user_ids=_flag(environ, "LOG_USER_IDS"),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, validated."""

    app_id: int
    server_secret: str = field(repr=False)
    encryption: Encryption = "gcm"
    default_effective_time: int = DEFAULT_EFFECTIVE_TIME
    max_effective_time: int = DEFAULT_MAX_EFFECTIVE_TIME
    cors_allowed_origins: tuple[str, ...] = ()
    rate_limit: str = DEFAULT_RATE_LIMIT
    rate_limit_storage_uri: str = "memory://"
    trusted_proxies: int = 0
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    jwt: JwtSettings | None = None
    log: LogSettings = LogSettings()

    @property
    def token_issuance_is_open(self) -> bool:
        return not self.api_keys and self.jwt is None

    @property
    def uses_development_credentials(self) -> bool:
        return self.app_id == DEVELOPMENT_APP_ID

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Parse ``environ``; raise ConfigError naming the first bad variable."""
        app_id = _require(environ, "ZEGO_APP_ID")
        try:
            app_id_number = check_app_id(whole_number(app_id))
        except InvalidArgument:
            raise ConfigError(
                "ZEGO_APP_ID must be the project's AppID, a whole number "
                "from 1 to 4294967295"
            ) from None

        server_secret = _require(environ, "ZEGO_SERVER_SECRET")
        try:
            check_server_secret(server_secret)
        except InvalidArgument:
            raise ConfigError(
                "ZEGO_SERVER_SECRET must be exactly 32 ASCII characters "
                f"(it has {len(server_secret)})"
            ) from None

        encryption = environ.get("ZEGO_TOKEN_ENCRYPTION", "").strip().lower() or "gcm"
        if encryption not in ENCRYPTIONS:
            raise ConfigError("ZEGO_TOKEN_ENCRYPTION must be gcm or cbc")

        max_effective_time = _seconds(
            environ, "ZEGO_TOKEN_MAX_EFFECTIVE_TIME", DEFAULT_MAX_EFFECTIVE_TIME
        )
        # Lowering only the maximum lowers the default with it.
        default_effective_time = _seconds(
            environ,
            "ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME",
            min(DEFAULT_EFFECTIVE_TIME, max_effective_time),
        )
        if default_effective_time > max_effective_time:
            raise ConfigError(
                "ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME must not exceed "
                f"ZEGO_TOKEN_MAX_EFFECTIVE_TIME ({max_effective_time})"
            )
        return cls(
            app_id=app_id_number,
            server_secret=server_secret,
            encryption=encryption,
            default_effective_time=default_effective_time,
            max_effective_time=max_effective_time,
            cors_allowed_origins=_origins(environ),
            rate_limit=_rate_limit(environ),
            rate_limit_storage_uri=_storage_uri(environ),
            trusted_proxies=_trusted_proxies(environ),
            api_keys=_api_keys(environ),
            jwt=_jwt(environ),
            log=LogSettings.from_environ(environ),
        )


def load_environ(env_file: str | Path = ".env") -> dict[str, str]:
    """Return the variables of ``env_file`` overlaid by the real environment."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def whole_number(text: str) -> int | None:
    """Return ``text`` as an int if it is plain ASCII digits, else None."""
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return int(text)


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    seconds = whole_number(value)
    if seconds is None or not MIN_EFFECTIVE_TIME <= seconds <= MAX_SECONDS_SETTING:
        raise ConfigError(
            f"{name} must be a whole number of seconds, "
            f"{MIN_EFFECTIVE_TIME} to {MAX_SECONDS_SETTING}"
        )
    return seconds


def _items(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    items = (item.strip() for item in environ.get(name, "").split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _origins(environ: Mapping[str, str]) -> tuple[str, ...]:
    origins = tuple(
        origin.rstrip("/") for origin in _items(environ, "CORS_ALLOWED_ORIGINS")
    )
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if origin == "*" or scheme not in ("http", "https") or not host or "/" in host:
            raise ConfigError(
                "CORS_ALLOWED_ORIGINS must list origins like https://app.example.com"
            )
    return origins


def _rate_limit(environ: Mapping[str, str]) -> str:
    value = environ.get("RATE_LIMIT", "").strip() or DEFAULT_RATE_LIMIT
    try:
        limits = parse_many(value)
    except ValueError:
        limits = []
    if not limits or any(limit.amount < 1 for limit in limits):
        raise ConfigError(
            "RATE_LIMIT must be a limit like 60/minute (several separated by ;), "
            "each allowing at least one request"
        )
    return value


def _storage_uri(environ: Mapping[str, str]) -> str:
    value = environ.get("RATE_LIMIT_STORAGE_URI", "").strip() or "memory://"
    if not _is_storage_uri(value):
        raise ConfigError(
            "RATE_LIMIT_STORAGE_URI must be memory:// or redis://host:port/db"
        )
    return value


def _is_storage_uri(value: str) -> bool:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    if "://" not in value or parts.scheme not in SUPPORTED_STORAGE_SCHEMES:
        return False
    database = parts.path.strip("/")
    if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
        return False
    return port is None or port > 0


def _trusted_proxies(environ: Mapping[str, str]) -> int:
    value = environ.get("TRUSTED_PROXIES", "").strip() or "0"
    hops = whole_number(value)
    if hops is None or hops > 10:
        raise ConfigError("TRUSTED_PROXIES must be the number of proxy hops, 0 to 10")
    return hops


def _api_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    keys = _items(environ, "API_KEYS")
    if any(len(key) < MIN_API_KEY_LENGTH for key in keys):
        raise ConfigError(
            f"API_KEYS must hold keys of at least {MIN_API_KEY_LENGTH} characters"
        )
    return keys


def _jwt(environ: Mapping[str, str]) -> JwtSettings | None:
    sources = {
        name: environ.get(name, "").strip()
        for name in JWT_KEY_VARIABLES
        if environ.get(name, "").strip()
    }
    if not sources:
        return None
    if len(sources) > 1:
        raise ConfigError(f"set only one of {', '.join(JWT_KEY_VARIABLES)}")
    secret = sources.get("AUTH_JWT_SECRET")
    if secret is not None and len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise ConfigError(
            f"AUTH_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes for HS256"
        )
    jwks_url = sources.get("AUTH_JWKS_URL")
    if jwks_url is not None and not jwks_url.startswith(("https://", "http://")):
        raise ConfigError("AUTH_JWKS_URL must be an http(s) URL")
    public_key = sources.get("AUTH_JWT_PUBLIC_KEY")
    if public_key is not None:
        public_key = public_key.replace("\\n", "\n")
    return JwtSettings(
        secret=secret,
        public_key=public_key,
        jwks_url=jwks_url,
        audience=environ.get("AUTH_JWT_AUDIENCE", "").strip() or None,
        issuer=environ.get("AUTH_JWT_ISSUER", "").strip() or None,
        user_claim=environ.get("AUTH_JWT_USER_CLAIM", "").strip() or "sub",
    )


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = FLAGS.get(environ.get(name, "").strip().lower() or "false")
    if value is None:
        raise ConfigError(f"{name} must be true or false")
    return value
