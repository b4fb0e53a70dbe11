"""The log formats of the service and of gunicorn.

Nothing the service logs holds a token, the server secret or a credential.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from gunicorn.glogging import Logger

from app.middleware import LOGGED_KEY
from app.settings import LogSettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# gunicorn's access log, without the query string (it may name users) and
# without the referrer (it may carry the frontend's own query string).
ACCESS_LOG_FORMAT = (
    '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms '
    'request_id=%({x-request-id}o)s "%(a)s"'
)


class GunicornLogger(Logger):
    """gunicorn's logger, minus the access line of a request already logged.

    A token request gets one line from the service itself, with its request
    ID, status, duration and client address; a second, access line for it
    would double the cost of logging on the busiest path. Every other request
    keeps gunicorn's access line in ``ACCESS_LOG_FORMAT``.
    """

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if not environ.get(LOGGED_KEY):
            super().access(resp, req, environ, request_time)


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
            # The token line, which stands in for gunicorn's access line.
            "app.access": {
                "level": "INFO",
                "handlers": ["stdout"],
                "propagate": False,
            },
        },
    }
