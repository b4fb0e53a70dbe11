"""``python -m zego_token``: generate and check token04 tokens locally.

The app ID and server secret come from the environment or ``.env`` (the real
environment wins), never from the command line, where other users of the
machine could read them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

from dotenv import dotenv_values

from zego_token.errors import ExpiredToken, InvalidArgument, InvalidToken
from zego_token.privilege import build_privilege_payload
from zego_token.token04 import ENCRYPTIONS, Encryption, Token04, check_app_id

EXIT_VALID = 0
EXIT_EXPIRED = 1
EXIT_ERROR = 2


class CliError(Exception):
    """A problem to report in one line before exiting with status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    environ = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    environ.update(os.environ)
    try:
        return args.command(args, environ)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


def generate(args: argparse.Namespace, environ: dict[str, str]) -> int:
    """Print a new token04."""
    codec = _codec(environ)
    app_id = _app_id(environ)
    if app_id is None:
        raise CliError("ZEGO_APP_ID is not set")
    if args.room_id is None and (args.can_publish or args.no_login or args.stream_id):
        raise CliError("--can-publish, --no-login and --stream-id need --room-id")
    payload = args.payload
    if payload and not isinstance(_json_or_none(payload), dict):
        raise CliError("--payload must be a JSON object")
    encryption = args.encryption or _encryption(environ)
    try:
        if args.room_id is not None:
            payload = build_privilege_payload(
                args.room_id,
                can_login=not args.no_login,
                can_publish=args.can_publish,
                stream_ids=args.stream_id,
            )
        token = codec.generate(
            app_id, args.user_id, args.effective_time, payload, encryption=encryption
        )
    except InvalidArgument as error:
        raise CliError(str(error)) from None
    print(token)
    return EXIT_VALID


def decode(args: argparse.Namespace, environ: dict[str, str]) -> int:
    """Print the claims of a token04 and whether it is still valid."""
    codec = _codec(environ)
    now = time.time()
    status = EXIT_VALID
    try:
        claims = codec.decode(args.token.strip(), now=now)
    except ExpiredToken as error:
        claims = error.claims
        status = EXIT_EXPIRED
    except InvalidToken:
        raise CliError(
            "not a valid token04 for this ZEGO_SERVER_SECRET "
            "(malformed, altered, or made with another secret)"
        ) from None

    expected_app_id = _app_id(environ)
    if expected_app_id is not None and claims.app_id != expected_app_id:
        print(
            f"warning: token app_id {claims.app_id} differs from "
            f"ZEGO_APP_ID {expected_app_id}",
            file=sys.stderr,
        )
    report = {
        "app_id": claims.app_id,
        "user_id": claims.user_id,
        "ctime": claims.ctime,
        "expire": claims.expire,
        "nonce": claims.nonce,
        "payload": claims.payload,
        "encryption": claims.encryption,
        "expired": status == EXIT_EXPIRED,
        "expires_in": claims.expire - int(now),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zego_token",
        description="Generate or check ZEGO token04 tokens with the server "
        "secret from ZEGO_SERVER_SECRET (environment or .env).",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    make = commands.add_parser("generate", help="print a new token04")
    make.set_defaults(command=generate)
    make.add_argument("--user-id", required=True)
    make.add_argument("--effective-time", type=int, default=3600, metavar="SECONDS")
    make.add_argument("--encryption", choices=ENCRYPTIONS, type=str.lower)
    what = make.add_mutually_exclusive_group()
    what.add_argument("--payload", default="", metavar="JSON")
    what.add_argument("--room-id", help="make a privilege payload for this room")
    make.add_argument(
        "--can-publish", action="store_true", help="with --room-id: may publish"
    )
    make.add_argument(
        "--no-login", action="store_true", help="with --room-id: may not log in"
    )
    make.add_argument(
        "--stream-id",
        action="append",
        metavar="ID",
        help="with --room-id: a stream it may publish (repeatable)",
    )

    check = commands.add_parser("decode", help="print the claims of a token04")
    check.set_defaults(command=decode)
    check.add_argument("token")
    return parser


def _codec(environ: dict[str, str]) -> Token04:
    secret = environ.get("ZEGO_SERVER_SECRET", "").strip()
    if not secret:
        raise CliError("ZEGO_SERVER_SECRET is not set")
    try:
        return Token04(secret)
    except InvalidArgument:
        raise CliError(
            "ZEGO_SERVER_SECRET must be exactly 32 ASCII characters"
        ) from None


def _app_id(environ: dict[str, str]) -> int | None:
    text = environ.get("ZEGO_APP_ID", "").strip()
    if not text:
        return None
    try:
        return check_app_id(int(text) if text.isascii() and text.isdigit() else 0)
    except InvalidArgument:
        raise CliError(
            "ZEGO_APP_ID must be a whole number from 1 to 4294967295"
        ) from None


def _encryption(environ: dict[str, str]) -> Encryption:
    encryption = environ.get("ZEGO_TOKEN_ENCRYPTION", "").strip().lower() or "gcm"
    if encryption not in ENCRYPTIONS:
        raise CliError("ZEGO_TOKEN_ENCRYPTION must be gcm or cbc")
    return encryption


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
