"""The gunicorn worker leaves new connections to a worker with a free thread."""

from __future__ import annotations

import logging
import os
import selectors
import socket
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from gunicorn.config import Config

from app.worker import BUSY_ACCEPT_SECONDS, BalancedThreadWorker
from tests.servers import HOST, start_gunicorn

PARTIAL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\n"
FULL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
# gunicorn's worker loop looks at its sockets at least once a second.
LOOP_SECONDS = 1.0
PROC_NET_TCP = Path("/proc/net/tcp")


class HeldPool:
    """A thread pool that runs nothing: every request stays in flight."""

    def __init__(self) -> None:
        self.requests: list[tuple[object, Future]] = []

    def submit(self, handle, conn) -> Future:
        future: Future = Future()
        self.requests.append((conn, future))
        return future


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind((HOST, 0))
    sock.listen(16)
    yield sock
    sock.close()


@pytest.fixture
def clients():
    """Client sockets a test opens, closed after it."""
    opened: list[socket.socket] = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def worker(listener, tmp_path, clock):
    """A two-thread worker on ``listener``, outside any gunicorn arbiter."""
    cfg = Config()
    cfg.set("threads", 2)
    cfg.set("worker_tmp_dir", str(tmp_path))
    made = BalancedThreadWorker(
        0, os.getpid(), [listener], None, 30, cfg, logging.getLogger("test")
    )
    made.clock = clock
    made.poller = selectors.DefaultSelector()
    made.tpool = HeldPool()
    made.set_accept_enabled(True)
    yield made
    made.poller.close()
    made.tmp.close()
    for conn, _ in made.tpool.requests:
        conn.close()


def listening(worker, listener) -> bool:
    return listener.fileno() in worker.poller.get_map()


def connect_and_accept(worker, listener, clients: list) -> None:
    clients.append(socket.create_connection(listener.getsockname()))
    worker.accept(listener)


def occupy_every_thread(worker, listener, clients: list) -> None:
    for _ in range(worker.cfg.threads):
        connect_and_accept(worker, listener, clients)


def finish_one(worker) -> None:
    conn, future = worker.tpool.requests.pop(0)
    future.set_result(False)  # the connection is done, not kept alive
    worker.finish_request(conn, future)


def test_worker_with_a_free_thread_accepts(worker, listener, clients):
    connect_and_accept(worker, listener, clients)

    assert worker.nr_conns == 1
    assert listening(worker, listener)


def test_busy_worker_pauses_before_its_next_connection(worker, listener, clients):
    occupy_every_thread(worker, listener, clients)
    assert not listening(worker, listener)

    worker.clock.now += BUSY_ACCEPT_SECONDS * 0.8
    worker.set_accept_enabled(True)
    assert not listening(worker, listener)

    worker.clock.now += BUSY_ACCEPT_SECONDS * 0.2
    worker.set_accept_enabled(True)
    assert listening(worker, listener)
    connect_and_accept(worker, listener, clients)
    assert worker.nr_conns == 3
    assert not listening(worker, listener)


def test_busy_worker_leaves_a_connection_of_an_earlier_event_queued(
    worker, listener, clients
):
    occupy_every_thread(worker, listener, clients)

    # The listener's event was selected before the worker set it aside.
    clients.append(socket.create_connection(listener.getsockname()))
    worker.accept(listener)

    assert worker.nr_conns == 2


def test_connection_another_worker_took_starts_no_pause(worker, listener, clients):
    occupy_every_thread(worker, listener, clients)
    worker.clock.now += BUSY_ACCEPT_SECONDS
    worker.set_accept_enabled(True)

    worker.accept(listener)  # woken, but nothing is left in the queue
    worker.set_accept_enabled(True)

    assert worker.nr_conns == 2
    assert listening(worker, listener)


def test_worker_accepts_again_as_soon_as_a_thread_is_free(worker, listener, clients):
    occupy_every_thread(worker, listener, clients)

    finish_one(worker)
    worker.set_accept_enabled(True)

    assert worker.requests_in_flight == 1
    assert listening(worker, listener)


def test_busy_worker_wakes_up_when_its_pause_ends(worker, listener, clients):
    occupy_every_thread(worker, listener, clients)

    started = time.monotonic()
    worker.wait_for_and_dispatch_events(LOOP_SECONDS)

    assert time.monotonic() - started < LOOP_SECONDS / 2


@pytest.mark.skipif(
    not PROC_NET_TCP.exists(), reason="reads the listen queue from /proc/net/tcp"
)
def test_busy_worker_takes_a_connection_no_other_worker_takes(environ, tmp_path):
    server = start_gunicorn(
        tmp_path, {**environ, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1"}
    )
    port = server.port
    try:
        with socket.create_connection((HOST, port), timeout=10) as slow:
            # The one thread takes this request and waits for the rest of it;
            # the kernel hands out queued connections in order.
            slow.sendall(PARTIAL_REQUEST)
            with socket.create_connection((HOST, port), timeout=10) as waiting:
                waiting.sendall(FULL_REQUEST)
                # Taken though the worker is still busy, well before its loop
                # would look again on its own.
                assert wait_until(
                    lambda: waiting_connections(port) == 0, LOOP_SECONDS / 2
                )

                slow.sendall(b"\r\n")
                answers = [slow.recv(4096), waiting.recv(4096)]
    finally:
        server.stop()

    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)


def waiting_connections(port: int) -> int:
    """Connections queued, unaccepted, for the IPv4 listener on ``port``."""
    for line in PROC_NET_TCP.read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "0A":  # 0A: listening
            return int(fields[4].split(":")[1], 16)
    raise AssertionError(f"nothing listens on port {port}")


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
