"""The ZEGO token service: a Flask app that issues token04 tokens."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from app.auth import Authenticator
from app.errors import register_error_handlers
from app.middleware import RequestTracking
from app.openapi import openapi
from app.ratelimit import RateLimit
from app.settings import ConfigError, Settings, load_environ
from app.views import health, tokens
from zego_token import Token04

__all__ = ["ConfigError", "Settings", "create_app"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenService:
    """What the views share, built once from the settings."""

    settings: Settings
    codec: Token04
    authenticator: Authenticator
    rate_limit: RateLimit


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
        settings=settings,
        codec=Token04(settings.server_secret),
        authenticator=Authenticator(settings),
        rate_limit=RateLimit(settings),
    )
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if settings.cors_allowed_origins:
        _allow_cross_origin_calls(app, settings.cors_allowed_origins)
    app.register_blueprint(tokens)
    app.register_blueprint(health)
    app.register_blueprint(openapi)
    register_error_handlers(app)
    app.wsgi_app = RequestTracking(app.wsgi_app, settings.log.user_ids)

    logger.info("starting %s", describe(settings))
    _warn_about_risky_settings(settings)
    return app


def describe(settings: Settings) -> str:
    """The effective configuration in one line, with every secret left out."""
    if settings.jwt is None:
        jwt_keys = "off"
    elif settings.jwt.jwks_url:
        jwt_keys = f"jwks:{_without_credentials(settings.jwt.jwks_url)}"
    else:
        jwt_keys = "secret" if settings.jwt.secret else "public_key"
    return " ".join(
        f"{name}={value}"
        for name, value in (
            ("app_id", settings.app_id),
            ("server_secret", "<redacted>"),
            ("encryption", settings.encryption),
            ("default_effective_time", settings.default_effective_time),
            ("max_effective_time", settings.max_effective_time),
            ("cors_allowed_origins", ",".join(settings.cors_allowed_origins) or "-"),
            ("rate_limit", settings.rate_limit.replace(" ", "")),
            (
                "rate_limit_storage",
                _without_credentials(settings.rate_limit_storage_uri),
            ),
            ("trusted_proxies", settings.trusted_proxies),
            ("api_keys", len(settings.api_keys)),
            ("jwt", jwt_keys),
            ("log_level", settings.log.level),
            ("log_format", settings.log.format),
            ("log_user_ids", str(settings.log.user_ids).lower()),
        )
    )


def _without_credentials(uri: str) -> str:
    parts = urlsplit(uri)
    address = parts.hostname or ""
    if parts.port:
        address += f":{parts.port}"
    return f"{parts.scheme}://{address}{parts.path}"


def _allow_cross_origin_calls(app: Flask, origins: tuple[str, ...]) -> None:
    """Let browsers on ``origins`` call the token endpoint (flask-cors).

    flask-cors is consulted only for requests that carry an Origin header:
    without one there is nothing to allow, and its evaluation of a response
    costs about a sixth of a token request. Answers to browsers expose
    Retry-After and X-Request-ID to the page's script.
    """
    CORS(
        app,
        resources={"/api/*": {"origins": list(origins)}},
        allow_headers=["Authorization", "X-Request-ID"],
        expose_headers=["Retry-After", "X-Request-ID"],
        methods=["GET"],
        max_age=600,
        always_send=False,
        # Error answers pass through the after-request hook below as well.
        intercept_exceptions=False,
    )
    add_cors_headers = app.after_request_funcs[None].pop()
    if add_cors_headers.__name__ != "cors_after_request":
        raise RuntimeError("flask-cors did not register its after-request hook")

    @app.after_request
    def add_cors_headers_for_cross_origin_requests(response):
        if "HTTP_ORIGIN" in request.environ:
            return add_cors_headers(response)
        return response


def _warn_about_risky_settings(settings: Settings) -> None:
    if settings.uses_development_credentials:
        logger.warning(
            "development credentials in use: tokens from this service will not "
            "work with ZEGO; set ZEGO_APP_ID and ZEGO_SERVER_SECRET"
        )
    if settings.token_issuance_is_open:
        logger.warning(
            "token issuance is open to anyone who can reach this service; "
            "set API_KEYS or AUTH_JWT_* to require callers to prove themselves"
        )
