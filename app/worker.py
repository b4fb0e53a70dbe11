"""gunicorn's threaded worker, leaving new connections to a worker with a free
thread.

gunicorn's workers share one listening socket. The stock ``gthread`` worker
accepts every connection it can, busy or not, so a burst of new keep-alive
connections (a load balancer's pool, nginx's upstream keepalive) can land
mostly on one worker: that worker's requests queue behind each other while
another core sits idle, for as long as the connections live.

This worker accepts freely while one of its threads is free. While all of
them are serving, it waits ``BUSY_ACCEPT_SECONDS`` after its last new
connection before it takes the next, which gives a worker with a free thread
the time to take that connection first. When every worker is busy, each still
takes one waiting connection per pause, so none waits in the queue for ever.

It builds on the methods of gunicorn's ``ThreadWorker`` (accept, enqueue_req,
finish_request, set_accept_enabled, wait_for_and_dispatch_events) as they are
in the gunicorn release that requirements.txt pins.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

BUSY_ACCEPT_SECONDS = 0.005


class BalancedThreadWorker(ThreadWorker):
    """A ``gthread`` worker that leaves new connections to idle workers."""

    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests_in_flight = 0
        self._last_accept = float("-inf")

    def accept(self, listener: Any) -> None:
        # An event selected before the listener was set aside in the same
        # pass is stale: the connection stays queued for another worker.
        if not self._accepting:
            return
        previous, connections = self._last_accept, self.nr_conns
        self._last_accept = self.clock()
        super().accept(listener)
        if self.nr_conns == connections:  # another worker took it first
            self._last_accept = previous

    def enqueue_req(self, conn: Any) -> None:
        self.requests_in_flight += 1
        if not self._may_accept():
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        # gunicorn's loop calls set_accept_enabled(True) after this.
        self.requests_in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self._may_accept())

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # Wake up when the pause ends, to take a connection that is waiting.
        if self.alive and not self._may_accept():
            timeout = min(timeout, self._pause_left())
        super().wait_for_and_dispatch_events(timeout)

    def _may_accept(self) -> bool:
        return self.requests_in_flight < self.cfg.threads or self._pause_left() <= 0

    def _pause_left(self) -> float:
        return self._last_accept + BUSY_ACCEPT_SECONDS - self.clock()
