"""The command line: python -m zego_token generate / decode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zego_token import decode_token04
from zego_token.cli import main

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "token04-vectors.json"
SECRET = "0123456789abcdef0123456789abcdef"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """Run in an empty folder with only the variables a test sets."""
    monkeypatch.chdir(tmp_path)
    for name in ("ZEGO_APP_ID", "ZEGO_SERVER_SECRET", "ZEGO_TOKEN_ENCRYPTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEGO_APP_ID", "777")
    monkeypatch.setenv("ZEGO_SERVER_SECRET", SECRET)
    return monkeypatch


@pytest.fixture
def official_vector():
    if not VECTORS.exists():
        pytest.fail(f"official-SDK vectors not found at {VECTORS}")
    return json.loads(VECTORS.read_text())[0]


def test_generate_prints_a_token_for_the_configured_app(environ, capsys):
    assert main(["generate", "--user-id", "alice", "--effective-time", "120"]) == 0

    token = capsys.readouterr().out.strip()
    claims = decode_token04(token, SECRET)
    assert (claims.app_id, claims.user_id) == (777, "alice")
    assert claims.expire - claims.ctime == 120
    assert claims.encryption == "gcm"


def test_generate_builds_a_privilege_payload_from_room_options(environ, capsys):
    argv = ["generate", "--user-id", "u", "--room-id", "room-1", "--can-publish"]
    argv += ["--stream-id", "s1", "--stream-id", "s2"]
    assert main(argv) == 0

    claims = decode_token04(capsys.readouterr().out.strip(), SECRET)
    assert json.loads(claims.payload) == {
        "room_id": "room-1",
        "privilege": {"1": 1, "2": 1},
        "stream_id_list": ["s1", "s2"],
    }


def test_generate_follows_the_configured_encryption(environ, capsys):
    environ.setenv("ZEGO_TOKEN_ENCRYPTION", "cbc")
    assert main(["generate", "--user-id", "u"]) == 0

    assert decode_token04(capsys.readouterr().out.strip(), SECRET).encryption == "cbc"


def test_generate_reads_the_secret_from_dotenv(environ, capsys, tmp_path):
    environ.delenv("ZEGO_SERVER_SECRET")
    (tmp_path / ".env").write_text(f"ZEGO_SERVER_SECRET={SECRET}\n")
    assert main(["generate", "--user-id", "u"]) == 0

    assert decode_token04(capsys.readouterr().out.strip(), SECRET).user_id == "u"


def test_generate_refuses_a_payload_that_is_not_a_json_object(environ, capsys):
    assert main(["generate", "--user-id", "u", "--payload", "[1]"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--payload must be a JSON object" in captured.err


def test_generate_names_a_bad_argument(environ, capsys):
    assert main(["generate", "--user-id", "x" * 65]) == 2

    assert "user_id must be at most 64 bytes" in capsys.readouterr().err


def test_missing_secret_is_one_line_naming_the_variable(environ, capsys):
    environ.delenv("ZEGO_SERVER_SECRET")
    assert main(["generate", "--user-id", "u"]) == 2

    assert capsys.readouterr().err == "error: ZEGO_SERVER_SECRET is not set\n"


def test_malformed_secret_is_refused_without_echoing_it(environ, capsys):
    environ.setenv("ZEGO_SERVER_SECRET", "not-the-right-length")
    assert main(["generate", "--user-id", "u"]) == 2

    err = capsys.readouterr().err
    assert "ZEGO_SERVER_SECRET must be exactly 32" in err
    assert "not-the-right-length" not in err


def test_decode_prints_the_claims_of_an_official_token(
    environ, capsys, official_vector
):
    environ.setenv("ZEGO_SERVER_SECRET", official_vector["secret"])
    environ.setenv("ZEGO_APP_ID", str(official_vector["app_id"]))
    assert main(["decode", official_vector["token"]]) == 0

    report = json.loads(capsys.readouterr().out)
    for name in ("app_id", "user_id", "ctime", "expire", "nonce", "payload"):
        assert report[name] == official_vector[name]
    assert report["encryption"] == official_vector["mode"]
    assert report["expired"] is False
    assert report["expires_in"] > 0


def test_decode_of_an_expired_token_exits_1_and_still_shows_claims(environ, capsys):
    environ.setenv("ZEGO_SERVER_SECRET", SECRET)
    assert main(["generate", "--user-id", "u", "--effective-time", "60"]) == 0
    token = capsys.readouterr().out.strip()
    environ.setattr("zego_token.cli.time.time", lambda: 2**40)

    assert main(["decode", token]) == 1

    report = json.loads(capsys.readouterr().out)
    assert report["user_id"] == "u"
    assert report["expired"] is True
    assert report["expires_in"] < 0


def test_decode_warns_when_the_app_id_differs(environ, capsys, official_vector):
    environ.setenv("ZEGO_SERVER_SECRET", official_vector["secret"])
    environ.setenv("ZEGO_APP_ID", "42")
    assert main(["decode", official_vector["token"]]) == 0

    err = capsys.readouterr().err
    assert "differs from ZEGO_APP_ID 42" in err


@pytest.mark.parametrize(
    "token", ["", "04", "hello", "04AAAA", "05" + "A" * 40, "04!!notbase64!!"]
)
def test_decode_of_garbage_exits_2_with_one_line(environ, capsys, token):
    assert main(["decode", token]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "not a valid token04" in captured.err


def test_decode_with_another_secret_exits_2(environ, capsys, official_vector):
    environ.setenv("ZEGO_SERVER_SECRET", SECRET)
    assert main(["decode", official_vector["token"]]) == 2

    assert "not a valid token04" in capsys.readouterr().err


def test_module_runs_as_a_command_without_traceback(tmp_path):
    env = {"ZEGO_SERVER_SECRET": SECRET, "ZEGO_APP_ID": "1", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "zego_token", "decode", "04garbage"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: not a valid token04")


@pytest.mark.parametrize("option", [["--can-publish"], ["--stream-id", "s1"]])
def test_room_options_without_a_room_are_refused(environ, capsys, option):
    assert main(["generate", "--user-id", "u", *option]) == 2

    assert "need --room-id" in capsys.readouterr().err


def test_empty_room_id_is_one_line_not_a_traceback(environ, capsys):
    assert main(["generate", "--user-id", "u", "--room-id", ""]) == 2

    assert "room_id must be a non-empty str" in capsys.readouterr().err


def test_empty_encryption_setting_means_gcm(environ, capsys):
    environ.setenv("ZEGO_TOKEN_ENCRYPTION", "")
    assert main(["generate", "--user-id", "u"]) == 0

    assert decode_token04(capsys.readouterr().out.strip(), SECRET).encryption == "gcm"


def test_bad_encryption_setting_names_the_variable(environ, capsys):
    environ.setenv("ZEGO_TOKEN_ENCRYPTION", "ecb")
    assert main(["generate", "--user-id", "u"]) == 2

    assert "ZEGO_TOKEN_ENCRYPTION must be gcm or cbc" in capsys.readouterr().err
