"""A bearer token for the HTTP transport, through the MCP SDK's ``TokenVerifier``.

Anyone who can use the server can spend the API key it holds, and the Host and Origin checks only
stop web pages (DNS rebinding), not other machines. So off loopback the server does not start
without a token, and every request must carry ``Authorization: Bearer <token>``; without it (or
with another token) the SDK's middleware answers 401 before any MCP message is read.

The token is a shared secret, not an OAuth grant: it is compared in constant time (of its
SHA-256, so that its length does not show either), and it appears in no log line, repr or answer
(the :class:`AccessToken` the SDK keeps for the request holds a placeholder).
"""

from __future__ import annotations

import hashlib
import hmac

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

__all__ = ["MIN_TOKEN_LENGTH", "TOKEN_ENV", "StaticTokenVerifier", "auth_settings"]

#: Where ``audiencelab mcp`` reads the token when ``--token`` is not given.
TOKEN_ENV = "AUDIENCELAB_MCP_TOKEN"
#: Shorter tokens are refused: a token is the only lock on the API key.
MIN_TOKEN_LENGTH = 16
_CLIENT_ID = "audiencelab-mcp-bearer"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class StaticTokenVerifier:
    """A ``TokenVerifier`` that accepts exactly one token."""

    def __init__(self, token: str) -> None:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the token must be at least {MIN_TOKEN_LENGTH} characters long")
        self._digest = _digest(token)

    def __repr__(self) -> str:
        return "StaticTokenVerifier(token=[hidden])"

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(_digest(token), self._digest):
            return None
        return AccessToken(token="[bearer token hidden]", client_id=_CLIENT_ID, scopes=[])


def auth_settings() -> AuthSettings:
    """The SDK's settings for a resource server that checks a bearer token itself.

    No OAuth discovery document is published (``resource_server_url`` is None): there is no
    authorization server to discover, the token is configured in the client by hand. The issuer
    the settings require is only used in that document, so it is never shown.
    """
    return AuthSettings(issuer_url="http://localhost", resource_server_url=None)
