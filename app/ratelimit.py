"""Rate limits per client address, in fixed windows.

The counts live where RATE_LIMIT_STORAGE_URI says: this process's memory, or
Redis, shared by every worker of every instance (counted there by the
``limits`` library). While Redis cannot be reached, each process counts in its
own memory instead of refusing tokens, and tries Redis again after a pause.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.settings import ConfigError, Settings

logger = logging.getLogger(__name__)

NAMESPACE = "zego-token"
RETRY_STORAGE_SECONDS = 5
REDIS_TIMEOUT_SECONDS = 1
# How often counts of windows that have ended are dropped from memory.
SWEEP_SECONDS = 10


class RateLimit:
    """The token endpoint's budget per client address."""

    def __init__(self, settings: Settings) -> None:
        self._items = parse_many(settings.rate_limit)
        self._memory = MemoryWindows(self._items)
        self._shared: FixedWindowRateLimiter | None = None
        self._storage_errors: type[Exception] | tuple[type[Exception], ...] = ()
        self._storage_down_until = 0.0
        uri = settings.rate_limit_storage_uri
        if urlsplit(uri).scheme == "memory":
            return
        try:
            storage = storage_from_string(
                uri,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        except (ValueError, ConfigurationError):
            raise ConfigError(
                "RATE_LIMIT_STORAGE_URI must be memory:// or redis://host:port/db"
            ) from None
        self._storage_errors = storage.base_exceptions
        self._shared = FixedWindowRateLimiter(storage)

    def hit(self, client: str) -> int | None:
        """Count a request of ``client``; return seconds to wait if over."""
        if self._shared is None or time.monotonic() < self._storage_down_until:
            return self._memory.hit(client)
        try:
            return self._hit_shared(self._shared, client)
        except self._storage_errors as error:
            logger.warning(
                "rate limit storage unreachable, counting in memory for %ss: %s",
                RETRY_STORAGE_SECONDS,
                type(error).__name__,
            )
            self._storage_down_until = time.monotonic() + RETRY_STORAGE_SECONDS
            return self._memory.hit(client)

    def _hit_shared(self, limiter: FixedWindowRateLimiter, client: str) -> int | None:
        for item in self._items:
            if not limiter.hit(item, NAMESPACE, client):
                reset_time = limiter.get_window_stats(item, NAMESPACE, client)[0]
                return max(1, math.ceil(reset_time - time.time()))
        return None


class MemoryWindows:
    """Fixed windows counted in this process's memory, safe across threads.

    A window opens at a client's first request and lasts the limit's period,
    as in the ``limits`` library's storages. That library's own memory storage
    is not used: under load it starts a timer thread every 10 ms, and two
    threads starting one at once fail the request with RuntimeError. Here,
    windows that have ended are dropped every ``SWEEP_SECONDS`` while counting.
    """

    def __init__(
        self,
        items: list[RateLimitItem],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = [(item.amount, item.get_expiry()) for item in items]
        self._clock = clock
        self._lock = threading.Lock()
        # (limit index, client) -> (end of its window, requests counted in it)
        self._windows: dict[tuple[int, str], tuple[float, int]] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    def hit(self, client: str) -> int | None:
        """Count a request of ``client``; return seconds to wait if over."""
        with self._lock:
            now = self._clock()
            if now >= self._next_sweep:
                self._sweep(now)
            for index, (amount, period) in enumerate(self._limits):
                key = (index, client)
                end, count = self._windows.get(key, (0.0, 0))
                if now >= end:
                    end, count = now + period, 0
                if count >= amount:
                    return max(1, math.ceil(end - now))
                self._windows[key] = (end, count + 1)
        return None

    def __len__(self) -> int:
        """How many windows are held: those still open, and some just ended."""
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        self._windows = {
            key: window for key, window in self._windows.items() if window[0] > now
        }
        self._next_sweep = now + SWEEP_SECONDS
