"""ZEGO token04: generate and decode the tokens ZEGO's client SDKs log in with.

No web framework, no environment, no logging: pure functions of their
arguments, with ``now=`` in place of the clock where time matters.
"""

from zego_token.errors import (
    ExpiredToken,
    InvalidArgument,
    InvalidToken,
    ZegoTokenError,
)
from zego_token.privilege import build_privilege_payload
from zego_token.token04 import (
    ENCRYPTIONS,
    Encryption,
    Token04,
    TokenClaims,
    decode_token04,
    generate_token04,
)

__all__ = [
    "ENCRYPTIONS",
    "Encryption",
    "ExpiredToken",
    "InvalidArgument",
    "InvalidToken",
    "Token04",
    "TokenClaims",
    "ZegoTokenError",
    "build_privilege_payload",
    "decode_token04",
    "generate_token04",
]
