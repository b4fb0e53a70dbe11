"""gunicorn's threaded worker, leaving new connections to a worker with a free
thread.

gunicorn's workers share one listening socket. The stock ``gthread`` worker
accepts every connection it can, busy or not, so a burst of new keep-alive
connections (a load balancer's pool, nginx's upstream keepalive) can land
mostly on one worker: that worker's requests queue behind each other while
another core sits idle, for as long as the connections live.

This worker accepts freely while one of its threads is free. While all are
serving, it accepts at most one connection every ``BUSY_ACCEPT_SECONDS``:
long enough for a worker with a free thread to take the connection first,
short enough that when every worker is busy the connections still waiting
are all taken soon.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

BUSY_ACCEPT_SECONDS = 0.005


class BalancedThreadWorker(ThreadWorker):
    """A ``gthread`` worker that leaves new connections to idle workers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests_in_flight = 0
        self._last_accept = 0.0

    def accept(self, listener: Any) -> None:
        self._last_accept = time.monotonic()
        super().accept(listener)

    def enqueue_req(self, conn: Any) -> None:
        self.requests_in_flight += 1
        if self._all_threads_busy():
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        # gunicorn's loop calls set_accept_enabled(True) after this.
        self.requests_in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and self._all_threads_busy():
            enabled = time.monotonic() - self._last_accept >= BUSY_ACCEPT_SECONDS
        super().set_accept_enabled(enabled)

    def _all_threads_busy(self) -> bool:
        return self.requests_in_flight >= self.cfg.threads
