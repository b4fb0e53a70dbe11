"""Request IDs, one log line per token request, and the log formats.

Nothing here logs a token, the server secret or a caller's credential.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, request

from app.settings import LogSettings

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
ISSUING_ENDPOINT = "tokens.token"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# gunicorn's access log, without the query string (it may name users) and
# without the referrer (it may carry the frontend's own query string).
ACCESS_LOG_FORMAT = (
    '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms '
    'request_id=%({x-request-id}o)s "%(a)s"'
)


def register_request_logging(app: Flask, settings: LogSettings) -> None:
    """Give every response a request ID and log each token request once."""
    log_user_ids = settings.user_ids

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        if request.endpoint == ISSUING_ENDPOINT and request.method != "OPTIONS":
            outcome = "issued" if response.status_code == 200 else "refused"
            duration_ms = (time.perf_counter() - g.get("started", 0.0)) * 1000
            details = (
                f"request_id={request_id} status={response.status_code} "
                f"duration_ms={duration_ms:.1f}"
            )
            if log_user_ids and g.get("user_id"):
                details += f" user_id={g.user_id}"
            logger.info("token %s %s", outcome, details)
        return response


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(settings: LogSettings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and gunicorn itself."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if settings.format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "default"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {**handler, "stream": "ext://sys.stderr"},
            "stdout": {**handler, "stream": "ext://sys.stdout"},
        },
        "root": {"level": settings.level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {
                "level": settings.level,
                "handlers": ["stderr"],
                "propagate": False,
            },
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["stdout"],
                "propagate": False,
            },
        },
    }
