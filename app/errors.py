"""One error type for the API, and the handlers that turn errors into JSON."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from app.middleware import REQUEST_ID_KEY

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the service refuses, with the status and the reason to send."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


def register_error_handlers(app: Flask) -> None:
    """Answer every error with ``{"error": ...}`` JSON."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _error_response(message: str, status: int):
    """The ``{"error": message}`` JSON answer every failure gets."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def _api_error(error: ApiError):
    response = _error_response(error.message, error.status)
    response.headers.update(error.headers)
    return response


def _http_error(error: HTTPException):
    status = error.code or 500
    if status == 404:
        message = f"no such endpoint: {request.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed here"
    else:
        message = error.description or error.name
    response = _error_response(message, status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected_error(error: Exception):
    logger.exception(
        "unexpected error request_id=%s", request.environ.get(REQUEST_ID_KEY)
    )
    return _error_response("internal server error", 500)
