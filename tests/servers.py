"""Real servers for tests: gunicorn and nginx on free ports of 127.0.0.1.

Each starts from a throwaway folder, is waited for with a bounded number of
polls, and is stopped by its process ID when the test is done.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE_FILE = REPO / "deploy" / "nginx.conf"
HOST = "127.0.0.1"
POLL_SECONDS = 0.05
MAX_POLLS = 200
STOP_SECONDS = 10

# The two addresses of deploy/nginx.conf that a test rewrites.
SITE_LISTEN = "    listen 80;\n"
SITE_UPSTREAM = "    server 127.0.0.1:8000;\n"
# nginx's access log, relative to its prefix: the request ID of each request.
ACCESS_LOG_NAME = "access.log"


@dataclass
class Server:
    """A running server: its process, its port and the files it logs to."""

    process: subprocess.Popen
    port: int
    logs: tuple[Path, ...]

    def stop(self) -> None:
        """Stop the server, forcibly if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)

    def log_text(self) -> str:
        return "".join(
            log.read_text(errors="replace") for log in self.logs if log.exists()
        )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def refusing_port() -> int:
    """A port of 127.0.0.1 that refuses connections while the tests run.

    The socket is bound but never listens, so nothing else can take the
    port; it stays open until the test process ends.
    """
    held = socket.socket()
    held.bind((HOST, 0))
    _held_sockets.append(held)
    return held.getsockname()[1]


_held_sockets: list[socket.socket] = []


def nginx_binary() -> str:
    """Path to nginx; skip the test when it is missing, fail it under CI."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        message = "nginx is not installed (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def start_gunicorn(folder: Path, environ: Mapping[str, str]) -> Server:
    """Start ``gunicorn -c gunicorn.conf.py wsgi:app`` and wait until it serves.

    It runs in ``folder``, so no developer's .env is read, with ``environ``
    and no other variables than PATH, PYTHONPATH and BIND; it logs there too.
    """
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "BIND": f"{HOST}:{port}",
        **environ,
    }
    command = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py")]
    server = _start([*command, "wsgi:app"], folder, env, port, "gunicorn")
    _wait_for_http(server, "/healthz")
    return server


def start_nginx(folder: Path, upstream_port: int) -> Server:
    """Start nginx with deploy/nginx.conf from the prefix ``folder``.

    The site file is copied with its listen address moved to a free port of
    127.0.0.1 and its upstream moved to ``upstream_port``; nothing else in
    it changes. The main configuration keeps every file inside ``folder``.
    """
    binary = nginx_binary()
    port = free_port()
    site = SITE_FILE.read_text()
    for line in (SITE_LISTEN, SITE_UPSTREAM):
        assert site.count(line) == 1, f"{SITE_FILE} should have one {line.strip()!r}"
    site = site.replace(SITE_LISTEN, f"    listen {HOST}:{port};\n")
    site = site.replace(SITE_UPSTREAM, f"    server {HOST}:{upstream_port};\n")
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(_main_config(folder))
    error_log = folder / "error.log"
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    command += ["-e", str(error_log)]
    server = _start(command, folder, os.environ, port, "nginx", error_log)
    _wait_for_port(server)
    return server


def request(
    port: int, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET ``path`` from 127.0.0.1:``port``; return status, headers and body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=STOP_SECONDS)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _main_config(folder: Path) -> str:
    # As root, nginx would hand its workers to "nobody", who cannot enter a
    # pytest temporary folder; keep them as the user running the tests.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\n"
        "worker_processes 1;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"{temp_paths}\n"
        f"    include {folder / 'site.conf'};\n"
        # One line per request: the request ID the site passed to the app.
        "    log_format request_ids '$zego_token_request_id';\n"
        f"    access_log {ACCESS_LOG_NAME} request_ids;\n"
        "}\n"
    )


def _start(
    command: list[str],
    folder: Path,
    env: Mapping[str, str],
    port: int,
    name: str,
    *other_logs: Path,
) -> Server:
    output = folder / f"{name}.out"
    with open(output, "wb") as stream:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=dict(env),
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, port, (output, *other_logs))


def _wait_for_port(server: Server) -> None:
    for _ in range(MAX_POLLS):
        _fail_if_exited(server)
        try:
            socket.create_connection((HOST, server.port), timeout=1).close()
            return
        except OSError:
            time.sleep(POLL_SECONDS)
    server.stop()
    pytest.fail(f"nothing listens on port {server.port}:\n{server.log_text()}")


def _wait_for_http(server: Server, path: str) -> None:
    for _ in range(MAX_POLLS):
        _fail_if_exited(server)
        try:
            status, _, _ = request(server.port, path)
        except OSError:
            time.sleep(POLL_SECONDS)
            continue
        if status == 200:
            return
        time.sleep(POLL_SECONDS)
    server.stop()
    pytest.fail(f"{path} never answered 200:\n{server.log_text()}")


def _fail_if_exited(server: Server) -> None:
    if server.process.poll() is not None:
        pytest.fail(
            f"server exited with {server.process.returncode}:\n{server.log_text()}"
        )
