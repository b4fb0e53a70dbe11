"""gunicorn settings for the token service; each can be set from the environment."""

import logging
import os
import sys

from app.logs import ACCESS_LOG_FORMAT, logging_config
from app.settings import ConfigError, LogSettings, load_environ

try:
    _log_settings = LogSettings.from_environ(load_environ())
except ConfigError as error:
    sys.exit(f"configuration error: {error}")

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
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

# Log records here never show a source line, thread or process: skip
# gathering them for each record (the logging module's documented switches).
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
