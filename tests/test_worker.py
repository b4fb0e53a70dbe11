"""The gunicorn worker leaves new connections to a worker with a free thread."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import HOST, start_gunicorn

PARTIAL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\n"
FULL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
# Well within the second a busy, otherwise idle worker's loop sleeps before
# it looks at the queue again; a worker that accepts regardless takes the
# connection at once.
GRACE_SECONDS = 0.5
PROC_NET_TCP = Path("/proc/net/tcp")

pytestmark = pytest.mark.skipif(
    not PROC_NET_TCP.exists(), reason="reads the listen queue from /proc/net/tcp"
)


def waiting_connections(port: int) -> int:
    """Connections the kernel holds for the listener on ``port``, unaccepted."""
    for line in PROC_NET_TCP.read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "0A":  # 0A: listening
            return int(fields[4].split(":")[1], 16)
    raise AssertionError(f"nothing listens on port {port}")


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def one_thread_server(environ, tmp_path):
    server = start_gunicorn(
        tmp_path, {**environ, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1"}
    )
    yield server
    server.stop()


@contextmanager
def a_connection_behind_a_busy_thread(port: int) -> Iterator[Callable]:
    """Keep the worker's one thread on an unfinished request, then connect
    again; yield a function that finishes that request and returns both
    answers."""
    with socket.create_connection((HOST, port), timeout=10) as slow:
        slow.sendall(PARTIAL_REQUEST)
        assert wait_until(lambda: waiting_connections(port) == 0)
        with socket.create_connection((HOST, port), timeout=10) as waiting:
            waiting.sendall(FULL_REQUEST)

            def finish() -> list[bytes]:
                slow.sendall(b"\r\n")
                return [slow.recv(4096), waiting.recv(4096)]

            yield finish


def test_busy_worker_leaves_a_new_connection_waiting_for_a_free_one(
    one_thread_server,
):
    port = one_thread_server.port
    with a_connection_behind_a_busy_thread(port) as finish:
        time.sleep(GRACE_SECONDS)
        assert waiting_connections(port) == 1
        answers = finish()

    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)


def test_busy_worker_takes_a_connection_no_other_worker_takes(one_thread_server):
    port = one_thread_server.port
    with a_connection_behind_a_busy_thread(port) as finish:
        # Accepted though the worker is still busy: no connection waits in
        # the kernel's queue for long when every worker is busy.
        assert wait_until(lambda: waiting_connections(port) == 0)
        answers = finish()

    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
