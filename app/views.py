"""The token endpoint and the health check."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, request

from app.errors import ApiError
from app.middleware import ISSUING_PATH, USER_ID_KEY
from app.params import parse_token_request

tokens = Blueprint("tokens", __name__)
health = Blueprint("health", __name__)


@tokens.get(ISSUING_PATH)
def token():
    """Issue a token04 for the user the query names."""
    service = current_app.extensions["zego_token"]
    retry_after = service.rate_limit.hit(request.remote_addr or "127.0.0.1")
    if retry_after is not None:
        raise ApiError(
            f"rate limit exceeded ({service.settings.rate_limit}); "
            "retry after the seconds in Retry-After",
            429,
            headers={"Retry-After": str(retry_after)},
        )
    caller = service.authenticator.authenticate(request)
    token_request = parse_token_request(
        request.args, service.settings, caller_user_id=caller.user_id
    )
    request.environ[USER_ID_KEY] = token_request.user_id
    now = int(time.time())
    token04 = service.codec.generate(
        service.settings.app_id,
        token_request.user_id,
        token_request.effective_time,
        token_request.payload,
        encryption=service.settings.encryption,
        now=now,
    )
    if _wants_json():
        return jsonify(
            token=token04,
            appId=service.settings.app_id,
            userId=token_request.user_id,
            expireTime=now + token_request.effective_time,
        )
    return current_app.response_class(token04, mimetype="text/plain")


@health.get("/healthz")
def healthz():
    """Tell a load balancer the service is up."""
    return jsonify(status="ok")


def _wants_json() -> bool:
    if "application/" not in request.headers.get("Accept", ""):
        return False
    best = request.accept_mimetypes.best_match(["text/plain", "application/json"])
    return best == "application/json"
