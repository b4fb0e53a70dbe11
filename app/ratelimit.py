"""Rate limits per client address, counted by the ``limits`` library.

The counts live where RATE_LIMIT_STORAGE_URI says: this process's memory, or
Redis, shared by every worker of every instance. While Redis cannot be
reached, each process counts in its own memory instead of refusing tokens,
and tries Redis again after a pause.
"""

from __future__ import annotations

import logging
import math
import time

from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.settings import ConfigError, Settings

logger = logging.getLogger(__name__)

NAMESPACE = "zego-token"
RETRY_STORAGE_SECONDS = 5
REDIS_TIMEOUT_SECONDS = 1


class RateLimit:
    """The token endpoint's budget per client address."""

    def __init__(self, settings: Settings) -> None:
        self._items = parse_many(settings.rate_limit)
        uri = settings.rate_limit_storage_uri
        options = {}
        if not uri.startswith("memory://"):
            options = {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            }
        try:
            storage = storage_from_string(uri, **options)
        except (ValueError, ConfigurationError):
            raise ConfigError(
                "RATE_LIMIT_STORAGE_URI must be memory:// or redis://host:port/db"
            ) from None
        self._storage_errors = storage.base_exceptions
        self._limiter = FixedWindowRateLimiter(storage)
        self._fallback = FixedWindowRateLimiter(MemoryStorage())
        self._storage_down_until = 0.0

    def hit(self, client: str) -> int | None:
        """Count a request of ``client``; return seconds to wait if over."""
        if time.monotonic() < self._storage_down_until:
            return self._hit(self._fallback, client)
        try:
            return self._hit(self._limiter, client)
        except self._storage_errors as error:
            logger.warning(
                "rate limit storage unreachable, counting in memory for %ss: %s",
                RETRY_STORAGE_SECONDS,
                type(error).__name__,
            )
            self._storage_down_until = time.monotonic() + RETRY_STORAGE_SECONDS
            return self._hit(self._fallback, client)

    def _hit(self, limiter: FixedWindowRateLimiter, client: str) -> int | None:
        for item in self._items:
            if not limiter.hit(item, NAMESPACE, client):
                reset_time = limiter.get_window_stats(item, NAMESPACE, client)[0]
                return max(1, math.ceil(reset_time - time.time()))
        return None
