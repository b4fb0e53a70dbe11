"""Validation of the token endpoint's query parameters, in one place."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from app.errors import ApiError
from app.settings import MIN_EFFECTIVE_TIME, Settings, whole_number
from zego_token import build_privilege_payload

# ZEGO's rule for user, room and stream IDs.
ID_SYMBOLS = "~!@#$%^&*()_+=-`;',.<>/\\"
ID_CHARACTERS = frozenset(string.ascii_letters + string.digits + ID_SYMBOLS)
ID_RULE = f"ASCII letters, digits and {ID_SYMBOLS}"
MAX_USER_ID_BYTES = 64
MAX_ROOM_ID_BYTES = 128
MAX_STREAM_ID_BYTES = 256
MAX_PAYLOAD_BYTES = 2048
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
PRIVILEGE_PARAMETERS = ("canLogin", "canPublish", "streamIdList")


@dataclass(frozen=True)
class TokenRequest:
    """A validated request for a token04."""

    user_id: str
    effective_time: int
    payload: str


def parse_token_request(
    args: MultiDict[str, str],
    settings: Settings,
    *,
    caller_user_id: str | None = None,
) -> TokenRequest:
    """Return the request ``args`` ask for, or raise ApiError naming the rule.

    ``caller_user_id`` is the user a verified JWT names: the token must be for
    that user, and ``userId`` may then be left out.
    """
    user_id = _single(args, "userId")
    if user_id is None:
        user_id = caller_user_id
    elif caller_user_id is not None and user_id != caller_user_id:
        raise ApiError("userId must be the user the JWT names", 403)
    if user_id is None:
        raise ApiError("userId is required")
    _check_id("userId", user_id, MAX_USER_ID_BYTES)
    return TokenRequest(
        user_id=user_id,
        effective_time=_effective_time(args, settings),
        payload=_payload(args),
    )


def _effective_time(args: MultiDict[str, str], settings: Settings) -> int:
    text = _single(args, "effectiveTime")
    if text is None:
        return settings.default_effective_time
    seconds = whole_number(text)
    if seconds is None or not (
        MIN_EFFECTIVE_TIME <= seconds <= settings.max_effective_time
    ):
        raise ApiError(
            "effectiveTime must be a whole number of seconds from "
            f"{MIN_EFFECTIVE_TIME} to {settings.max_effective_time}"
        )
    return seconds


def _payload(args: MultiDict[str, str]) -> str:
    payload = _single(args, "payload")
    room_id = _single(args, "roomId")
    if payload is not None and room_id is not None:
        raise ApiError("payload and roomId cannot be combined; send one of them")
    if room_id is None:
        for name in PRIVILEGE_PARAMETERS:
            if name in args:
                raise ApiError(f"{name} needs roomId")
        return "" if payload is None else _check_payload(payload)

    _check_id("roomId", room_id, MAX_ROOM_ID_BYTES)
    stream_ids = None
    stream_id_list = _single(args, "streamIdList")
    if stream_id_list is not None:
        stream_ids = stream_id_list.split(",")
        for stream_id in stream_ids:
            _check_id("streamIdList", stream_id, MAX_STREAM_ID_BYTES, each=True)
    return build_privilege_payload(
        room_id,
        can_login=_boolean(args, "canLogin", default=True),
        can_publish=_boolean(args, "canPublish", default=False),
        stream_ids=stream_ids,
    )


def _check_payload(payload: str) -> str:
    if len(payload.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES:
        raise ApiError(f"payload must be at most {MAX_PAYLOAD_BYTES} bytes")
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        # 2 KiB of brackets nests deeper than the JSON parser's recursion limit.
        value = None
    if not isinstance(value, dict):
        raise ApiError("payload must be a JSON object")
    return payload


def _boolean(args: MultiDict[str, str], name: str, *, default: bool) -> bool:
    text = _single(args, name)
    if text is None:
        return default
    value = BOOLEANS.get(text.lower())
    if value is None:
        raise ApiError(f"{name} must be true, false, 1 or 0")
    return value


def _check_id(name: str, value: str, max_bytes: int, *, each: bool = False) -> None:
    subject = f"each ID in {name}" if each else name
    if not value:
        raise ApiError(f"{subject} must not be empty")
    if len(value) > max_bytes or not ID_CHARACTERS.issuperset(value):
        raise ApiError(f"{subject} must be at most {max_bytes} characters of {ID_RULE}")


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise ApiError(f"{name} must be given once")
    return values[0] if values else None
