"""The ZEGO token service: a Flask app that issues token04 tokens."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask

from app.errors import register_error_handlers
from app.settings import ConfigError, Settings, load_environ
from app.views import bp
from zego_token import Token04

__all__ = ["ConfigError", "Settings", "create_app"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenService:
    """What the views share: the settings and the codec built from them."""

    settings: Settings
    codec: Token04


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the app from ``config``, or from the environment and ``.env``.

    ``config`` may be ready Settings or a mapping of environment variables.
    Raises ConfigError, naming the variable, when the configuration is bad.
    """
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_environ(load_environ() if config is None else config)

    app = Flask(__name__)
    app.extensions["zego_token"] = TokenService(
        settings, Token04(settings.server_secret)
    )
    app.register_blueprint(bp)
    register_error_handlers(app)
    app.after_request(_no_store)

    if settings.uses_development_credentials:
        logger.warning(
            "development credentials in use: tokens from this service will not "
            "work with ZEGO; set ZEGO_APP_ID and ZEGO_SERVER_SECRET"
        )
    return app


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
