"""The WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

import sys

from app import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"configuration error: {error}")
