"""The WSGI layer around the Flask app: request IDs, no-store, one log line.

Working on the raw WSGI environ keeps this off Flask's per-request
machinery; it runs for every answer, errors and 404s included.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

# The token line is the token request's access record: gunicorn's
# configuration (app.logs) writes it at INFO whatever LOG_LEVEL says.
access_log = logging.getLogger("app.access")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "zego_token.request_id"
USER_ID_KEY = "zego_token.user_id"
# Set on requests the service logs itself, so gunicorn writes no access line.
LOGGED_KEY = "zego_token.logged"
ISSUING_PATH = "/api/zego/token"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_REPLACED_HEADERS = frozenset({"cache-control", "x-request-id"})
_LOGGED_METHODS = frozenset({"GET", "HEAD"})


class RequestTracking:
    """Stamp every answer with a request ID and ``Cache-Control: no-store``.

    A caller's own X-Request-ID is kept when it is a sane short token;
    otherwise a new one is made. Each token request is logged once with its
    request ID, outcome, status, time to the answer, client address and
    method, and the userId only when ``log_user_ids`` is set; never the token
    or any credential.
    That line stands in for gunicorn's access line (see ``LOGGED_KEY``).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], log_user_ids: bool):
        self.app = app
        self.log_user_ids = log_user_ids

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else new_request_id()
        environ[REQUEST_ID_KEY] = request_id
        logged = (
            environ.get("PATH_INFO") == ISSUING_PATH
            and environ.get("REQUEST_METHOD") in _LOGGED_METHODS
        )

        def stamped_start_response(status: str, headers: list, *exc_info: Any):
            headers = [
                header
                for header in headers
                if header[0].lower() not in _REPLACED_HEADERS
            ]
            headers.append(("Cache-Control", "no-store"))
            headers.append((REQUEST_ID_HEADER, request_id))
            if logged:
                environ[LOGGED_KEY] = True
                self._log(environ, request_id, status, started)
            return start_response(status, headers, *exc_info)

        return self.app(environ, stamped_start_response)

    def _log(
        self, environ: dict[str, Any], request_id: str, status: str, started: float
    ) -> None:
        outcome = "issued" if status.startswith("200") else "refused"
        duration_ms = (time.perf_counter() - started) * 1000
        user = ""
        if self.log_user_ids and environ.get(USER_ID_KEY):
            user = f" user_id={environ[USER_ID_KEY]}"
        access_log.info(
            "token %s request_id=%s status=%s duration_ms=%.1f client=%s method=%s%s",
            outcome,
            request_id,
            status[:3],
            duration_ms,
            environ.get("REMOTE_ADDR", "-"),
            environ["REQUEST_METHOD"],
            user,
        )


def new_request_id() -> str:
    """A request ID unique across processes: a random prefix and a counter."""
    return f"{_prefix}{next(_counter):08x}"


def _new_process_prefix() -> None:
    global _prefix, _counter
    _prefix = secrets.token_hex(6)
    _counter = itertools.count()


_new_process_prefix()
# Workers forked from gunicorn's master each need a prefix of their own.
os.register_at_fork(after_in_child=_new_process_prefix)
