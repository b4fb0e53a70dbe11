"""Generate and decode ZEGO token04 tokens.

A token04 is ``"04"`` followed by the standard base64 of::

    expire (int64) | nonce length (uint16) | nonce | ciphertext length (uint16)
    | ciphertext | mode byte (GCM only)

all big-endian. The ciphertext is AES-256 (key: the 32-character server
secret) of the compact JSON claims. GCM tokens carry a 12-byte nonce, a
16-byte tag at the end of the ciphertext and the mode byte ``0x01``; legacy
CBC tokens carry a 16-byte IV, PKCS#7 padding and no mode byte.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import struct
import time
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zego_token.errors import ExpiredToken, InvalidArgument, InvalidToken

Encryption = Literal["gcm", "cbc"]

VERSION = "04"
ENCRYPTIONS: tuple[Encryption, ...] = ("gcm", "cbc")
MAX_APP_ID = 2**32 - 1
MAX_USER_ID_BYTES = 64
SERVER_SECRET_LENGTH = 32

_EXPIRE = struct.Struct(">q")
_LENGTH = struct.Struct(">H")
_GCM_MODE = b"\x01"
_GCM_NONCE_SIZE = 12
_GCM_TAG_SIZE = 16
_CBC_IV_SIZE = 16
_MAX_EXPIRE = 2**63 - 1
_MAX_CIPHERTEXT = 2**16 - 1
_INT32 = range(-(2**31), 2**31)
_CLAIM_TYPES = {
    "app_id": int,
    "user_id": str,
    "nonce": int,
    "ctime": int,
    "expire": int,
    "payload": str,
}


@dataclass(frozen=True)
class TokenClaims:
    """What a token04 says, once decrypted."""

    app_id: int
    user_id: str
    nonce: int
    ctime: int
    expire: int
    payload: str
    encryption: Encryption


class Token04:
    """Generates and decodes token04 tokens for one server secret.

    The AES key objects are built once here and reused for every token.
    """

    def __init__(self, server_secret: str) -> None:
        key = check_server_secret(server_secret)
        self._aesgcm = AESGCM(key)
        self._aes = algorithms.AES(key)

    def generate(
        self,
        app_id: int,
        user_id: str,
        effective_time: int,
        payload: str = "",
        *,
        encryption: Encryption = "gcm",
        now: float | None = None,
    ) -> str:
        """Return a token04 for ``user_id`` valid ``effective_time`` seconds."""
        app_id = check_app_id(app_id)
        check_user_id(user_id)
        effective_time = check_effective_time(effective_time)
        if not isinstance(payload, str):
            raise InvalidArgument("payload must be a str")
        _utf8(payload, "payload")
        if encryption not in ENCRYPTIONS:
            raise InvalidArgument("encryption must be 'gcm' or 'cbc'")

        ctime = int(time.time() if now is None else now)
        expire = ctime + effective_time
        if expire > _MAX_EXPIRE:
            raise InvalidArgument("effective_time is too large")
        nonce_size = _GCM_NONCE_SIZE if encryption == "gcm" else _CBC_IV_SIZE
        random = os.urandom(nonce_size + 4)
        nonce = random[:nonce_size]
        claim_nonce = int.from_bytes(random[nonce_size:], "big") & 0x7FFFFFFF
        plaintext = _claims_json(
            app_id, user_id, claim_nonce, ctime, expire, payload
        ).encode()

        if encryption == "gcm":
            ciphertext = self._aesgcm.encrypt(nonce, plaintext, None)
            mode = _GCM_MODE
        else:
            ciphertext = self._encrypt_cbc(nonce, plaintext)
            mode = b""
        if len(ciphertext) > _MAX_CIPHERTEXT:
            raise InvalidArgument("payload is too long for a token04")

        binary = b"".join(
            (
                _EXPIRE.pack(expire),
                _LENGTH.pack(nonce_size),
                nonce,
                _LENGTH.pack(len(ciphertext)),
                ciphertext,
                mode,
            )
        )
        return VERSION + binascii.b2a_base64(binary, newline=False).decode("ascii")

    def decode(
        self,
        token: str,
        *,
        now: float | None = None,
        verify_expiry: bool = True,
    ) -> TokenClaims:
        """Decrypt and check ``token``; raise InvalidToken if it is not genuine."""
        if not isinstance(token, str) or not token.startswith(VERSION):
            raise InvalidToken
        try:
            binary = base64.b64decode(token[len(VERSION) :], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidToken from None

        expire, nonce, ciphertext, rest = _split(binary)
        if rest == _GCM_MODE and len(nonce) == _GCM_NONCE_SIZE:
            encryption: Encryption = "gcm"
            plaintext = self._decrypt_gcm(nonce, ciphertext)
        elif rest == b"" and len(nonce) == _CBC_IV_SIZE:
            encryption = "cbc"
            plaintext = self._decrypt_cbc(nonce, ciphertext)
        else:
            raise InvalidToken

        claims = _parse_claims(plaintext, encryption)
        if claims.expire != expire:
            raise InvalidToken
        if verify_expiry:
            current_time = time.time() if now is None else now
            if current_time >= claims.expire:
                raise ExpiredToken(claims)
        return claims

    def _encrypt_cbc(self, iv: bytes, plaintext: bytes) -> bytes:
        padder = padding.PKCS7(algorithms.AES.block_size).padder()
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = Cipher(self._aes, modes.CBC(iv)).encryptor()
        return encryptor.update(padded) + encryptor.finalize()

    def _decrypt_gcm(self, nonce: bytes, ciphertext: bytes) -> bytes:
        try:
            return self._aesgcm.decrypt(nonce, ciphertext, None)
        except InvalidTag:
            raise InvalidToken from None

    def _decrypt_cbc(self, iv: bytes, ciphertext: bytes) -> bytes:
        if not ciphertext or len(ciphertext) % _CBC_IV_SIZE:
            raise InvalidToken
        decryptor = Cipher(self._aes, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
        try:
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise InvalidToken from None


def generate_token04(
    app_id: int,
    user_id: str,
    secret: str,
    effective_time: int,
    payload: str = "",
    *,
    encryption: Encryption = "gcm",
    now: float | None = None,
) -> str:
    """Return a token04 for ``user_id``, made with the server secret ``secret``."""
    return _codec(secret).generate(
        app_id, user_id, effective_time, payload, encryption=encryption, now=now
    )


def decode_token04(
    token: str,
    secret: str,
    *,
    now: float | None = None,
    verify_expiry: bool = True,
) -> TokenClaims:
    """Decrypt and check a token04 made with the server secret ``secret``."""
    return _codec(secret).decode(token, now=now, verify_expiry=verify_expiry)


def check_app_id(app_id: object) -> int:
    """Return ``app_id`` if it is a valid ZEGO app ID, else raise InvalidArgument."""
    if (
        not isinstance(app_id, int)
        or isinstance(app_id, bool)
        or not 1 <= app_id <= MAX_APP_ID
    ):
        raise InvalidArgument(f"app_id must be an integer from 1 to {MAX_APP_ID}")
    return int(app_id)


def check_user_id(user_id: object) -> str:
    """Return ``user_id`` if it is a non-empty str of at most 64 UTF-8 bytes."""
    if not isinstance(user_id, str) or not user_id:
        raise InvalidArgument("user_id must be a non-empty str")
    if len(_utf8(user_id, "user_id")) > MAX_USER_ID_BYTES:
        raise InvalidArgument(f"user_id must be at most {MAX_USER_ID_BYTES} bytes")
    return user_id


def check_server_secret(secret: object) -> bytes:
    """Return the AES key of a server secret of exactly 32 ASCII characters."""
    if (
        not isinstance(secret, str)
        or len(secret) != SERVER_SECRET_LENGTH
        or not secret.isascii()
    ):
        raise InvalidArgument(
            f"secret must be exactly {SERVER_SECRET_LENGTH} ASCII characters"
        )
    return secret.encode("ascii")


def check_effective_time(effective_time: object) -> int:
    """Return ``effective_time`` if it is a positive int of seconds."""
    if (
        not isinstance(effective_time, int)
        or isinstance(effective_time, bool)
        or effective_time <= 0
    ):
        raise InvalidArgument("effective_time must be a positive integer of seconds")
    return int(effective_time)


def _codec(secret: str) -> Token04:
    check_server_secret(secret)
    return _cached_codec(secret)


def _claims_json(
    app_id: int, user_id: str, nonce: int, ctime: int, expire: int, payload: str
) -> str:
    # Compact JSON with non-ASCII left as it is, the same text as json.dumps
    # with separators=(",", ":") and ensure_ascii=False gives, at a sixth of
    # the cost: the integers are plain ints, the strings go through the
    # json module's own string encoder.
    return (
        f'{{"app_id":{app_id},"user_id":{_json_string(user_id)},'
        f'"nonce":{nonce},"ctime":{ctime},"expire":{expire},'
        f'"payload":{_json_string(payload)}}}'
    )


@functools.lru_cache(maxsize=16)
def _cached_codec(secret: str) -> Token04:
    return Token04(secret)


def _utf8(text: str, name: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(
            f"{name} must be valid Unicode text, without lone surrogates"
        ) from None


def _split(binary: bytes) -> tuple[int, bytes, bytes, bytes]:
    try:
        (expire,) = _EXPIRE.unpack_from(binary, 0)
        offset = _EXPIRE.size
        (nonce_length,) = _LENGTH.unpack_from(binary, offset)
        offset += _LENGTH.size
        nonce = binary[offset : offset + nonce_length]
        offset += nonce_length
        (ciphertext_length,) = _LENGTH.unpack_from(binary, offset)
        offset += _LENGTH.size
    except struct.error:
        raise InvalidToken from None
    ciphertext = binary[offset : offset + ciphertext_length]
    if len(ciphertext) != ciphertext_length:
        raise InvalidToken
    return expire, nonce, ciphertext, binary[offset + ciphertext_length :]


def _parse_claims(plaintext: bytes, encryption: Encryption) -> TokenClaims:
    try:
        claims = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidToken from None
    if not isinstance(claims, dict):
        raise InvalidToken
    for name, kind in _CLAIM_TYPES.items():
        value = claims.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidToken
    if not 1 <= claims["app_id"] <= MAX_APP_ID or claims["nonce"] not in _INT32:
        raise InvalidToken
    return TokenClaims(
        app_id=claims["app_id"],
        user_id=claims["user_id"],
        nonce=claims["nonce"],
        ctime=claims["ctime"],
        expire=claims["expire"],
        payload=claims["payload"],
        encryption=encryption,
    )
