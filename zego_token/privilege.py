"""ZEGO's privilege payload: what a token04 allows in one room."""

from __future__ import annotations

import json
from collections.abc import Iterable

from zego_token.errors import InvalidArgument

LOGIN_ROOM = "1"
PUBLISH_STREAM = "2"
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def build_privilege_payload(
    room_id: str,
    *,
    can_login: bool = True,
    can_publish: bool = False,
    stream_ids: Iterable[str] | None = None,
) -> str:
    """Return the payload that limits a token04 to ``room_id``.

    ``can_login`` grants logging into the room, ``can_publish`` publishing
    streams; ``stream_ids``, when given, limits publishing to those streams.
    """
    if not isinstance(room_id, str) or not room_id:
        raise InvalidArgument("room_id must be a non-empty str")
    stream_id_list = None
    if isinstance(stream_ids, str):
        raise InvalidArgument("stream_ids must be a list of str, not one str")
    if stream_ids is not None:
        stream_id_list = list(stream_ids)
        if not all(isinstance(s, str) and s for s in stream_id_list):
            raise InvalidArgument("stream_ids must be non-empty strs")
    payload = {
        "room_id": room_id,
        "privilege": {
            LOGIN_ROOM: int(bool(can_login)),
            PUBLISH_STREAM: int(bool(can_publish)),
        },
        "stream_id_list": stream_id_list,
    }
    return _COMPACT_JSON.encode(payload)
