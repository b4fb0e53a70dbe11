"""Service settings: read from the environment once, at startup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from zego_token import ENCRYPTIONS, Encryption, InvalidArgument
from zego_token.token04 import check_app_id, check_server_secret

# The AppID that .env.example ships with; a real ZEGO project never has it.
DEVELOPMENT_APP_ID = 1234567890
MIN_EFFECTIVE_TIME = 60


class ConfigError(Exception):
    """The environment does not configure a working service."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, validated."""

    app_id: int
    server_secret: str = field(repr=False)
    encryption: Encryption = "gcm"
    default_effective_time: int = 3600
    max_effective_time: int = 86400

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

        encryption = environ.get("ZEGO_TOKEN_ENCRYPTION", "gcm").strip().lower()
        if encryption not in ENCRYPTIONS:
            raise ConfigError("ZEGO_TOKEN_ENCRYPTION must be gcm or cbc")

        max_effective_time = _seconds(environ, "ZEGO_TOKEN_MAX_EFFECTIVE_TIME", 86400)
        default_effective_time = _seconds(
            environ, "ZEGO_TOKEN_DEFAULT_EFFECTIVE_TIME", 3600
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
        )


def load_environ(env_file: str | Path = ".env") -> dict[str, str]:
    """Return the variables of ``env_file`` overlaid by the real environment."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


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
    if seconds is None or not MIN_EFFECTIVE_TIME <= seconds <= 2**31 - 1:
        raise ConfigError(
            f"{name} must be a whole number of seconds, at least {MIN_EFFECTIVE_TIME}"
        )
    return seconds


def whole_number(text: str) -> int | None:
    """Return ``text`` as an int if it is plain ASCII digits, else None."""
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return int(text)
