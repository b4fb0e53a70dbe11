"""token04: round trips, official-SDK vectors, an independent AES oracle, bad tokens.

The oracle helpers below read and write the layout from the spec with
``struct`` and pycryptodome, sharing no code with ``zego_token``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import struct
import time

import pytest
from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad
from hypothesis import given, settings
from hypothesis import strategies as st

from zego_token import (
    ExpiredToken,
    InvalidArgument,
    InvalidToken,
    decode_token04,
    generate_token04,
)

SECRET = "f3Vb8Qz1Lm6Rt0Yw4Hc9Np2Xs7Ke5Ja1"
OTHER_SECRET = "a1Je5Ks7Xp2Nc9Hw4Yt0Rm6Lz1Qb8Vf3"
APP_ID = 123456789
NOW = 1_800_000_000
MODES = ("gcm", "cbc")
CLAIM_NAMES = {"app_id", "user_id", "nonce", "ctime", "expire", "payload"}
FAST = settings(max_examples=60, deadline=None)


# -- the independent oracle ---------------------------------------------------


def to_binary(token: str) -> bytes:
    assert token.startswith("04")
    return base64.b64decode(token[2:], validate=True)


def from_binary(binary: bytes) -> str:
    return "04" + base64.b64encode(binary).decode("ascii")


def split_layout(token: str) -> tuple[int, bytes, bytes, bytes]:
    """Return (outer expire, nonce, ciphertext, trailing bytes) of ``token``."""
    binary = to_binary(token)
    expire, nonce_length = struct.unpack_from(">qH", binary, 0)
    offset = struct.calcsize(">qH")
    nonce = binary[offset : offset + nonce_length]
    offset += nonce_length
    (ciphertext_length,) = struct.unpack_from(">H", binary, offset)
    offset += struct.calcsize(">H")
    ciphertext = binary[offset : offset + ciphertext_length]
    assert len(ciphertext) == ciphertext_length
    return expire, nonce, ciphertext, binary[offset + ciphertext_length :]


def oracle_decrypt(token: str, secret: str, mode: str) -> tuple[int, bytes]:
    """Return (outer expire, plaintext), checking the layout ``mode`` requires."""
    expire, nonce, ciphertext, trailer = split_layout(token)
    key = secret.encode("ascii")
    if mode == "gcm":
        assert (len(nonce), trailer) == (12, b"\x01")
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        plaintext = cipher.decrypt_and_verify(ciphertext[:-16], ciphertext[-16:])
    else:
        assert (len(nonce), trailer) == (16, b"")
        cipher = AES.new(key, AES.MODE_CBC, iv=nonce)
        plaintext = unpad(cipher.decrypt(ciphertext), AES.block_size, style="pkcs7")
    return expire, plaintext


def oracle_token(
    plaintext: bytes,
    mode: str,
    *,
    expire: int,
    secret: str = SECRET,
) -> str:
    """Build a token04 around ``plaintext`` with a fixed nonce or IV."""
    key = secret.encode("ascii")
    if mode == "gcm":
        nonce = bytes(range(100, 112))
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        body, trailer = ciphertext + tag, b"\x01"
    else:
        nonce = bytes(range(200, 216))
        cipher = AES.new(key, AES.MODE_CBC, iv=nonce)
        body, trailer = cipher.encrypt(pad(plaintext, AES.block_size)), b""
    binary = b"".join(
        (
            struct.pack(">qH", expire, len(nonce)),
            nonce,
            struct.pack(">H", len(body)),
            body,
            trailer,
        )
    )
    return from_binary(binary)


def claims_json(**overrides: object) -> bytes:
    claims = {
        "app_id": APP_ID,
        "user_id": "oracle-user",
        "nonce": 424242,
        "ctime": NOW,
        "expire": NOW + 3600,
        "payload": '{"room_id":"r1"}',
    }
    claims.update(overrides)
    return json.dumps(claims, separators=(",", ":")).encode()


def good_oracle_token(mode: str) -> str:
    return oracle_token(claims_json(), mode, expire=NOW + 3600)


def flip(binary: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(binary)
    changed[position] ^= mask
    return bytes(changed)


# -- round trips ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_round_trip_returns_the_claims_given(mode):
    token = generate_token04(
        APP_ID, "alice", SECRET, 3600, '{"k":1}', encryption=mode, now=NOW
    )

    claims = decode_token04(token, SECRET, now=NOW)

    assert (claims.app_id, claims.user_id, claims.payload) == (
        APP_ID,
        "alice",
        '{"k":1}',
    )
    assert (claims.ctime, claims.expire) == (NOW, NOW + 3600)
    assert claims.encryption == mode


@pytest.mark.parametrize("mode", MODES)
def test_round_trip_keeps_non_ascii_user_id_and_unicode_payload(mode):
    user_id = "用户" * 10 + "abcd"  # exactly 64 UTF-8 bytes
    payload = '{"greeting":"你好, ñandú 🎉"}'

    token = generate_token04(
        APP_ID, user_id, SECRET, 60, payload, encryption=mode, now=NOW
    )
    claims = decode_token04(token, SECRET, now=NOW)

    assert (claims.user_id, claims.payload) == (user_id, payload)


def test_default_encryption_is_gcm():
    token = generate_token04(APP_ID, "alice", SECRET, 60, now=NOW)

    assert decode_token04(token, SECRET, now=NOW).encryption == "gcm"
    assert split_layout(token)[3] == b"\x01"


def test_default_payload_is_empty():
    token = generate_token04(APP_ID, "alice", SECRET, 60, now=NOW)

    assert decode_token04(token, SECRET, now=NOW).payload == ""


def short_user_ids():
    text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=64)
    return text.filter(lambda user_id: len(user_id.encode()) <= 64)


@FAST
@given(
    app_id=st.integers(1, 2**32 - 1),
    user_id=short_user_ids(),
    effective_time=st.integers(1, 10**9),
    payload=st.text(st.characters(codec="utf-8"), max_size=300),
    mode=st.sampled_from(MODES),
)
def test_any_valid_arguments_round_trip(app_id, user_id, effective_time, payload, mode):
    token = generate_token04(
        app_id, user_id, SECRET, effective_time, payload, encryption=mode, now=NOW
    )

    claims = decode_token04(token, SECRET, now=NOW)

    assert (claims.app_id, claims.user_id, claims.payload) == (
        app_id,
        user_id,
        payload,
    )
    assert claims.expire == NOW + effective_time


def test_generate_without_now_stamps_the_current_time():
    before = int(time.time())
    token = generate_token04(APP_ID, "alice", SECRET, 3600)
    after = int(time.time())

    claims = decode_token04(token, SECRET)

    assert before <= claims.ctime <= after


# -- official SDK vectors --------------------------------------------------------


def test_official_sdk_vectors_decode_to_their_claims(vectors):
    assert vectors, "the vectors file lists no tokens"
    for number, vector in enumerate(vectors):
        claims = decode_token04(vector["token"], vector["secret"], now=vector["ctime"])

        decoded = (
            claims.app_id,
            claims.user_id,
            claims.nonce,
            claims.ctime,
            claims.expire,
            claims.payload,
            claims.encryption,
        )
        listed = tuple(
            vector[name]
            for name in (
                "app_id",
                "user_id",
                "nonce",
                "ctime",
                "expire",
                "payload",
                "mode",
            )
        )
        assert decoded == listed, f"vector {number} ({vector['source']})"


# -- our tokens, read by pycryptodome ------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_tokens_decrypt_with_an_independent_aes_implementation(mode):
    token = generate_token04(
        APP_ID, "alice", SECRET, 7200, '{"k":"v"}', encryption=mode, now=NOW
    )

    outer_expire, plaintext = oracle_decrypt(token, SECRET, mode)
    claims = json.loads(plaintext)

    assert set(claims) == CLAIM_NAMES
    assert (claims["app_id"], claims["user_id"], claims["payload"]) == (
        APP_ID,
        "alice",
        '{"k":"v"}',
    )
    assert (claims["ctime"], claims["expire"]) == (NOW, NOW + 7200)
    assert outer_expire == claims["expire"]


@pytest.mark.parametrize("mode", MODES)
def test_claims_json_is_compact_utf8_with_non_ascii_unescaped(mode):
    user_id = "ユーザー"
    payload = '{"note":"été"}'
    token = generate_token04(
        APP_ID, user_id, SECRET, 60, payload, encryption=mode, now=NOW
    )

    _, plaintext = oracle_decrypt(token, SECRET, mode)
    text = plaintext.decode("utf-8")

    assert user_id in text
    assert "été" in text
    assert "\\u" not in text
    compact = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    assert text == compact


@FAST
@given(
    user_id=short_user_ids(),
    payload=st.text(st.characters(codec="utf-8"), max_size=200),
    mode=st.sampled_from(MODES),
)
def test_claims_json_is_what_the_json_module_writes_for_any_text(
    user_id, payload, mode
):
    token = generate_token04(
        APP_ID, user_id, SECRET, 60, payload, encryption=mode, now=NOW
    )

    text = oracle_decrypt(token, SECRET, mode)[1].decode("utf-8")

    claims = json.loads(text)
    assert list(claims) == ["app_id", "user_id", "nonce", "ctime", "expire", "payload"]
    assert (claims["user_id"], claims["payload"]) == (user_id, payload)
    assert text == json.dumps(claims, separators=(",", ":"), ensure_ascii=False)


def test_json_nonce_is_drawn_from_0_to_2_31():
    for _ in range(40):
        token = generate_token04(APP_ID, "alice", SECRET, 60, now=NOW)
        nonce = json.loads(oracle_decrypt(token, SECRET, "gcm")[1])["nonce"]
        assert isinstance(nonce, int)
        assert 0 <= nonce < 2**31


@pytest.mark.parametrize("mode", MODES)
def test_tokens_do_not_follow_the_random_module_seed(mode):
    drawn = []
    for _ in range(2):
        random.seed(2024)
        token = generate_token04(APP_ID, "alice", SECRET, 60, encryption=mode, now=NOW)
        nonce_bytes = split_layout(token)[1]
        json_nonce = json.loads(oracle_decrypt(token, SECRET, mode)[1])["nonce"]
        drawn.append((nonce_bytes, json_nonce))

    assert drawn[0][0] != drawn[1][0]
    assert drawn[0][1] != drawn[1][1]


# -- tokens built by pycryptodome, read by us ----------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_token_built_independently_decodes(mode):
    token = good_oracle_token(mode)

    claims = decode_token04(token, SECRET, now=NOW)

    assert (claims.app_id, claims.user_id, claims.nonce) == (
        APP_ID,
        "oracle-user",
        424242,
    )
    assert (claims.ctime, claims.expire) == (NOW, NOW + 3600)
    assert claims.payload == '{"room_id":"r1"}'
    assert claims.encryption == mode


@pytest.mark.parametrize("nonce", [-(2**31), -1432553485, -1])
def test_negative_json_nonce_from_the_node_sdk_decodes(nonce):
    token = oracle_token(claims_json(nonce=nonce), "gcm", expire=NOW + 3600)

    assert decode_token04(token, SECRET, now=NOW).nonce == nonce


# -- bad tokens -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_byte_flipped_makes_the_token_invalid(mode):
    binary = to_binary(good_oracle_token(mode))

    for position in range(len(binary)):
        with pytest.raises(InvalidToken):
            decode_token04(from_binary(flip(binary, position, 0xFF)), SECRET, now=NOW)


@FAST
@given(data=st.data(), mask=st.integers(1, 255))
def test_any_bit_flips_in_a_gcm_token_make_it_invalid(data, mask):
    binary = to_binary(good_oracle_token("gcm"))
    position = data.draw(st.integers(0, len(binary) - 1))

    with pytest.raises(InvalidToken):
        decode_token04(from_binary(flip(binary, position, mask)), SECRET, now=NOW)


@FAST
@given(data=st.data(), mask=st.integers(1, 255))
def test_bit_flips_in_a_cbc_token_raise_nothing_but_invalid_token(data, mask):
    # Legacy CBC has no authentication tag: a flip in the IV can turn one
    # digit into another and still decode. It must never crash, though.
    binary = to_binary(good_oracle_token("cbc"))
    position = data.draw(st.integers(0, len(binary) - 1))

    with contextlib.suppress(InvalidToken):
        decode_token04(from_binary(flip(binary, position, mask)), SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
def test_every_truncated_binary_makes_the_token_invalid(mode):
    binary = to_binary(good_oracle_token(mode))

    for length in range(len(binary)):
        with pytest.raises(InvalidToken):
            decode_token04(from_binary(binary[:length]), SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
def test_every_prefix_of_the_token_string_is_invalid(mode):
    token = generate_token04(APP_ID, "alice", SECRET, 60, encryption=mode, now=NOW)

    for length in range(len(token)):
        with pytest.raises(InvalidToken):
            decode_token04(token[:length], SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
def test_token_made_with_another_secret_is_invalid(mode):
    token = generate_token04(
        APP_ID, "alice", OTHER_SECRET, 60, encryption=mode, now=NOW
    )

    with pytest.raises(InvalidToken):
        decode_token04(token, SECRET, now=NOW)


@FAST
@given(text=st.text())
def test_arbitrary_text_is_an_invalid_token(text):
    with pytest.raises(InvalidToken):
        decode_token04(text, SECRET, now=NOW)


@FAST
@given(text=st.text())
def test_arbitrary_text_after_the_version_is_an_invalid_token(text):
    with pytest.raises(InvalidToken):
        decode_token04("04" + text, SECRET, now=NOW)


@FAST
@given(binary=st.binary(max_size=300))
def test_arbitrary_bytes_after_the_version_are_an_invalid_token(binary):
    with pytest.raises(InvalidToken):
        decode_token04(from_binary(binary), SECRET, now=NOW)


BAD_BASE64 = {
    "padding removed": lambda body: body.rstrip("="),
    "character outside the alphabet": lambda body: body[:10] + "!" + body[11:],
    "space inside": lambda body: body[:10] + " " + body[10:],
    "newline after": lambda body: body + "\n",
    "url-safe alphabet": lambda body: "-_" + body[2:],
    "non-ASCII character": lambda body: body[:-1] + "é",
}


@pytest.mark.parametrize("spoil", BAD_BASE64.values(), ids=BAD_BASE64.keys())
def test_bad_base64_is_an_invalid_token(spoil):
    token = good_oracle_token("gcm")

    with pytest.raises(InvalidToken):
        decode_token04("04" + spoil(token[2:]), SECRET, now=NOW)


@pytest.mark.parametrize("version", ["", "03", "05", "4", "004", "\uff144"])
def test_wrong_version_prefix_is_an_invalid_token(version):
    token = good_oracle_token("gcm")

    with pytest.raises(InvalidToken):
        decode_token04(version + token[2:], SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("difference", [-1, 1, 10**6])
def test_outer_expire_differing_from_inner_is_an_invalid_token(mode, difference):
    token = oracle_token(claims_json(), mode, expire=NOW + 3600 + difference)

    with pytest.raises(InvalidToken):
        decode_token04(token, SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("junk", [b"\x00", b"\x01", b"junk", b"\x01\x01"])
def test_trailing_junk_is_an_invalid_token(mode, junk):
    binary = to_binary(good_oracle_token(mode))

    with pytest.raises(InvalidToken):
        decode_token04(from_binary(binary + junk), SECRET, now=NOW)


@pytest.mark.parametrize("mode", MODES)
def test_gcm_and_cbc_layouts_cannot_be_swapped(mode):
    binary = to_binary(good_oracle_token(mode))
    swapped = binary[:-1] if mode == "gcm" else binary + b"\x01"

    with pytest.raises(InvalidToken):
        decode_token04(from_binary(swapped), SECRET, now=NOW)


@pytest.mark.parametrize(
    "plaintext",
    [
        b"",
        b"not json",
        b"[1,2,3]",
        b'"a string"',
        b"\xff\xfe{}",
        claims_json(app_id="123"),
        claims_json(app_id=0),
        claims_json(app_id=2**32),
        claims_json(user_id=None),
        claims_json(nonce=2**31),
        claims_json(nonce=1.5),
        claims_json(ctime="now"),
        claims_json(payload={"room_id": "r1"}),
        json.dumps({"app_id": APP_ID, "expire": NOW + 3600}).encode(),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_malformed_claims_are_an_invalid_token(plaintext, mode):
    token = oracle_token(plaintext, mode, expire=NOW + 3600)

    with pytest.raises(InvalidToken):
        decode_token04(token, SECRET, now=NOW)


@pytest.mark.parametrize("token", [None, 4, ["04"]])
def test_non_string_token_is_an_invalid_token(token):
    with pytest.raises(InvalidToken):
        decode_token04(token, SECRET, now=NOW)


def test_invalid_token_does_not_say_which_check_failed():
    good = good_oracle_token("gcm")
    binary = to_binary(good)
    bad_tokens = [
        generate_token04(APP_ID, "alice", OTHER_SECRET, 60, now=NOW),
        from_binary(flip(binary, len(binary) - 5, 0x01)),
        from_binary(binary[:-3]),
        good[:-2],
        "03" + good[2:],
        oracle_token(claims_json(), "gcm", expire=NOW + 1),
        oracle_token(b"not json", "gcm", expire=NOW + 3600),
    ]

    errors = []
    for token in bad_tokens:
        with pytest.raises(InvalidToken) as caught:
            decode_token04(token, SECRET, now=NOW)
        errors.append((type(caught.value), str(caught.value)))

    assert set(errors) == {(InvalidToken, str(InvalidToken()))}


# -- expiry -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_token_is_valid_just_before_expire(mode):
    token = generate_token04(APP_ID, "alice", SECRET, 60, encryption=mode, now=NOW)

    assert decode_token04(token, SECRET, now=NOW + 59).expire == NOW + 60
    assert decode_token04(token, SECRET, now=NOW + 59.999).expire == NOW + 60


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("late", [0, 0.5, 10**6])
def test_token_is_expired_from_its_expire_time(mode, late):
    token = generate_token04(APP_ID, "alice", SECRET, 60, encryption=mode, now=NOW)

    with pytest.raises(ExpiredToken):
        decode_token04(token, SECRET, now=NOW + 60 + late)


def test_expired_token_carries_its_claims():
    token = generate_token04(APP_ID, "alice", SECRET, 60, '{"k":1}', now=NOW)

    with pytest.raises(ExpiredToken) as caught:
        decode_token04(token, SECRET, now=NOW + 61)

    expected = decode_token04(token, SECRET, now=NOW)
    assert caught.value.claims == expected


def test_expired_token_is_an_invalid_token():
    token = generate_token04(APP_ID, "alice", SECRET, 60, now=NOW)

    with pytest.raises(InvalidToken):
        decode_token04(token, SECRET, now=NOW + 60)


def test_verify_expiry_false_returns_the_claims_of_an_expired_token():
    token = generate_token04(APP_ID, "alice", SECRET, 60, now=NOW)

    claims = decode_token04(token, SECRET, now=NOW + 10**6, verify_expiry=False)

    assert (claims.user_id, claims.expire) == ("alice", NOW + 60)


def test_decode_without_now_reads_the_clock():
    long_ago = 1_000_000_000
    token = generate_token04(APP_ID, "alice", SECRET, 60, now=long_ago)

    with pytest.raises(ExpiredToken):
        decode_token04(token, SECRET)


def test_verify_expiry_false_still_rejects_a_tampered_token():
    binary = to_binary(good_oracle_token("gcm"))

    with pytest.raises(InvalidToken):
        decode_token04(from_binary(flip(binary, 30, 0x01)), SECRET, verify_expiry=False)


# -- argument rules ---------------------------------------------------------------


def generate(**changes):
    arguments = {
        "app_id": APP_ID,
        "user_id": "alice",
        "secret": SECRET,
        "effective_time": 60,
        "payload": "",
    }
    arguments.update(changes)
    return generate_token04(**arguments, now=NOW)


@pytest.mark.parametrize("app_id", [0, -1, 2**32, True, "1", 1.0, None])
def test_app_id_out_of_range_or_not_int_is_rejected_by_name(app_id):
    with pytest.raises(InvalidArgument, match="app_id"):
        generate(app_id=app_id)


@pytest.mark.parametrize("app_id", [1, 2**32 - 1])
def test_app_id_range_ends_are_accepted(app_id):
    assert decode_token04(generate(app_id=app_id), SECRET, now=NOW).app_id == app_id


@pytest.mark.parametrize(
    "user_id",
    ["", "a" * 65, "é" * 32 + "a", "用户" * 10 + "abcde", None, b"alice", 42],
)
def test_user_id_empty_too_long_or_not_str_is_rejected_by_name(user_id):
    with pytest.raises(InvalidArgument, match="user_id"):
        generate(user_id=user_id)


@pytest.mark.parametrize("user_id", ["\ud800", "alice\udfff"])
def test_user_id_that_is_not_valid_utf8_is_rejected_by_name(user_id):
    with pytest.raises(InvalidArgument, match="user_id"):
        generate(user_id=user_id)


@pytest.mark.parametrize("user_id", ["a" * 64, "é" * 32, "🎉" * 16])
def test_user_id_of_64_utf8_bytes_is_accepted(user_id):
    assert decode_token04(generate(user_id=user_id), SECRET, now=NOW).user_id == user_id


BAD_SECRETS = [
    SECRET[:31],
    SECRET + "x",
    "é" + SECRET[1:],
    "",
    SECRET.encode(),
    None,
    [SECRET],
]


@pytest.mark.parametrize("secret", BAD_SECRETS)
def test_secret_not_32_ascii_characters_is_rejected_by_name_when_generating(secret):
    with pytest.raises(InvalidArgument, match="secret"):
        generate(secret=secret)


@pytest.mark.parametrize("secret", BAD_SECRETS)
def test_secret_not_32_ascii_characters_is_rejected_by_name_when_decoding(secret):
    token = generate()

    with pytest.raises(InvalidArgument, match="secret"):
        decode_token04(token, secret, now=NOW)


@pytest.mark.parametrize("effective_time", [0, -1, 1.5, 60.0, True, "60", None])
def test_effective_time_not_a_positive_int_is_rejected_by_name(effective_time):
    with pytest.raises(InvalidArgument, match="effective_time"):
        generate(effective_time=effective_time)


def test_effective_time_of_one_second_is_accepted():
    claims = decode_token04(generate(effective_time=1), SECRET, now=NOW)

    assert claims.expire == NOW + 1


@pytest.mark.parametrize("payload", [None, b"{}", {"room_id": "r1"}, 1, "\udc00"])
def test_payload_not_a_valid_str_is_rejected_by_name(payload):
    with pytest.raises(InvalidArgument, match="payload"):
        generate(payload=payload)


@pytest.mark.parametrize("mode", MODES)
def test_payload_too_long_for_the_ciphertext_length_is_rejected_by_name(mode):
    with pytest.raises(InvalidArgument, match="payload"):
        generate_token04(
            APP_ID, "alice", SECRET, 60, "x" * 65_535, encryption=mode, now=NOW
        )


@pytest.mark.parametrize("mode", MODES)
def test_large_payload_that_fits_the_ciphertext_length_round_trips(mode):
    payload = "x" * 65_000
    token = generate_token04(
        APP_ID, "alice", SECRET, 60, payload, encryption=mode, now=NOW
    )

    assert decode_token04(token, SECRET, now=NOW).payload == payload


@pytest.mark.parametrize("encryption", ["ecb", "GCM ", "", None])
def test_unknown_encryption_is_rejected_by_name(encryption):
    with pytest.raises(InvalidArgument, match="encryption"):
        generate_token04(APP_ID, "alice", SECRET, 60, encryption=encryption, now=NOW)


def test_argument_errors_are_value_errors():
    with pytest.raises(ValueError, match="app_id"):
        generate(app_id=0)


def test_int_subclasses_are_written_as_plain_integers():
    class Shouty(int):
        def __format__(self, spec):
            return "bogus"

    token = generate_token04(Shouty(APP_ID), "alice", SECRET, Shouty(60), now=NOW)

    claims = json.loads(oracle_decrypt(token, SECRET, "gcm")[1])
    assert (claims["app_id"], claims["expire"]) == (APP_ID, NOW + 60)
