"""The exceptions raised by the token04 library."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zego_token.token04 import TokenClaims


class ZegoTokenError(Exception):
    """Base class of every error this library raises."""


class InvalidArgument(ZegoTokenError, ValueError):
    """An argument breaks a rule; the message names the argument and the rule."""


class InvalidToken(ZegoTokenError):
    """The token is malformed, tampered with, or made with another server secret."""


class ExpiredToken(InvalidToken):
    """The token is genuine but its expire time has passed."""

    def __init__(self, claims: TokenClaims) -> None:
        super().__init__("token expired")
        self.claims = claims
