"""Rate limits per client address: in process memory, and shared through Redis."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import redis
from limits import parse_many

from app import ConfigError, create_app
from app.ratelimit import SWEEP_SECONDS, MemoryWindows
from tests.servers import free_port, refusing_port

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN_URL = "/api/zego/token?userId=alice"
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


def make_app(**environ):
    config = {"ZEGO_APP_ID": "1", "ZEGO_SERVER_SECRET": SECRET, **environ}
    return create_app(config)


def client_from_new_address(app):
    """A test client with an address no other test has used."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    return client


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throwaway redis-server on a free port, for this module's tests."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (make test installs it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [binary, *options, "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_requests_over_the_limit_get_429_with_retry_after():
    client = client_from_new_address(make_app(RATE_LIMIT="3/minute"))
    statuses = [client.get(TOKEN_URL).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get(TOKEN_URL)
    assert response.status_code == 429
    assert "rate limit exceeded" in response.json["error"]
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_default_limit_is_sixty_a_minute():
    client = client_from_new_address(make_app())
    statuses = [client.get(TOKEN_URL).status_code for _ in range(61)]

    assert statuses.count(200) == 60
    assert statuses[-1] == 429


def test_bad_requests_count_against_the_limit_too():
    client = client_from_new_address(make_app(RATE_LIMIT="2/minute"))
    client.get("/api/zego/token")
    client.get("/api/zego/token")

    assert client.get(TOKEN_URL).status_code == 429


def test_health_check_is_exempt():
    client = client_from_new_address(make_app(RATE_LIMIT="2/minute"))
    statuses = [client.get("/healthz").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert client.get(TOKEN_URL).status_code == 200


def test_each_client_address_has_its_own_budget():
    app = make_app(RATE_LIMIT="1/minute")
    first, second = client_from_new_address(app), client_from_new_address(app)

    assert first.get(TOKEN_URL).status_code == 200
    assert first.get(TOKEN_URL).status_code == 429
    assert second.get(TOKEN_URL).status_code == 200


def test_forged_forwarded_for_does_not_reset_the_limit_without_a_trusted_proxy():
    client = client_from_new_address(make_app(RATE_LIMIT="2/minute"))
    statuses = [
        client.get(TOKEN_URL, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(3)
    ]

    assert [response.status_code for response in statuses] == [200, 200, 429]


def test_forwarded_for_decides_the_address_behind_a_trusted_proxy():
    app = make_app(RATE_LIMIT="1/minute", TRUSTED_PROXIES="1")
    proxy = client_from_new_address(app)
    first = {"X-Forwarded-For": next(_addresses)}
    second = {"X-Forwarded-For": next(_addresses)}

    assert proxy.get(TOKEN_URL, headers=first).status_code == 200
    assert proxy.get(TOKEN_URL, headers=first).status_code == 429
    assert proxy.get(TOKEN_URL, headers=second).status_code == 200


def test_trusted_proxy_takes_only_the_hop_it_added():
    app = make_app(RATE_LIMIT="1/minute", TRUSTED_PROXIES="1")
    proxy = client_from_new_address(app)
    client = next(_addresses)

    for forged in ("198.51.100.1", "198.51.100.2"):
        header = {"X-Forwarded-For": f"{forged}, {client}"}
        response = proxy.get(TOKEN_URL, headers=header)
    assert response.status_code == 429


def test_two_instances_share_one_redis_budget_exactly(redis_url):
    environ = {"RATE_LIMIT": "5/minute", "RATE_LIMIT_STORAGE_URI": redis_url}
    first, second = make_app(**environ), make_app(**environ)
    address = next(_addresses)
    clients = [first.test_client(), second.test_client()]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = address

    statuses = [clients[n % 2].get(TOKEN_URL).status_code for n in range(8)]

    assert statuses == [200] * 5 + [429] * 3


def test_redis_budget_is_kept_in_redis(redis_url):
    app = make_app(RATE_LIMIT="5/minute", RATE_LIMIT_STORAGE_URI=redis_url)
    client_from_new_address(app).get(TOKEN_URL)

    keys = redis.Redis.from_url(redis_url).keys("*")
    assert any(b"zego-token" in key for key in keys)


def test_unreachable_redis_falls_back_to_a_per_process_limit():
    unused = f"redis://127.0.0.1:{refusing_port()}/0"
    app = make_app(RATE_LIMIT="2/minute", RATE_LIMIT_STORAGE_URI=unused)
    client = client_from_new_address(app)

    statuses = [client.get(TOKEN_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_memory_window_reopens_when_its_period_ends(clock):
    windows = MemoryWindows(parse_many("2/minute"), clock)

    assert [windows.hit("a"), windows.hit("a"), windows.hit("a")] == [None, None, 60]
    clock.now += 59.5
    assert windows.hit("a") == 1
    clock.now += 0.5
    assert windows.hit("a") is None


def test_memory_windows_check_every_limit_in_order(clock):
    windows = MemoryWindows(parse_many("2/second;3/minute"), clock)

    assert [windows.hit("a") for _ in range(3)] == [None, None, 1]
    clock.now += 1
    assert [windows.hit("a"), windows.hit("a")] == [None, 59]
    assert windows.hit("b") is None


def test_memory_windows_that_ended_are_dropped(clock):
    windows = MemoryWindows(parse_many("5/minute"), clock)
    for n in range(1000):
        windows.hit(f"client-{n}")
    assert len(windows) == 1000

    clock.now += 60 + SWEEP_SECONDS
    windows.hit("client-0")

    assert len(windows) == 1


def test_memory_windows_admit_exactly_the_limit_across_threads():
    def admitted_by_racing_threads() -> int:
        windows = MemoryWindows(parse_many("1000/minute"))
        admitted = []

        def client() -> None:
            admitted.append(sum(windows.hit("a") is None for _ in range(300)))

        workers = [threading.Thread(target=client) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(admitted)

    # Switch threads as often as possible, so that a race would show.
    previous = sys.getswitchinterval()
    try:
        sys.setswitchinterval(1e-6)
        rounds = [admitted_by_racing_threads() for _ in range(10)]
    finally:
        sys.setswitchinterval(previous)

    assert rounds == [1000] * 10


@pytest.mark.parametrize("uri", ["memory://", "MEMORY://", "Memory://"])
def test_counting_in_memory_starts_no_thread(uri):
    threads_before = set(threading.enumerate())
    client = client_from_new_address(
        make_app(RATE_LIMIT="1000/minute", RATE_LIMIT_STORAGE_URI=uri)
    )

    statuses = {client.get(TOKEN_URL).status_code for _ in range(50)}

    assert statuses == {200}
    assert set(threading.enumerate()) == threads_before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT", "lots"),
        ("RATE_LIMIT", "10 per fortnight"),
        ("RATE_LIMIT_STORAGE_URI", "postgres://db/1"),
        ("RATE_LIMIT_STORAGE_URI", "localhost:6379"),
        ("RATE_LIMIT_STORAGE_URI", "redis://localhost:abc/0"),
        ("RATE_LIMIT_STORAGE_URI", "redis://localhost:6379/zero"),
        ("RATE_LIMIT", "0/minute"),
        ("RATE_LIMIT", "5/minute;0/hour"),
        ("TRUSTED_PROXIES", "-1"),
        ("TRUSTED_PROXIES", "yes"),
    ],
)
def test_bad_rate_limit_settings_are_refused_at_startup(name, value):
    with pytest.raises(ConfigError, match=name):
        make_app(**{name: value})
