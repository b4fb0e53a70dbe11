"""Fixtures shared by the test modules: a server secret, apps, SDK vectors,
a clock."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

VECTORS_PATH = Path(__file__).resolve().parents[2] / "shared" / "token04-vectors.json"


@pytest.fixture
def secret() -> str:
    """A server secret distinctive enough to search responses and logs for."""
    return "Kq7vT2mX9pL4wR8sZ1nB6cY3hJ5dF0gA"


@pytest.fixture
def app_id() -> int:
    return 987654321


@pytest.fixture
def environ(app_id: int, secret: str) -> dict[str, str]:
    """The smallest set of environment variables that configures the service."""
    return {"ZEGO_APP_ID": str(app_id), "ZEGO_SERVER_SECRET": secret}


@pytest.fixture
def make_app(environ: dict[str, str]) -> Callable[..., object]:
    """Build an app from ``environ`` with some variables set or replaced."""
    from app import create_app

    def build(**variables: str):
        return create_app({**environ, **variables})

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def vectors() -> list[dict]:
    """Tokens made by ZEGO's official SDKs, with the claims they carry.

    Missing vectors fail the run on CI (the env variable CI is set) and skip
    the tests that need them on a developer's machine.
    """
    if not VECTORS_PATH.is_file():
        message = f"official-SDK token04 vectors not found at {VECTORS_PATH}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


class FakeClock:
    """Seconds that pass only when a test moves ``now``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
