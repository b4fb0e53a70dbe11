#!/usr/bin/env python3
"""Fetch ZEGO's official token04 Server Assistant file into a project.

The script picks the server language (from --language or from the project's
build files), picks a directory that fits the project's layout, and downloads
the one source file ZEGO publishes for that language. It uses only the Python
standard library, so it runs in any project, whatever its own language.

Exit status: 0 on success, 1 when the download or the write fails (or the file
already exists without --force), 2 for usage errors such as an undetectable
language.
"""

import argparse
import difflib
import hashlib
import http.client
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = (
    "https://raw.githubusercontent.com/zegoim/zego_server_assistant/release/github/"
)
BASE_URL_VARIABLE = "ZEGO_SDK_BASE_URL"
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Sdk:
    """One official token04 file and where it belongs in a project."""

    language: str
    remote_path: str
    recommended_dirs: tuple[str, ...]

    @property
    def filename(self) -> str:
        return self.remote_path.rsplit("/", 1)[-1]


SHARED_DIRS = ("zego/token", "utils/zego/token", "lib/zego/token")
SCRIPTING_DIRS = (*SHARED_DIRS, "services/zego/token")

SDKS = {
    sdk.language: sdk
    for sdk in (
        Sdk(
            "GO",
            "token/go/src/token04/token04.go",
            ("pkg/zego/token", "internal/zego/token", *SHARED_DIRS),
        ),
        Sdk(
            "CPP",
            "token/c++/token04/kernel/impl/ZegoServerAssistantImpl.cpp",
            (*SCRIPTING_DIRS, "src/zego/token"),
        ),
        Sdk(
            "JAVA",
            "token/java/token04/src/im/zego/serverassistant/utils/"
            "TokenServerAssistant.java",
            (
                "src/main/java/im/zego/serverassistant/utils",
                "im/zego/serverassistant/utils",
                "zego/token",
                "utils/zego/token",
            ),
        ),
        Sdk("PYTHON", "token/python/token04/src/token04.py", SCRIPTING_DIRS),
        Sdk(
            "NODEJS",
            "token/nodejs/token04/server/zegoServerAssistant.ts",
            (*SCRIPTING_DIRS, "src/zego/token"),
        ),
        Sdk(
            "PHP",
            "token/php/token04/src/ZEGO/ZegoServerAssistant.php",
            ("ZEGO/Token", *SHARED_DIRS),
        ),
        Sdk(
            "CSHARP",
            "token/.net/token04/src/ZegoServerAssistant/GenerateToken.cs",
            (
                "ZegoServerAssistant",
                "Services/ZegoServerAssistant",
                "Utils/ZegoServerAssistant",
                "zego/token",
            ),
        ),
    )
}

# Languages without an official file get this one, to port by hand.
REFERENCE_LANGUAGE = "NODEJS"

# Other spellings people type for the official languages.
ALIASES = {
    "GOLANG": "GO",
    "C++": "CPP",
    "CXX": "CPP",
    "PY": "PYTHON",
    "PYTHON3": "PYTHON",
    "NODE": "NODEJS",
    "JS": "NODEJS",
    "JAVASCRIPT": "NODEJS",
    "TS": "NODEJS",
    "TYPESCRIPT": "NODEJS",
    "C#": "CSHARP",
    "CS": "CSHARP",
    "DOTNET": "CSHARP",
    ".NET": "CSHARP",
}

# Build files that reveal a project's language, strongest evidence first:
# package.json and CMakeLists.txt often sit beside another language's backend.
MARKERS = (
    ("GO", ("go.mod",)),
    ("JAVA", ("pom.xml", "build.gradle", "build.gradle.kts")),
    ("CSHARP", ("*.csproj", "*.sln")),
    ("PHP", ("composer.json",)),
    ("PYTHON", ("pyproject.toml", "setup.py", "requirements.txt")),
    ("RUBY", ("Gemfile",)),
    ("RUST", ("Cargo.toml",)),
    ("NODEJS", ("package.json",)),
    ("CPP", ("CMakeLists.txt",)),
)

ZEGO_FOLDER_DEPTH = 3
COMMON_FOLDERS = frozenset(
    {"lib", "libs", "utils", "common", "shared", "sdk", "services", "helpers"}
)
# Dependencies, build output and tool folders never hold the project's own code.
IGNORED_FOLDERS = frozenset(
    {"node_modules", "vendor", "venv", "env", "__pycache__", "site-packages"}
    | {"target", "build", "dist", "bin", "obj"}
)


class UsageError(Exception):
    """The command line or the project gives no usable answer (exit 2)."""


class DownloadError(Exception):
    """The file could not be fetched or written (exit 1)."""


@dataclass(frozen=True)
class Plan:
    """What a run will fetch, from where, to where, and why."""

    requested: str
    sdk: Sdk
    url: str
    target: Path
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Download:
    """A file that was written."""

    size: int
    sha256: str


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = parse_arguments(argv)
    if args.list:
        for sdk in SDKS.values():
            print(f"{sdk.language:<8}{sdk.filename}")
        return 0

    try:
        plan = make_plan(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    for note in plan.notes:
        print(note)
    print(f"url: {plan.url}")
    print(f"path: {plan.target}")
    if args.dry_run:
        if plan.target.exists():
            outcome = "replace it" if args.force else "keep it and stop (no --force)"
            print(f"{plan.target} exists; a real run would {outcome}")
        print("dry run: nothing was written")
        print(json.dumps(summary(plan) | {"dry_run": True}))
        return 0

    try:
        download = fetch(plan.url, plan.target, force=args.force, timeout=args.timeout)
    except DownloadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130

    print(f"wrote {plan.target}")
    print(f"size: {download.size} bytes")
    print(f"sha256: {download.sha256}")
    print(
        json.dumps(summary(plan) | {"bytes": download.size, "sha256": download.sha256})
    )
    return 0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description="Download ZEGO's official token04 Server Assistant file "
        "for a server language into a project.",
        epilog=f"Language IDs: {', '.join(SDKS)} (case-insensitive; aliases such "
        "as node, golang, c++ and c# work too). Any other language gets the "
        f"Node.js file as a reference to port. {BASE_URL_VARIABLE} sets the "
        "base URL when --base-url is not given.",
    )
    parser.add_argument(
        "--language", metavar="ID", help="language ID; detected when omitted"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project root to inspect and write into (default: current directory)",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="file to write, or an existing directory to write into",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=f"where the files are served (default: {DEFAULT_BASE_URL})",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would happen; write nothing"
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="S",
        help=f"network timeout in seconds (default: {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--list", action="store_true", help="print every language ID and its file"
    )
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace) -> Plan:
    """Decide language, URL and target path without touching the disk."""
    project_dir = args.project_dir.resolve()
    if not project_dir.is_dir():
        raise UsageError(f"--project-dir {project_dir} is not a directory")
    base_url = choose_base_url(args.base_url)

    notes = []
    if args.language:
        requested = normalize_language(args.language)
        notes.append(f"language: {requested} (from --language)")
    else:
        requested, note = detect_language(project_dir)
        notes.append(note)

    sdk = SDKS.get(requested, SDKS[REFERENCE_LANGUAGE])
    if sdk.language != requested:
        notes.append(
            f"{requested} has no official ZEGO token04 file; fetching the "
            f"{sdk.language} file {sdk.filename} as the reference implementation "
            "to port"
        )

    if args.output:
        target = output_target(args.output, sdk)
    else:
        target = choose_directory(project_dir, sdk) / sdk.filename

    return Plan(requested, sdk, sdk_url(base_url, sdk), target, tuple(notes))


def fetch(url: str, target: Path, *, force: bool, timeout: float) -> Download:
    """Download url into target; on failure leave the disk as it was."""
    if target.exists() and not force:
        raise DownloadError(f"{target} already exists; pass --force to replace it")

    with open_url(url, timeout) as response:
        created = create_directories(target.parent)
        partial = target.parent / f".{target.name}.{secrets.token_hex(8)}.part"
        try:
            download = save_response(response, partial, url, timeout)
            if target.exists() and not force:
                raise DownloadError(
                    f"{target} appeared during the download; pass --force to replace it"
                )
            replace_file(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            remove_directories(created)
            raise
    return download


def summary(plan: Plan) -> dict[str, object]:
    """The machine-readable facts of a plan."""
    facts: dict[str, object] = {
        "path": str(plan.target),
        "language": plan.sdk.language,
        "filename": plan.sdk.filename,
        "url": plan.url,
    }
    if plan.requested != plan.sdk.language:
        facts["requested"] = plan.requested
    return facts


def positive_seconds(text: str) -> float:
    """Parse --timeout."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return seconds


def choose_base_url(from_argument: str | None) -> str:
    """Return the base URL: --base-url, then the environment, then GitHub."""
    if from_argument:
        base_url, source = from_argument, "--base-url"
    elif os.environ.get(BASE_URL_VARIABLE):
        base_url, source = os.environ[BASE_URL_VARIABLE], BASE_URL_VARIABLE
    else:
        return DEFAULT_BASE_URL

    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{source} must be an http:// or https:// URL: {base_url!r}")
    return base_url


def normalize_language(text: str) -> str:
    """Turn a --language value into a language ID."""
    language = text.strip().upper()
    if not language:
        raise UsageError(f"--language needs an ID: {', '.join(SDKS)}")
    language = ALIASES.get(language, language)
    if language in SDKS:
        return language

    known = [*SDKS, *ALIASES]
    close = difflib.get_close_matches(language, known, n=1, cutoff=0.8)
    if close:
        suggestion = ALIASES.get(close[0], close[0])
        raise UsageError(f"unknown language {text!r}; did you mean {suggestion}?")
    return language


def detect_language(project_dir: Path) -> tuple[str, str]:
    """Find the language from build files in the project root, then in src/."""
    for folder in (project_dir, project_dir / "src"):
        found = [
            (language, marker)
            for language, patterns in MARKERS
            for marker in marker_files(folder, patterns)
        ]
        if found:
            language, marker = found[0]
            note = (
                f"language: {language} (detected from {relative(marker, project_dir)})"
            )
            others = [
                relative(path, project_dir)
                for other, path in found
                if other != language
            ]
            if others:
                note += f"; also found {', '.join(others)}; --language overrides"
            return language, note

    raise UsageError(
        f"could not detect the language of {project_dir} (no build file in it or "
        f"in its src/); pass --language with one of: {', '.join(SDKS)}"
    )


def marker_files(folder: Path, patterns: Sequence[str]) -> Iterator[Path]:
    """Yield the files in folder matching any pattern, in pattern order."""
    if not folder.is_dir():
        return
    for pattern in patterns:
        yield from sorted(path for path in folder.glob(pattern) if path.is_file())


def output_target(output: str, sdk: Sdk) -> Path:
    """Resolve --output: a directory receives the file under its own name."""
    path = Path(output).resolve()
    if path.is_dir() or output.endswith(("/", os.sep)):
        return path / sdk.filename
    return path


def choose_directory(project_dir: Path, sdk: Sdk) -> Path:
    """Pick the folder for the file from what already exists in the project."""
    recommended = [project_dir / folder for folder in sdk.recommended_dirs]

    zego_folder = find_zego_folder(project_dir)
    if zego_folder is not None:
        inside = [path for path in recommended if zego_folder in path.parents]
        return next((path for path in inside if path.is_dir()), zego_folder / "token")

    for path in recommended:
        if path.is_dir():
            return path

    for folder in sdk.recommended_dirs:
        top = folder.split("/", 1)[0]
        if top.lower() in COMMON_FOLDERS and (project_dir / top).is_dir():
            return project_dir / folder

    if (project_dir / "src").is_dir():
        return project_dir / "src" / "zego" / "token"
    return project_dir / "zego" / "token"


def find_zego_folder(project_dir: Path) -> Path | None:
    """Return the shallowest folder named zego, alphabetically first on ties."""
    level = [project_dir]
    for _ in range(ZEGO_FOLDER_DEPTH):
        children = sorted(
            (child for parent in level for child in subfolders(parent)),
            key=lambda path: path.relative_to(project_dir).parts,
        )
        for child in children:
            if child.name == "zego":
                return child
        level = [child for child in children if not child.is_symlink()]
    return None


def subfolders(folder: Path) -> Iterator[Path]:
    """Yield the folders in folder that may hold the project's own code."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in IGNORED_FOLDERS:
            continue
        try:
            if entry.is_dir():
                yield Path(entry.path)
        except OSError:
            continue


def sdk_url(base_url: str, sdk: Sdk) -> str:
    """Join the base URL and the file's path, percent-encoding the path."""
    return base_url.rstrip("/") + "/" + urllib.parse.quote(sdk.remote_path)


def open_url(url: str, timeout: float) -> http.client.HTTPResponse:
    """Send the request; raise DownloadError unless the server answers 2xx."""
    request = urllib.request.Request(  # noqa: S310 - scheme checked in choose_base_url
        url, headers={"User-Agent": "zego-token-service/download_sdk"}
    )
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - as above
    except urllib.error.HTTPError as error:
        error.close()
        raise DownloadError(
            f"could not download {url}: HTTP {error.code} {error.reason}"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DownloadError(
            f"could not download {url}: {describe(error, timeout)}"
        ) from None


def save_response(
    response: http.client.HTTPResponse, path: Path, url: str, timeout: float
) -> Download:
    """Stream the response body into a new file at path, hashing it."""
    digest = hashlib.sha256()
    size = 0
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise DownloadError(f"could not write {path}: {describe(error)}") from None
    with os.fdopen(descriptor, "wb") as file:
        while chunk := read_chunk(response, url, timeout):
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise DownloadError(
                    f"could not download {url}: larger than "
                    f"{MAX_DOWNLOAD_BYTES} bytes, which no token04 file is; "
                    "check the base URL"
                )
            digest.update(chunk)
            try:
                file.write(chunk)
            except OSError as error:
                raise DownloadError(
                    f"could not write {path}: {describe(error)}"
                ) from None
    expected = response.headers.get("Content-Length", "")
    if expected.isdigit() and int(expected) != size:
        raise DownloadError(
            f"could not download {url}: the connection closed after {size} of "
            f"{expected} bytes"
        )
    if size == 0:
        raise DownloadError(f"could not download {url}: the server sent an empty file")
    return Download(size, digest.hexdigest())


def read_chunk(response: http.client.HTTPResponse, url: str, timeout: float) -> bytes:
    """Read the next piece of the body, turning network errors into one line."""
    try:
        return response.read(CHUNK_BYTES)
    except (http.client.HTTPException, OSError) as error:
        raise DownloadError(
            f"could not download {url}: {describe(error, timeout)}"
        ) from None


def replace_file(source: Path, target: Path) -> None:
    """Move the finished download into place in one step."""
    try:
        os.replace(source, target)
    except OSError as error:
        raise DownloadError(f"could not write {target}: {describe(error)}") from None


def create_directories(folder: Path) -> list[Path]:
    """Create folder and its missing parents; return the created ones, outer first."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            remove_directories(created)
            raise DownloadError(f"could not create {path}: {describe(error)}") from None
        created.append(path)
    return created


def remove_directories(created: Sequence[Path]) -> None:
    """Remove folders this run created, innermost first, if still empty."""
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:
            return


def describe(error: BaseException, timeout: float | None = None) -> str:
    """Say in a few words why an operation failed."""
    reason: object = error
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
    if isinstance(reason, TimeoutError) and timeout is not None:
        return f"timed out after {timeout:g} s"
    if isinstance(reason, http.client.IncompleteRead):
        return "the connection closed before the whole file arrived"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def relative(path: Path, root: Path) -> str:
    """Show path relative to root, with forward slashes."""
    return path.relative_to(root).as_posix()


if __name__ == "__main__":
    sys.exit(main())
