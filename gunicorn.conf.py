"""gunicorn settings for the token service.

PORT, BIND, WEB_CONCURRENCY, GUNICORN_THREADS and the LOG_* variables come
from the environment or .env (the real environment wins), like the service's
own settings; a bad value stops gunicorn with one line naming the variable.
"""

import logging
import sys

from app.logs import ACCESS_LOG_FORMAT, GunicornLogger, logging_config
from app.settings import ConfigError, LogSettings, load_environ, whole_number
from app.worker import BalancedThreadWorker


def _count(name: str, default: int, most: int) -> int:
    value = whole_number(_environ.get(name, "").strip() or str(default))
    if value is None or not 1 <= value <= most:
        sys.exit(f"configuration error: {name} must be a whole number, 1 to {most}")
    return value


_environ = load_environ()
try:
    _log_settings = LogSettings.from_environ(_environ)
except ConfigError as error:
    sys.exit(f"configuration error: {error}")

bind = _environ.get("BIND") or f"127.0.0.1:{_count('PORT', 8000, 65535)}"
workers = _count("WEB_CONCURRENCY", 2, 64)
# gthread, leaving new connections to a worker with a free thread while all
# of its own are serving (app.worker).
worker_class = BalancedThreadWorker
threads = _count("GUNICORN_THREADS", 4, 64)
keepalive = 5

# Load the app in the master: a configuration error stops the whole server
# with one line instead of workers failing to boot one after another.
preload_app = True

# A 2 KiB JSON payload can triple in size once URL-encoded.
limit_request_line = 8190

# The service may run as a user with no writable home directory.
control_socket_disable = True

logconfig_dict = logging_config(_log_settings)
accesslog = "-"
access_log_format = ACCESS_LOG_FORMAT
# Token requests are logged once, by the service; the rest by gunicorn.
# (A logger class of our own also means gunicorn's statsd_host option,
# which swaps in a statsd logger, does nothing here.)
logger_class = GunicornLogger

# Log records here never show a source line, thread or process: skip
# gathering them for each record (the logging module's documented switches).
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
