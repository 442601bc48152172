"""Checking that a webhook delivery comes from the sender that knows the secret.

Two schemes are described for AudienceLab, both by third parties only (reference §6.6; the
service's own documentation does not say, and tells readers to confirm with support):

``"secret"``
    The secret itself in ``x-audiencelab-secret``.
``"hmac-sha256"``
    ``x-audiencelab-signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed by the
    secret>``.

``"auto"`` (the default) checks the signature when the header is there, else the secret header.
Every comparison is in constant time. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from audiencelab._exceptions import ConfigurationError, WebhookSignatureError

__all__ = [
    "SCHEMES",
    "SECRET_HEADER",
    "SIGNATURE_HEADER",
    "Scheme",
    "check_settings",
    "signature_headers",
    "verify",
]

SECRET_HEADER = "x-audiencelab-secret"
SIGNATURE_HEADER = "x-audiencelab-signature"
Scheme = Literal["auto", "secret", "hmac-sha256"]
SCHEMES: tuple[Scheme, ...] = ("auto", "secret", "hmac-sha256")
_SIGNATURE = re.compile(r"^sha256=([0-9a-f]{64})$", re.IGNORECASE)

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]


def _values(headers: HeadersLike, name: str) -> list[str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [str(v).strip() for k, v in pairs if str(k).lower() == name]


def _one(headers: HeadersLike, name: str) -> str | None:
    values = _values(headers, name)
    if len(values) > 1 and len(set(values)) > 1:
        raise WebhookSignatureError(
            f"the delivery has {len(values)} different {name} headers: a sender sends one",
            reason="malformed_header",
            header=name,
        )
    return values[0] if values else None


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes) or not secret:
        raise ConfigurationError(
            "the webhook secret is empty: pass the pixel's secret (the sandbox shows it in GET "
            "/_sandbox/deliveries and on `audiencelab sandbox trigger`)",
            setting="secret",
        )
    return secret


def _body(body: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"verify() needs the request's exact body bytes (got {type(body).__name__}): a "
            "re-encoded body does not have the same signature"
        )
    return bytes(body)


def _check_signature(body: bytes, value: str, key: bytes) -> None:
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    candidates = [part.strip() for part in value.split(",") if part.strip()]
    matches = [_SIGNATURE.match(c) for c in candidates]
    if not candidates or not all(matches):
        raise WebhookSignatureError(
            f"the {SIGNATURE_HEADER} header is not of the form sha256=<64 hex digits>",
            reason="malformed_header",
            header=SIGNATURE_HEADER,
        )
    ok = False
    for match in matches:
        assert match is not None
        ok |= hmac.compare_digest(match.group(1).lower(), expected)
    if not ok:
        raise WebhookSignatureError(
            f"the {SIGNATURE_HEADER} header does not match the body: the delivery was signed "
            "with another secret, or its body was changed on the way (verify the exact bytes "
            "received, before any parsing)",
            reason="wrong_signature",
            header=SIGNATURE_HEADER,
        )


def _check_secret(value: str, key: bytes) -> None:
    if not hmac.compare_digest(value.encode("utf-8", "surrogateescape"), key):
        raise WebhookSignatureError(
            f"the {SECRET_HEADER} header is not this pixel's secret (is the receiver configured "
            "with the secret of another pixel?)",
            reason="wrong_secret",
            header=SECRET_HEADER,
        )


def check_settings(secret: str | bytes | None, scheme: str) -> None:
    """Refuse an unknown scheme or an empty secret (None: no verification) before any delivery."""
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"scheme must be one of {', '.join(SCHEMES)} (got {scheme!r})", setting="scheme"
        )
    if secret is not None:
        _key(secret)


def verify(
    body: bytes | bytearray | memoryview,
    headers: HeadersLike,
    secret: str | bytes,
    *,
    scheme: Scheme = "auto",
) -> Scheme:
    """Check one delivery's signature; return the scheme that checked it.

    ``body`` is the exact bytes received; ``headers`` the request's headers (any case); ``scheme``
    ``"auto"``, ``"secret"`` or ``"hmac-sha256"`` (see the module; the service's real scheme is
    unconfirmed). Raises :class:`~audiencelab.WebhookSignatureError` whose ``reason`` is
    ``missing_header``, ``wrong_secret``, ``wrong_signature`` or ``malformed_header``.
    """
    check_settings(secret, scheme)
    key = _key(secret)
    raw = _body(body)
    signature = _one(headers, SIGNATURE_HEADER) if scheme != "secret" else None
    if signature is not None:
        _check_signature(raw, signature, key)
        return "hmac-sha256"
    given = _one(headers, SECRET_HEADER) if scheme != "hmac-sha256" else None
    if given is not None:
        _check_secret(given, key)
        return "secret"
    wanted = {
        "auto": f"{SIGNATURE_HEADER} or {SECRET_HEADER}",
        "secret": SECRET_HEADER,
        "hmac-sha256": SIGNATURE_HEADER,
    }[scheme]
    raise WebhookSignatureError(
        f"the delivery has no {wanted} header: it is unsigned, or the sender uses another scheme "
        "(scheme=... selects one)",
        reason="missing_header",
        header=SIGNATURE_HEADER if scheme != "secret" else SECRET_HEADER,
    )


def signature_headers(
    body: bytes, secret: str | bytes, *, scheme: Scheme = "hmac-sha256"
) -> dict[str, str]:
    """The headers a sender adds to sign ``body`` with ``secret`` (for tests and forwarders);
    ``"auto"`` adds both."""
    key = _key(secret)
    headers: dict[str, str] = {}
    if scheme in ("hmac-sha256", "auto"):
        digest = hmac.new(key, _body(body), hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    if scheme in ("secret", "auto"):
        headers[SECRET_HEADER] = key.decode("utf-8", "surrogateescape")
    return headers
