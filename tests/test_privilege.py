"""The privilege payload, compared with the official SDKs' tokens."""

from __future__ import annotations

import json

import pytest

from zego_token import InvalidArgument, build_privilege_payload


def test_privilege_payload_matches_the_official_sdk_vectors(vectors):
    privileged = [vector for vector in vectors if vector["payload"]]
    assert privileged, "no vector carries a privilege payload"
    for vector in privileged:
        official = json.loads(vector["payload"])

        payload = build_privilege_payload(
            official["room_id"],
            can_login=official["privilege"]["1"] == 1,
            can_publish=official["privilege"]["2"] == 1,
            stream_ids=official["stream_id_list"],
        )

        assert payload == vector["payload"], vector["source"]


def test_defaults_allow_login_but_not_publishing_on_any_stream():
    payload = json.loads(build_privilege_payload("room-1"))

    assert payload == {
        "room_id": "room-1",
        "privilege": {"1": 1, "2": 0},
        "stream_id_list": None,
    }


@pytest.mark.parametrize("can_login", [True, False])
@pytest.mark.parametrize("can_publish", [True, False])
def test_privilege_flags_are_1_for_login_and_2_for_publish(can_login, can_publish):
    payload = build_privilege_payload(
        "room-1", can_login=can_login, can_publish=can_publish
    )

    assert json.loads(payload)["privilege"] == {
        "1": 1 if can_login else 0,
        "2": 1 if can_publish else 0,
    }


def test_stream_ids_are_listed_in_the_order_given():
    payload = build_privilege_payload("room-1", stream_ids=["s-2", "s-1", "s-3"])

    assert json.loads(payload)["stream_id_list"] == ["s-2", "s-1", "s-3"]


def test_room_id_is_carried_unchanged():
    room_id = "Room_1~!@#$%^&*()+=-`;',.<>/\\"

    assert json.loads(build_privilege_payload(room_id))["room_id"] == room_id


def test_privilege_payload_is_compact_json():
    payload = build_privilege_payload("room-1", can_publish=True, stream_ids=["a", "b"])

    assert payload == json.dumps(json.loads(payload), separators=(",", ":"))


def test_one_string_of_stream_ids_is_refused_not_split_into_letters():
    with pytest.raises(InvalidArgument, match="stream_ids"):
        build_privilege_payload("room-1", stream_ids="cam-1")


@pytest.mark.parametrize("room_id", ["", None, 7])
def test_room_id_must_be_a_non_empty_str(room_id):
    with pytest.raises(InvalidArgument, match="room_id"):
        build_privilege_payload(room_id)
