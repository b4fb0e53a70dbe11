"""gunicorn's threaded worker, taking new connections only while it has a free
thread.

gunicorn's workers share one listening socket. The stock ``gthread`` worker
accepts every connection it can, busy or not, so a burst of new keep-alive
connections (a load balancer's pool, nginx's upstream keepalive) can land
mostly on one worker: that worker's requests queue behind each other while
another core sits idle, for as long as the connections live. This worker
stops accepting while all its threads are serving, which leaves the next
connection to a worker that can answer it now.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """A ``gthread`` worker that accepts only while a thread is free."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests_in_flight = 0

    def enqueue_req(self, conn: Any) -> None:
        self.requests_in_flight += 1
        if self.requests_in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        # gunicorn's loop turns accepting back on after this, through
        # set_accept_enabled, now that a thread is free.
        self.requests_in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(
            enabled and self.requests_in_flight < self.cfg.threads
        )
