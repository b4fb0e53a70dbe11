"""GET /api/zego/token and /healthz: tokens, validation, errors, no secret leaks."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from zego_token import Token04, decode_token04

TOKEN_URL = "/api/zego/token"
ID_SPECIALS = "~!@#$%^&*()_+=-`;',.<>/\\"
PARAMETERS = (
    "userId",
    "effectiveTime",
    "payload",
    "roomId",
    "canLogin",
    "canPublish",
    "streamIdList",
)


def get_token(client, headers=None, **query: str):
    return client.get(TOKEN_URL, query_string=query, headers=headers or {})


def claims_of(response, secret):
    assert response.status_code == 200, response.get_data(as_text=True)
    return decode_token04(response.get_data(as_text=True), secret)


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


def privilege_of(response, secret) -> dict:
    return json.loads(claims_of(response, secret).payload)


@pytest.fixture
def failing_route(app):
    """A route that fails the way a bug would, at /fail."""

    def fail():
        raise RuntimeError("something broke inside")

    app.add_url_rule("/fail", "fail", fail)
    return "/fail"


# -- tokens ------------------------------------------------------------------------


def test_token_is_plain_text_utf8(client):
    response = get_token(client, userId="alice")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_token_is_for_the_configured_app_and_requested_user(client, app_id, secret):
    claims = claims_of(get_token(client, userId="alice"), secret)

    assert (claims.app_id, claims.user_id) == (app_id, "alice")


def test_token_lasts_3600_seconds_by_default_with_an_empty_payload(client, secret):
    claims = claims_of(get_token(client, userId="alice"), secret)

    assert claims.expire - claims.ctime == 3600
    assert claims.payload == ""


@pytest.mark.parametrize("seconds", [60, 61, 7200, 86400])
def test_token_lasts_the_requested_effective_time(client, secret, seconds):
    response = get_token(client, userId="alice", effectiveTime=str(seconds))

    claims = claims_of(response, secret)
    assert claims.expire - claims.ctime == seconds


def test_token_is_gcm_by_default(client, secret):
    claims = claims_of(get_token(client, userId="alice"), secret)

    assert claims.encryption == "gcm"


def test_cbc_setting_gives_cbc_tokens(make_app, secret):
    client = make_app(ZEGO_TOKEN_ENCRYPTION="cbc").test_client()

    claims = claims_of(get_token(client, userId="alice"), secret)

    assert claims.encryption == "cbc"


def test_token_carries_the_payload_given(client, secret):
    payload = '{"room":"r1","note":"héllo 🎉","n":[1,2]}'

    claims = claims_of(get_token(client, userId="alice", payload=payload), secret)

    assert claims.payload == payload


def test_payload_of_2048_bytes_is_accepted(client, secret):
    payload = '{"k":"' + "é" * 1020 + '"}'
    assert len(payload.encode()) == 2048

    claims = claims_of(get_token(client, userId="alice", payload=payload), secret)

    assert claims.payload == payload


@pytest.mark.parametrize(
    "accept",
    ["application/json", "text/plain;q=0.5, application/json", "application/*"],
)
def test_json_response_when_accept_prefers_json(client, app_id, secret, accept):
    response = get_token(client, headers={"Accept": accept}, userId="alice")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"token", "appId", "userId", "expireTime"}
    claims = decode_token04(body["token"], secret)
    assert (body["appId"], body["userId"]) == (app_id, "alice")
    assert (claims.app_id, claims.user_id) == (app_id, "alice")
    assert body["expireTime"] == claims.expire


@pytest.mark.parametrize(
    "accept", [None, "*/*", "text/plain", "application/json;q=0.5, text/plain"]
)
def test_plain_text_unless_accept_prefers_json(client, secret, accept):
    headers = {"Accept": accept} if accept else {}

    response = get_token(client, headers=headers, userId="alice")

    assert response.mimetype == "text/plain"
    assert claims_of(response, secret).user_id == "alice"


# -- privilege payload from roomId ------------------------------------------------


def test_room_id_gives_a_login_only_privilege_payload_by_default(client, secret):
    response = get_token(client, userId="alice", roomId="room-1")

    assert privilege_of(response, secret) == {
        "room_id": "room-1",
        "privilege": {"1": 1, "2": 0},
        "stream_id_list": None,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", 1),
        ("TRUE", 1),
        ("True", 1),
        ("1", 1),
        ("false", 0),
        ("FALSE", 0),
        ("False", 0),
        ("0", 0),
    ],
)
@pytest.mark.parametrize(("name", "key"), [("canLogin", "1"), ("canPublish", "2")])
def test_privilege_flags_accept_true_false_1_0_in_any_case(
    client, secret, name, key, text, value
):
    response = get_token(client, userId="alice", roomId="room-1", **{name: text})

    assert privilege_of(response, secret)["privilege"][key] == value


def test_stream_id_list_is_split_on_commas(client, secret):
    response = get_token(client, userId="alice", roomId="r", streamIdList="s1,s-2,s3")

    assert privilege_of(response, secret)["stream_id_list"] == ["s1", "s-2", "s3"]


@pytest.mark.parametrize("name", ["canLogin", "canPublish"])
@pytest.mark.parametrize("text", ["yes", "no", "2", "", "truth", "on"])
def test_privilege_flag_other_than_true_false_1_0_is_rejected(client, name, text):
    response = get_token(client, userId="alice", roomId="room-1", **{name: text})

    assert name in error_of(response, 400)


# -- refusals ------------------------------------------------------------------------


def test_user_id_is_required(client):
    assert "userId" in error_of(get_token(client), 400)


@pytest.mark.parametrize(
    "text", ["59", "86401", "0", "-60", "abc", "60.0", "1e3", "", " 60", "60s", "٦٠"]
)
def test_effective_time_outside_60_to_86400_or_not_integer_is_rejected(client, text):
    response = get_token(client, userId="alice", effectiveTime=text)

    message = error_of(response, 400)
    assert "effectiveTime" in message
    assert "60" in message
    assert "86400" in message


def test_payload_over_2048_bytes_is_rejected(client):
    payload = '{"k":"' + "é" * 1020 + 'x"}'
    assert len(payload) < 2048 < len(payload.encode())

    message = error_of(get_token(client, userId="alice", payload=payload), 400)

    assert "payload" in message
    assert "2048" in message


@pytest.mark.parametrize(
    "payload", ["[]", "1", '"text"', "null", "true", "not json", "{", '{"a":1}x', ""]
)
def test_payload_that_is_not_a_json_object_is_rejected(client, payload):
    response = get_token(client, userId="alice", payload=payload)

    assert "payload" in error_of(response, 400)


@pytest.mark.parametrize(
    "payload", ["[" * 2000 + "]" * 40, '{"a":' + "[" * 1500 + "]" * 10 + "}"]
)
def test_deeply_nested_payload_is_rejected_as_a_bad_request(client, payload):
    response = get_token(client, userId="alice", payload=payload)

    assert "payload" in error_of(response, 400)


def test_payload_and_room_id_together_are_rejected(client):
    response = get_token(client, userId="alice", payload="{}", roomId="room-1")

    message = error_of(response, 400)
    assert "payload" in message
    assert "roomId" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("canLogin", "true"), ("canPublish", "false"), ("streamIdList", "s1")],
)
def test_privilege_options_without_room_id_are_rejected(client, name, value):
    message = error_of(get_token(client, userId="alice", **{name: value}), 400)

    assert name in message
    assert "roomId" in message


@pytest.mark.parametrize("name", PARAMETERS)
def test_parameter_given_twice_is_rejected(client, name):
    values = {
        "userId": "alice",
        "effectiveTime": "60",
        "roomId": "room-1",
        "canLogin": "true",
        "canPublish": "true",
        "streamIdList": "s1",
    }
    if name == "payload":
        values = {"userId": "alice", "payload": "{}"}
    query = MultiDict(values)
    query.add(name, query[name])

    response = client.get(TOKEN_URL, query_string=query)

    assert name in error_of(response, 400)


# -- ID rules ---------------------------------------------------------------------


def test_ids_may_use_letters_digits_and_the_listed_specials(client, secret):
    identifier = "aZ09" + ID_SPECIALS.replace(",", "")

    response = get_token(
        client,
        userId=identifier,
        roomId=identifier + ",",
        streamIdList=identifier + "," + identifier[::-1],
    )

    claims = claims_of(response, secret)
    assert claims.user_id == identifier
    assert json.loads(claims.payload)["room_id"] == identifier + ","
    assert json.loads(claims.payload)["stream_id_list"] == [
        identifier,
        identifier[::-1],
    ]


ID_LIMITS = [("userId", 64), ("roomId", 128), ("streamIdList", 256)]


def query_with(name: str, value: str) -> dict[str, str]:
    query = {"userId": "alice", name: value}
    if name == "streamIdList":
        query["roomId"] = "room-1"
    return query


@pytest.mark.parametrize(("name", "limit"), ID_LIMITS)
def test_id_at_its_length_limit_is_accepted(client, name, limit):
    response = client.get(TOKEN_URL, query_string=query_with(name, "a" * limit))

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "limit"), ID_LIMITS)
def test_id_over_its_length_limit_is_rejected(client, name, limit):
    response = client.get(TOKEN_URL, query_string=query_with(name, "a" * (limit + 1)))

    message = error_of(response, 400)
    assert name in message
    assert str(limit) in message


def test_each_stream_id_has_its_own_length_limit(client, secret):
    value = "a" * 256 + "," + "b" * 256

    response = client.get(TOKEN_URL, query_string=query_with("streamIdList", value))

    assert privilege_of(response, secret)["stream_id_list"] == ["a" * 256, "b" * 256]


@pytest.mark.parametrize("name", ["userId", "roomId", "streamIdList"])
@pytest.mark.parametrize(
    "character", [" ", '"', "?", ":", "[", "]", "{", "|", "\t", "é", "用", "\x00"]
)
def test_id_with_a_character_outside_the_rule_is_rejected(client, name, character):
    response = client.get(TOKEN_URL, query_string=query_with(name, f"a{character}b"))

    assert name in error_of(response, 400)


@pytest.mark.parametrize("name", ["userId", "roomId"])
def test_empty_id_is_rejected(client, name):
    response = client.get(TOKEN_URL, query_string=query_with(name, ""))

    assert name in error_of(response, 400)


# -- errors ------------------------------------------------------------------------


def test_unknown_path_is_a_json_404(client):
    assert error_of(client.get("/api/zego/tokens"), 404)


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_a_json_405(client, method):
    response = getattr(client, method)(TOKEN_URL, query_string={"userId": "alice"})

    assert "GET" in response.headers["Allow"]
    assert error_of(response, 405)


def test_unexpected_error_is_a_generic_json_500(client, failing_route):
    message = error_of(client.get(failing_route), 500)

    assert "something broke inside" not in message
    assert "RuntimeError" not in message


def test_unexpected_error_is_logged_with_its_traceback(client, failing_route, caplog):
    caplog.set_level(logging.ERROR)

    client.get(failing_route)

    logged = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [type(error) for error in logged] == [RuntimeError]


def test_error_in_the_codec_is_a_generic_json_500(client, monkeypatch):
    def broken_generate(*args, **kwargs):
        raise OSError("no entropy")

    monkeypatch.setattr(Token04, "generate", broken_generate)

    message = error_of(get_token(client, userId="alice"), 500)

    assert "entropy" not in message


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        (TOKEN_URL + "?userId=alice", "get", 200),
        (TOKEN_URL, "get", 400),
        ("/nowhere", "get", 404),
        (TOKEN_URL, "post", 405),
    ],
)
def test_token_responses_and_errors_are_not_stored(client, path, method, status):
    response = getattr(client, method)(path)

    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"


def test_server_errors_are_not_stored(client, failing_route):
    response = client.get(failing_route)

    assert response.status_code == 500
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_says_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# -- the secret stays secret ----------------------------------------------------


def exercise(client, failing_route, monkeypatch):
    """Send a mix of good, bad and failing requests; return the responses."""
    responses = [
        get_token(client, userId="alice"),
        get_token(client, headers={"Accept": "application/json"}, userId="alice"),
        get_token(client, userId="alice", roomId="r1", canPublish="true"),
        get_token(client),
        get_token(client, userId="alice", effectiveTime="abc"),
        get_token(client, userId="alice", payload="[]"),
        get_token(client, userId="a b"),
        client.get("/nowhere"),
        client.post(TOKEN_URL),
        client.get("/healthz"),
        client.get(failing_route),
    ]
    with monkeypatch.context() as patch:

        def broken_generate(*args, **kwargs):
            raise RuntimeError("codec failed")

        patch.setattr(Token04, "generate", broken_generate)
        responses.append(get_token(client, userId="alice"))
    return responses


def test_secret_appears_in_no_response(client, failing_route, monkeypatch, secret):
    responses = exercise(client, failing_route, monkeypatch)

    assert {response.status_code for response in responses} >= {200, 400, 404, 500}
    for response in responses:
        assert secret not in response.get_data(as_text=True)
        assert all(secret not in value for _, value in response.headers.items())


def test_secret_appears_in_no_log_line(make_app, monkeypatch, caplog, secret):
    caplog.set_level(logging.DEBUG)
    app = make_app(ZEGO_APP_ID="1234567890")
    app.add_url_rule("/fail", "fail", lambda: 1 / 0)

    exercise(app.test_client(), "/fail", monkeypatch)

    assert any(record.exc_info for record in caplog.records)
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_issued_tokens_appear_in_no_log_line(client, caplog):
    caplog.set_level(logging.DEBUG)

    token = get_token(client, userId="alice").get_data(as_text=True)

    assert token.startswith("04")
    assert token not in caplog.text
    assert token[2:40] not in caplog.text


# -- no query string breaks the service ---------------------------------------------

VALUES = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        ["", "0", "1", "true", "False", "60", "86400", "alice", "{}", '{"a":1}', "a,b"]
    ),
)


@st.composite
def query_strings(draw) -> str:
    """Raw query strings: known and unknown keys, text and raw-byte values."""
    pairs = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(
            st.one_of(
                st.sampled_from(PARAMETERS),
                st.text(st.characters(codec="utf-8"), max_size=8),
            )
        )
        if draw(st.booleans()):
            value = quote(draw(VALUES), safe="")
        else:
            value = quote_from_bytes(draw(st.binary(max_size=40)), safe="")
        pairs.append(f"{quote(key, safe='')}={value}")
    return "&".join(pairs)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=query_strings())
def test_no_query_string_causes_a_server_error(make_app, query):
    client = make_app().test_client()

    response = client.get(TOKEN_URL, query_string=query)

    assert response.status_code < 500, response.get_data(as_text=True)
