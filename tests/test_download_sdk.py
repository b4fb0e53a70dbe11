"""Tests for scripts/download_sdk.py against a local mirror of ZEGO's file layout.

The mirror holds small fake files at the paths the official repository uses, so a
wrong path in the script shows up as a failed download here.
"""

import hashlib
import http.server
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "download_sdk.py"

MIRROR_PATHS = {
    "GO": "token/go/src/token04/token04.go",
    "CPP": "token/c++/token04/kernel/impl/ZegoServerAssistantImpl.cpp",
    "JAVA": "token/java/token04/src/im/zego/serverassistant/utils/"
    "TokenServerAssistant.java",
    "PYTHON": "token/python/token04/src/token04.py",
    "NODEJS": "token/nodejs/token04/server/zegoServerAssistant.ts",
    "PHP": "token/php/token04/src/ZEGO/ZegoServerAssistant.php",
    "CSHARP": "token/.net/token04/src/ZegoServerAssistant/GenerateToken.cs",
}


def load_script():
    spec = importlib.util.spec_from_file_location("download_sdk", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


download_sdk = load_script()


def fake_file(language: str) -> bytes:
    return f"fake {language} token04 file, made for these tests\n".encode()


def filename(language: str) -> str:
    return MIRROR_PATHS[language].rsplit("/", 1)[-1]


class QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class TruncatingHandler(http.server.BaseHTTPRequestHandler):
    """Promises 1000 bytes, sends a few, then hangs up."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"only the start")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(handler) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mirror")
    for language, remote_path in MIRROR_PATHS.items():
        path = root / remote_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fake_file(language))
    empty = root / "empty" / MIRROR_PATHS["GO"]
    empty.parent.mkdir(parents=True)
    empty.touch()
    with serve(partial(QuietFileHandler, directory=str(root))) as url:
        yield url


@pytest.fixture
def truncating_server() -> Iterator[str]:
    with serve(TruncatingHandler) as url:
        yield url


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@dataclass
class Run:
    status: int
    out: str
    err: str

    @property
    def report(self) -> dict:
        return json.loads(self.out.splitlines()[-1])


@pytest.fixture
def run(capsys, monkeypatch):
    monkeypatch.delenv("ZEGO_SDK_BASE_URL", raising=False)

    def run_script(*argv: object) -> Run:
        status = download_sdk.main([str(argument) for argument in argv])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run_script


def make(root: Path, *paths: str) -> None:
    """Create files, or folders for paths ending in a slash."""
    for relative_path in paths:
        path = root / relative_path
        if relative_path.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def contents(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


def placed(run, mirror: str, project: Path, language: str) -> str:
    """Download for language and return where the file went, relative."""
    result = run("--language", language, "--project-dir", project, "--base-url", mirror)
    assert result.status == 0, result.err
    return Path(result.report["path"]).relative_to(project.resolve()).as_posix()


def test_list_prints_every_language_id_with_its_file_name(run):
    result = run("--list")

    assert result.status == 0
    rows = [line.split() for line in result.out.splitlines()]
    assert rows == [[language, filename(language)] for language in MIRROR_PATHS]


@pytest.mark.parametrize(
    ("marker", "language"),
    [
        ("package.json", "NODEJS"),
        ("requirements.txt", "PYTHON"),
        ("setup.py", "PYTHON"),
        ("pyproject.toml", "PYTHON"),
        ("go.mod", "GO"),
        ("pom.xml", "JAVA"),
        ("build.gradle", "JAVA"),
        ("build.gradle.kts", "JAVA"),
        ("composer.json", "PHP"),
        ("Billing.csproj", "CSHARP"),
        ("Billing.sln", "CSHARP"),
        ("CMakeLists.txt", "CPP"),
    ],
)
def test_each_marker_fetches_its_languages_file(run, mirror, project, marker, language):
    make(project, marker)

    result = run("--project-dir", project, "--base-url", mirror)

    assert result.status == 0, result.err
    assert result.report["language"] == language
    assert Path(result.report["path"]).read_bytes() == fake_file(language)


def test_detection_names_the_language_and_the_marker_file(run, mirror, project):
    make(project, "go.mod")

    result = run("--project-dir", project, "--base-url", mirror, "--dry-run")

    assert "GO (detected from go.mod)" in result.out


def test_marker_inside_src_is_detected(run, mirror, project):
    make(project, "src/composer.json")

    result = run("--project-dir", project, "--base-url", mirror, "--dry-run")

    assert result.report["language"] == "PHP"
    assert "detected from src/composer.json" in result.out


def test_marker_in_root_wins_over_marker_in_src(run, mirror, project):
    make(project, "pom.xml", "src/go.mod")

    result = run("--project-dir", project, "--base-url", mirror, "--dry-run")

    assert result.report["language"] == "JAVA"


def test_backend_marker_wins_over_package_json_which_is_mentioned(run, mirror, project):
    make(project, "package.json", "requirements.txt")

    result = run("--project-dir", project, "--base-url", mirror, "--dry-run")

    assert result.report["language"] == "PYTHON"
    assert "also found package.json" in result.out


def test_project_without_markers_exits_2_listing_ids(run, mirror, project):
    make(project, "README.md")

    result = run("--project-dir", project, "--base-url", mirror)

    assert result.status == 2
    for language in MIRROR_PATHS:
        assert language in result.err
    assert contents(project) == ["README.md"]


def test_current_directory_is_the_default_project(run, mirror, project, monkeypatch):
    make(project, "go.mod")
    monkeypatch.chdir(project)

    result = run("--base-url", mirror)

    assert result.status == 0, result.err
    assert (project / "zego/token/token04.go").read_bytes() == fake_file("GO")


def test_language_option_is_case_insensitive_and_beats_detection(run, mirror, project):
    make(project, "package.json")

    result = run("--project-dir", project, "--base-url", mirror, "--language", "Go")

    assert result.report["language"] == "GO"
    assert Path(result.report["path"]).read_bytes() == fake_file("GO")


@pytest.mark.parametrize(
    ("spelling", "language"),
    [("c#", "CSHARP"), ("golang", "GO"), ("c++", "CPP"), ("typescript", "NODEJS")],
)
def test_common_spellings_name_official_languages(
    run, mirror, project, spelling, language
):
    result = run("--project-dir", project, "--base-url", mirror, "--language", spelling)

    assert result.report["language"] == language
    assert "requested" not in result.report


def test_misspelt_language_is_questioned_not_replaced(run, mirror, project):
    result = run("--project-dir", project, "--base-url", mirror, "--language", "pyton")

    assert result.status == 2
    assert "did you mean PYTHON?" in result.err
    assert contents(project) == []


@pytest.mark.parametrize(
    ("marker", "language"), [("Gemfile", "RUBY"), ("Cargo.toml", "RUST")]
)
def test_detected_language_without_sdk_gets_the_nodejs_reference(
    run, mirror, project, marker, language
):
    make(project, marker)

    result = run("--project-dir", project, "--base-url", mirror)

    assert result.status == 0, result.err
    assert result.report["language"] == "NODEJS"
    assert result.report["requested"] == language
    assert f"{language} has no official ZEGO token04 file" in result.out
    assert "reference implementation" in result.out
    assert Path(result.report["path"]).read_bytes() == fake_file("NODEJS")


def test_requested_language_without_sdk_gets_the_nodejs_reference(run, mirror, project):
    result = run("--project-dir", project, "--base-url", mirror, "--language", "kotlin")

    assert result.status == 0, result.err
    assert result.report["requested"] == "KOTLIN"
    assert Path(result.report["path"]).read_bytes() == fake_file("NODEJS")


def test_existing_zego_folder_three_levels_down_gets_a_token_folder(
    run, mirror, project
):
    make(project, "app/core/zego/")

    assert placed(run, mirror, project, "GO") == "app/core/zego/token/token04.go"


def test_shallowest_zego_folder_wins(run, mirror, project):
    make(project, "a/b/zego/", "m/zego/")

    assert placed(run, mirror, project, "PYTHON") == "m/zego/token/token04.py"


def test_zego_folders_at_equal_depth_are_taken_alphabetically(run, mirror, project):
    make(project, "b/zego/", "a/zego/")

    assert placed(run, mirror, project, "PYTHON") == "a/zego/token/token04.py"


def test_zego_folder_deeper_than_three_levels_is_ignored(run, mirror, project):
    make(project, "a/b/c/zego/")

    assert placed(run, mirror, project, "PYTHON") == "zego/token/token04.py"


def test_zego_folders_of_dependencies_and_hidden_folders_are_ignored(
    run, mirror, project
):
    make(project, "node_modules/zego/", "vendor/zego/", ".venv/zego/")

    assert placed(run, mirror, project, "NODEJS") == "zego/token/zegoServerAssistant.ts"


def test_zego_folder_comes_before_recommended_directories(run, mirror, project):
    make(project, "ZEGO/Token/", "modules/zego/")

    assert placed(run, mirror, project, "PHP") == (
        "modules/zego/token/ZegoServerAssistant.php"
    )


def test_recommended_directory_inside_the_zego_folder_is_kept(run, mirror, project):
    make(project, "im/zego/serverassistant/utils/")

    assert placed(run, mirror, project, "JAVA") == (
        "im/zego/serverassistant/utils/TokenServerAssistant.java"
    )


@pytest.mark.parametrize(
    ("language", "folder"),
    [
        ("JAVA", "src/main/java/im/zego/serverassistant/utils"),
        ("PHP", "ZEGO/Token"),
        ("CSHARP", "Services/ZegoServerAssistant"),
        ("CSHARP", "Utils/ZegoServerAssistant"),
    ],
)
def test_existing_recommended_directory_is_used(run, mirror, project, language, folder):
    make(project, f"{folder}/", "src/")

    assert placed(run, mirror, project, language) == f"{folder}/{filename(language)}"


def test_recommended_directories_are_tried_in_order(run, mirror, project):
    make(project, "Services/ZegoServerAssistant/", "ZegoServerAssistant/")

    assert placed(run, mirror, project, "CSHARP") == (
        "ZegoServerAssistant/GenerateToken.cs"
    )


@pytest.mark.parametrize(
    ("language", "folders", "expected"),
    [
        ("PYTHON", ["services/"], "services/zego/token"),
        ("PYTHON", ["services/", "utils/"], "utils/zego/token"),
        ("GO", ["lib/"], "lib/zego/token"),
        ("CSHARP", ["Utils/"], "Utils/ZegoServerAssistant"),
    ],
)
def test_common_folder_hosts_the_first_recommended_directory_under_it(
    run, mirror, project, language, folders, expected
):
    make(project, *folders)

    assert placed(run, mirror, project, language) == f"{expected}/{filename(language)}"


def test_common_folder_outranks_src(run, mirror, project):
    make(project, "src/", "lib/")

    assert placed(run, mirror, project, "PYTHON") == "lib/zego/token/token04.py"


def test_common_folder_no_recommended_directory_starts_with_is_not_used(
    run, mirror, project
):
    make(project, "helpers/")

    assert placed(run, mirror, project, "PYTHON") == "zego/token/token04.py"


def test_src_hosts_zego_token_when_nothing_else_fits(run, mirror, project):
    make(project, "src/", "cmd/")

    assert placed(run, mirror, project, "GO") == "src/zego/token/token04.go"


def test_project_root_hosts_zego_token_by_default(run, mirror, project):
    make(project, "cmd/")

    assert placed(run, mirror, project, "GO") == "zego/token/token04.go"


def test_output_path_overrides_placement(run, mirror, project, tmp_path):
    make(project, "zego/")
    output = tmp_path / "elsewhere" / "token_tool.go"

    result = run(
        "--project-dir",
        project,
        "--base-url",
        mirror,
        "--language",
        "go",
        "--output",
        output,
    )

    assert result.status == 0, result.err
    assert output.read_bytes() == fake_file("GO")
    assert contents(project) == ["zego"]


def test_output_directory_receives_the_file_under_its_own_name(
    run, mirror, project, tmp_path
):
    output = tmp_path / "vendor_code"
    output.mkdir()

    result = run(
        "--project-dir",
        project,
        "--base-url",
        mirror,
        "--language",
        "php",
        "--output",
        output,
    )

    assert result.status == 0, result.err
    assert (output / "ZegoServerAssistant.php").read_bytes() == fake_file("PHP")


def test_existing_file_stops_the_run_before_any_download(run, project, refused_url):
    make(project, "go.mod")
    existing = project / "zego/token/token04.go"
    existing.parent.mkdir(parents=True)
    existing.write_text("our edited copy\n")

    result = run("--project-dir", project, "--base-url", refused_url)

    assert result.status == 1
    assert result.err.splitlines() == [
        f"error: {existing.resolve()} already exists; pass --force to replace it"
    ]
    assert existing.read_text() == "our edited copy\n"


def test_force_replaces_existing_file(run, mirror, project):
    make(project, "go.mod")
    existing = project / "zego/token/token04.go"
    existing.parent.mkdir(parents=True)
    existing.write_text("our edited copy\n")

    result = run("--project-dir", project, "--base-url", mirror, "--force")

    assert result.status == 0, result.err
    assert existing.read_bytes() == fake_file("GO")
    assert contents(project) == [
        "go.mod",
        "zego",
        "zego/token",
        "zego/token/token04.go",
    ]


def test_dry_run_prints_language_url_and_path_and_writes_nothing(run, mirror, project):
    make(project, "requirements.txt")

    result = run("--project-dir", project, "--base-url", mirror, "--dry-run")

    assert result.status == 0, result.err
    target = project.resolve() / "zego/token/token04.py"
    assert "PYTHON" in result.out
    assert f"url: {mirror}{MIRROR_PATHS['PYTHON']}" in result.out
    assert f"path: {target}" in result.out
    assert contents(project) == ["requirements.txt"]


def test_success_reports_path_size_and_sha256(run, mirror, project):
    result = run("--project-dir", project, "--base-url", mirror, "--language", "java")

    expected = fake_file("JAVA")
    digest = hashlib.sha256(expected).hexdigest()
    target = project.resolve() / "zego/token/TokenServerAssistant.java"
    assert f"wrote {target}" in result.out
    assert f"{len(expected)} bytes" in result.out
    assert digest in result.out
    assert result.report == {
        "path": str(target),
        "language": "JAVA",
        "filename": "TokenServerAssistant.java",
        "url": mirror + MIRROR_PATHS["JAVA"],
        "bytes": len(expected),
        "sha256": digest,
    }


def test_cpp_file_path_is_percent_encoded(run, mirror, project):
    result = run("--project-dir", project, "--base-url", mirror, "--language", "cpp")

    assert result.status == 0, result.err
    assert "/token/c%2B%2B/token04/" in result.report["url"]
    assert Path(result.report["path"]).read_bytes() == fake_file("CPP")


def test_default_base_url_is_the_github_release_branch(run, project):
    result = run("--project-dir", project, "--language", "go", "--dry-run")

    assert result.report["url"] == (
        "https://raw.githubusercontent.com/zegoim/zego_server_assistant/"
        "release/github/token/go/src/token04/token04.go"
    )


def test_environment_variable_sets_the_base_url(mirror, project):
    completed = subprocess.run(
        [sys.executable, SCRIPT, "--project-dir", project, "--language", "node"],
        capture_output=True,
        text=True,
        env={**os.environ, "ZEGO_SDK_BASE_URL": mirror},
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.splitlines()[-1])
    assert Path(report["path"]).read_bytes() == fake_file("NODEJS")


def test_base_url_option_wins_over_environment_variable(
    run, mirror, project, refused_url, monkeypatch
):
    monkeypatch.setenv("ZEGO_SDK_BASE_URL", refused_url)

    result = run("--project-dir", project, "--language", "go", "--base-url", mirror)

    assert result.status == 0, result.err


def test_base_url_without_trailing_slash_works(run, mirror, project):
    base_url = mirror.rstrip("/")

    result = run("--project-dir", project, "--language", "go", "--base-url", base_url)

    assert result.status == 0, result.err


def test_base_url_must_be_http_or_https(run, project):
    result = run(
        "--project-dir", project, "--language", "go", "--base-url", "ftp://mirror/"
    )

    assert result.status == 2
    assert "--base-url" in result.err


def test_http_404_exits_1_naming_url_and_status(run, mirror, project):
    base_url = mirror + "missing/"

    result = run("--project-dir", project, "--language", "go", "--base-url", base_url)

    assert result.status == 1
    assert result.err.splitlines() == [
        f"error: could not download {base_url}{MIRROR_PATHS['GO']}: "
        "HTTP 404 File not found"
    ]
    assert contents(project) == []


def test_refused_connection_exits_1_naming_url_and_reason(run, project, refused_url):
    result = run(
        "--project-dir", project, "--language", "go", "--base-url", refused_url
    )

    assert result.status == 1
    assert result.err.splitlines() == [
        f"error: could not download {refused_url}{MIRROR_PATHS['GO']}: "
        "Connection refused"
    ]
    assert contents(project) == []


def test_unanswered_request_times_out_with_one_line(run, project, silent_url):
    result = run(
        "--project-dir",
        project,
        "--language",
        "go",
        "--base-url",
        silent_url,
        "--timeout",
        "0.2",
    )

    assert result.status == 1
    assert result.err.splitlines() == [
        f"error: could not download {silent_url}{MIRROR_PATHS['GO']}: "
        "timed out after 0.2 s"
    ]
    assert contents(project) == []


def test_truncated_download_leaves_no_file_or_new_folder(
    run, project, truncating_server
):
    make(project, "lib/")

    result = run(
        "--project-dir", project, "--language", "go", "--base-url", truncating_server
    )

    assert result.status == 1
    assert "closed after 14 of 1000 bytes" in result.err
    assert contents(project) == ["lib"]


def test_failed_download_never_touches_the_existing_file(
    run, project, truncating_server
):
    existing = project / "zego/token/token04.go"
    existing.parent.mkdir(parents=True)
    existing.write_text("our edited copy\n")

    result = run(
        "--project-dir",
        project,
        "--language",
        "go",
        "--force",
        "--base-url",
        truncating_server,
    )

    assert result.status == 1
    assert existing.read_text() == "our edited copy\n"
    assert contents(project) == ["zego", "zego/token", "zego/token/token04.go"]


def test_empty_response_is_rejected(run, mirror, project):
    base_url = mirror + "empty/"

    result = run("--project-dir", project, "--language", "go", "--base-url", base_url)

    assert result.status == 1
    assert "empty file" in result.err
    assert contents(project) == []


def test_oversized_response_is_rejected(run, mirror, project, monkeypatch):
    monkeypatch.setattr(download_sdk, "MAX_DOWNLOAD_BYTES", 16)

    result = run("--project-dir", project, "--language", "go", "--base-url", mirror)

    assert result.status == 1
    assert "larger than 16 bytes" in result.err
    assert contents(project) == []


def test_failure_as_a_program_prints_one_line_and_no_traceback(mirror, project):
    completed = subprocess.run(
        [sys.executable, SCRIPT, "--project-dir", project, "--language", "php"],
        capture_output=True,
        text=True,
        env={**os.environ, "ZEGO_SDK_BASE_URL": mirror + "missing/"},
        check=False,
    )

    assert completed.returncode == 1
    assert len(completed.stderr.splitlines()) == 1
    assert completed.stderr.startswith("error: could not download ")
    assert "HTTP 404" in completed.stderr
