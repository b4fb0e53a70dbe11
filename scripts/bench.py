"""Measure the token service: codec speed, HTTP throughput and latency, memory.

Run by ``make bench``. Prints one table and writes it to bench/results.md (and
the README's performance section), between their ``bench:start`` and
``bench:end`` markers. Everything runs on 127.0.0.1 and is bounded in time.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from Crypto.Cipher import AES

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zego_token import decode_token04, generate_token04  # noqa: E402

SECRET = "0123456789abcdef0123456789abcdef"
APP_ID = 1234567890
ORIGIN = "https://app.example.com"
TOKEN_PATH = "/api/zego/token?userId=alice"
CONNECTIONS = (1, 16, 64)
HTTP_ROUNDS = 5
MEMORY_REQUESTS = 100_000
MEMORY_NOISE_KB = 1024
RESULTS = REPO / "bench" / "results.md"
CONFIG = REPO / "gunicorn.conf.py"
README = REPO / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
BASELINE = "baseline: new pycryptodome GCM cipher per token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="per HTTP run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    lines = [f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()}"]
    lines += ["", *codec_table()]
    load = Wrk() if shutil.which("wrk") else PythonLoad()
    lines += ["", *http_table(load, args.seconds)]
    lines += ["", *memory_table(load)]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        stamp = time.strftime("%Y-%m-%d")
        replace_between_markers(RESULTS, f"Measured {stamp}.\n\n{text}")
        replace_between_markers(README, text)
        print(f"\nwritten to {RESULTS.relative_to(REPO)} and README.md")
    return 0


# -- codec ---------------------------------------------------------------------


def codec_table() -> list[str]:
    """The library's public functions, each given the server secret, as a
    caller of ``generate_token04`` and ``decode_token04`` uses them."""
    gcm_token = generate_token04(APP_ID, "alice", SECRET, 3600)
    cbc_token = generate_token04(APP_ID, "alice", SECRET, 3600, encryption="cbc")
    rates = {
        "generate_token04 gcm": rate(
            lambda: generate_token04(APP_ID, "alice", SECRET, 3600)
        ),
        "generate_token04 cbc": rate(
            lambda: generate_token04(APP_ID, "alice", SECRET, 3600, encryption="cbc")
        ),
        "decode_token04 gcm": rate(lambda: decode_token04(gcm_token, SECRET)),
        "decode_token04 cbc": rate(lambda: decode_token04(cbc_token, SECRET)),
        BASELINE: rate(
            lambda: per_token_cipher_generate(APP_ID, "alice", SECRET, 3600)
        ),
    }
    baseline = rates[BASELINE]
    table = ["| Codec | tokens/s | vs baseline |", "| --- | ---: | ---: |"]
    for name, value in rates.items():
        table.append(f"| {name} | {value:,.0f} | {value / baseline:.1f}x |")
    verdict = "met" if rates["generate_token04 gcm"] >= 10 * baseline else "MISSED"
    table.append("")
    table.append(f"Target: generate_token04 gcm >= 10x the baseline: {verdict}.")
    return table


def per_token_cipher_generate(
    app_id: int, user_id: str, secret: str, effective_time: int
) -> str:
    """A token04 made the common way: a fresh AES object for every token."""
    ctime = int(time.time())
    claims = {
        "app_id": app_id,
        "user_id": user_id,
        "nonce": secrets.randbelow(2**31),
        "ctime": ctime,
        "expire": ctime + effective_time,
        "payload": "",
    }
    nonce = os.urandom(12)
    cipher = AES.new(secret.encode(), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(json.dumps(claims).encode())
    body = ciphertext + tag
    binary = (
        struct.pack(">qH", ctime + effective_time, len(nonce))
        + nonce
        + struct.pack(">H", len(body))
        + body
        + b"\x01"
    )
    return "04" + base64.b64encode(binary).decode()


def rate(make: Callable[[], object], seconds: float = 0.6) -> float:
    """Calls per second: the best of three timed batches."""
    batch = 200
    best = 0.0
    for _ in range(3):
        count = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(batch):
                make()
            count += batch
        best = max(best, count / elapsed)
    return best


# -- HTTP ----------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Summary:
    """Several runs of one scenario: each figure's median, the spread of p99,
    and the errors of every run added up."""

    rate: float
    p50_ms: float
    p99_ms: float
    p99_range_ms: tuple[float, float]
    errors: int

    @classmethod
    def of(cls, results: list[LoadResult]) -> Summary:
        p99s = [result.p99_ms for result in results]
        return cls(
            rate=statistics.median(result.rate for result in results),
            p50_ms=statistics.median(result.p50_ms for result in results),
            p99_ms=statistics.median(p99s),
            p99_range_ms=(min(p99s), max(p99s)),
            errors=sum(result.errors for result in results),
        )


class Wrk:
    name = "wrk"

    def run(self, port: int, path: str, connections: int, seconds: float, origin=False):
        command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}"]
        command += [f"-d{max(1, round(seconds))}s", "--latency"]
        if origin:
            command += ["-H", f"Origin: {ORIGIN}"]
        command.append(f"http://127.0.0.1:{port}{path}")
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
        requests, duration, unit = re.search(
            r"(\d+) requests in ([\d.]+)(ms|s|m)\b", output
        ).groups()
        socket_errors = re.search(r"Socket errors:([^\n]*)", output)
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        errors = (
            sum(map(int, re.findall(r"\d+", socket_errors.group(1))))
            if socket_errors
            else 0
        )
        errors += int(non_2xx.group(1)) if non_2xx else 0
        return LoadResult(
            requests=int(requests),
            seconds=float(duration) * {"ms": 0.001, "s": 1, "m": 60}[unit],
            p50_ms=_wrk_latency(output, "50%"),
            p99_ms=_wrk_latency(output, "99%"),
            errors=errors,
        )


def _wrk_latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class PythonLoad:
    """A small keep-alive load generator, for machines without wrk."""

    name = "built-in Python load generator (wrk not installed; slower client)"

    def run(self, port: int, path: str, connections: int, seconds: float, origin=False):
        headers = {"Origin": ORIGIN} if origin else {}
        latencies: list[float] = []
        errors = [0]
        deadline = time.perf_counter() + seconds
        lock = threading.Lock()

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine: list[float] = []
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        errors[0] += 1
                except OSError:
                    errors[0] += 1
                    connection.close()
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cuts = statistics.quantiles(latencies, n=100)
        return LoadResult(
            len(latencies), elapsed, cuts[49] * 1000, cuts[98] * 1000, errors[0]
        )


def http_table(load, seconds: float, rounds: int = HTTP_ROUNDS) -> list[str]:
    """Both servers run side by side and their runs alternate, so that drift
    of a shared machine touches both alike; each figure is the median of
    ``rounds`` runs. The extra last row sends the Origin header of an allowed
    site, as a browser on another origin does."""
    scenarios = [
        (route, connections, False)
        for route in ("token route", "bare Flask")
        for connections in CONNECTIONS
    ]
    scenarios += [("token route", 16, True), ("bare Flask", 16, True)]
    runs: dict[tuple[str, int, bool], list[LoadResult]] = {}
    with Gunicorn("wsgi:app") as token_port, Gunicorn("floor") as floor_port:
        ports = {"token route": token_port, "bare Flask": floor_port}
        for port in ports.values():
            load.run(port, TOKEN_PATH, 16, 1.0)
        for _ in range(rounds):
            for route, connections, origin in scenarios:
                result = load.run(
                    ports[route], TOKEN_PATH, connections, seconds, origin
                )
                runs.setdefault((route, connections, origin), []).append(result)
    results = {scenario: Summary.of(runs[scenario]) for scenario in scenarios}

    table = [
        f"HTTP through gunicorn (gunicorn.conf.py), load from {load.name}; "
        f"each figure the median of {rounds} runs of {seconds:g} s, interleaved "
        "with the other rows, beside the lowest and highest p99 of those runs "
        "and the errors of all of them; the share of floor compares median "
        "rates:",
        "",
        "| Route | Connections | requests/s | p50 ms | p99 ms | p99 range ms "
        "| errors | share of floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (route, connections, origin), result in results.items():
        if route == "bare Flask" and origin:
            continue
        floor = results["bare Flask", connections, origin]
        label = f"{route}, browser Origin" if origin else route
        low, high = result.p99_range_ms
        table.append(
            f"| {label} | {connections} | {result.rate:,.0f} "
            f"| {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {low:.2f}-{high:.2f} | {result.errors} "
            f"| {result.rate / floor.rate:.0%} |"
        )
    token, floor = results["token route", 16, False], results["bare Flask", 16, False]
    met = token.rate >= 0.8 * floor.rate and token.p99_ms < 20 and token.errors == 0
    table.append("")
    table.append(
        "Target at 16 connections: token route >= 80% of the bare-Flask floor, "
        f"p99 < 20 ms, no errors: {'met' if met else 'MISSED'}."
    )
    return table


# -- memory --------------------------------------------------------------------


def memory_table(load) -> list[str]:
    with Gunicorn("wsgi:app") as port:
        # Warm every worker up: 64 connections reach both, 16 often only one.
        load.run(port, TOKEN_PATH, 64, 4.0)
        before = worker_rss(port)
        done = 0
        for _ in range(40):
            if done >= MEMORY_REQUESTS:
                break
            done += load.run(port, TOKEN_PATH, 16, 3.0).requests
        after = worker_rss(port)
    table = [
        f"Memory: resident set of each gunicorn worker after a warm-up and after "
        f"{done:,} more token requests:",
        "",
        "| Worker | before MiB | after MiB | change MiB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for number, (first, last) in enumerate(zip(before, after, strict=True), 1):
        table.append(
            f"| {number} | {first / 1024:.2f} | {last / 1024:.2f} "
            f"| {(last - first) / 1024:+.2f} |"
        )
    steady = all(
        last - first <= MEMORY_NOISE_KB
        for first, last in zip(before, after, strict=True)
    )
    table.append("")
    table.append(
        f"Target: no worker grows by more than {MEMORY_NOISE_KB // 1024} MiB: "
        f"{'met' if steady else 'MISSED'}."
    )
    return table


def worker_rss(port: int) -> list[int]:
    """Resident kB of each worker of the gunicorn serving ``port``, by pid."""
    master = _servers[port].pid
    workers = sorted(
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_pid(stat) == master
    )
    return [_rss_kb(pid) for pid in workers]


def _parent_pid(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


# -- servers -------------------------------------------------------------------

_servers: dict[int, subprocess.Popen] = {}


class Gunicorn:
    """Serve ``target`` with the shipped gunicorn.conf.py on a free port."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.folder = tempfile.TemporaryDirectory()

    def __enter__(self) -> int:
        port = free_port()
        # Only these variables, and no .env: what is measured is the
        # configuration below, not whatever a developer's shell or .env holds.
        environ = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'scripts'}",
            "BIND": f"127.0.0.1:{port}",
            "ZEGO_APP_ID": str(APP_ID),
            "ZEGO_SERVER_SECRET": SECRET,
            "CORS_ALLOWED_ORIGINS": ORIGIN,
            "RATE_LIMIT": "1000000000/minute",
            "LOG_LEVEL": "INFO",
        }
        target = "bench_floor:app" if self.target == "floor" else self.target
        log = Path(self.folder.name) / "gunicorn.log"
        with log.open("w") as stream:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), target],
                cwd=self.folder.name,
                env=environ,
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _servers[port] = self.process
        self.port = port
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return port
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.__exit__()
        raise SystemExit(f"gunicorn did not start; see {log}:\n{log.read_text()}")

    def __exit__(self, *exc_info: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        _servers.pop(getattr(self, "port", 0), None)
        self.folder.cleanup()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    return found.group(1).strip() if found else "unknown CPU"


def replace_between_markers(path: Path, text: str) -> None:
    content = path.read_text() if path.exists() else f"{START}\n{END}\n"
    head, found, rest = content.partition(START)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"{path} has no {START} ... {END} section")
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
