"""verify and signature_headers: a signed delivery verifies; a missing header, a wrong secret and
a wrong signature each give their own clear error; the secret is never in a message."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from audiencelab import AudienceLabError, ConfigurationError, WebhookSignatureError
from audiencelab.webhooks import SECRET_HEADER, SIGNATURE_HEADER, signature_headers, verify

BODY = b'[{"pixel_id":"px_1","event_type":"page_view"}]'
SECRET = "whsec_0123456789abcdef"


def _hmac(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _refused(headers: object, **kwargs: object) -> WebhookSignatureError:
    with pytest.raises(WebhookSignatureError) as info:
        verify(kwargs.pop("body", BODY), headers, kwargs.pop("secret", SECRET), **kwargs)  # type: ignore[arg-type]
    assert SECRET not in str(info.value)
    assert isinstance(info.value, AudienceLabError)
    return info.value


def test_a_signed_delivery_verifies_in_either_scheme() -> None:
    assert verify(BODY, {SIGNATURE_HEADER: _hmac(BODY, SECRET)}, SECRET) == "hmac-sha256"
    assert verify(BODY, {SECRET_HEADER: SECRET}, SECRET) == "secret"
    # headers in any case, as a list of pairs, the hex in upper case, bytes secrets
    upper = {"X-AudienceLab-Signature": _hmac(BODY, SECRET).upper().replace("SHA256", "sha256")}
    assert verify(BODY, upper, SECRET.encode()) == "hmac-sha256"
    assert verify(BODY, [("X-Audiencelab-Secret", SECRET)], SECRET) == "secret"
    assert verify(bytearray(BODY), signature_headers(BODY, SECRET), SECRET) == "hmac-sha256"


def test_signature_headers_are_what_verify_checks() -> None:
    assert signature_headers(BODY, SECRET) == {SIGNATURE_HEADER: _hmac(BODY, SECRET)}
    assert signature_headers(BODY, SECRET, scheme="secret") == {SECRET_HEADER: SECRET}
    both = signature_headers(BODY, SECRET, scheme="auto")
    assert set(both) == {SIGNATURE_HEADER, SECRET_HEADER}


def test_a_missing_header_is_its_own_error() -> None:
    err = _refused({"content-type": "application/json"})
    assert err.reason == "missing_header"
    assert SIGNATURE_HEADER in str(err)
    assert SECRET_HEADER in str(err)
    err = _refused({SECRET_HEADER: SECRET}, scheme="hmac-sha256")
    assert err.reason == "missing_header"
    assert err.header == SIGNATURE_HEADER
    assert SECRET_HEADER not in str(err).split("no ")[1].split(" header")[0]
    err = _refused({SIGNATURE_HEADER: _hmac(BODY, SECRET)}, scheme="secret")
    assert err.reason == "missing_header"
    assert err.header == SECRET_HEADER


def test_a_wrong_secret_is_its_own_error() -> None:
    err = _refused({SECRET_HEADER: SECRET + "x"})
    assert err.reason == "wrong_secret"
    assert err.header == SECRET_HEADER
    assert "not this pixel's secret" in str(err)
    assert _refused({SECRET_HEADER: SECRET[:-1]}).reason == "wrong_secret"


def test_a_wrong_signature_is_its_own_error() -> None:
    err = _refused({SIGNATURE_HEADER: _hmac(BODY, "another secret")})
    assert err.reason == "wrong_signature"
    assert err.header == SIGNATURE_HEADER
    assert "does not match the body" in str(err)
    changed = BODY.replace(b"page_view", b"page_vieW")
    assert _refused({SIGNATURE_HEADER: _hmac(BODY, SECRET)}, body=changed).reason == (
        "wrong_signature"
    )
    # the signature header wins over a right secret header: both must not be mixed up
    mixed = {SIGNATURE_HEADER: _hmac(BODY, "nope"), SECRET_HEADER: SECRET}
    assert _refused(mixed).reason == "wrong_signature"


def test_one_of_several_signatures_may_match_rotation() -> None:
    value = f"{_hmac(BODY, 'old')}, {_hmac(BODY, SECRET)}"
    assert verify(BODY, {SIGNATURE_HEADER: value}, SECRET) == "hmac-sha256"
    assert _refused({SIGNATURE_HEADER: f"{_hmac(BODY, 'a')},{_hmac(BODY, 'b')}"}).reason == (
        "wrong_signature"
    )


@pytest.mark.parametrize(
    "value", ["", "md5=abc", "sha256=xyz", "sha256=" + "a" * 63, _hmac(BODY, SECRET)[7:], "sha256="]
)
def test_a_malformed_signature_header(value: str) -> None:
    err = _refused({SIGNATURE_HEADER: value})
    assert err.reason == "malformed_header"
    assert "sha256=<64 hex digits>" in str(err)


def test_two_different_headers_of_one_name_are_refused() -> None:
    pairs = [(SECRET_HEADER, SECRET), (SECRET_HEADER, "other")]
    err = _refused(pairs)
    assert err.reason == "malformed_header"
    assert verify(BODY, [(SECRET_HEADER, SECRET), (SECRET_HEADER, SECRET)], SECRET) == "secret"


def test_settings_and_arguments_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="secret is empty") as info:
        verify(BODY, {SECRET_HEADER: ""}, "")
    assert info.value.setting == "secret"
    with pytest.raises(ConfigurationError, match="scheme must be one of") as info:
        verify(BODY, {}, SECRET, scheme="md5")  # type: ignore[arg-type]
    assert info.value.setting == "scheme"
    with pytest.raises(TypeError, match="exact body bytes"):
        verify(BODY.decode(), {}, SECRET)  # type: ignore[arg-type]


def test_the_matching_signature_may_come_first_too() -> None:
    value = f"{_hmac(BODY, SECRET)},{_hmac(BODY, 'old')}"
    assert verify(BODY, {SIGNATURE_HEADER: value}, SECRET) == "hmac-sha256"


def test_errors_name_their_header() -> None:
    assert _refused({SIGNATURE_HEADER: "md5=1"}).header == SIGNATURE_HEADER
    pairs = [(SECRET_HEADER, "a"), (SECRET_HEADER, "b")]
    assert _refused(pairs).header == SECRET_HEADER
    assert _refused({SIGNATURE_HEADER: _hmac(BODY, "x")}).header == SIGNATURE_HEADER


def test_a_header_value_that_is_not_text_is_a_wrong_secret_not_a_crash() -> None:
    assert _refused({SECRET_HEADER: "\udcff\udcfe"}).reason == "wrong_secret"
    assert _refused({SECRET_HEADER: "sécret"}).reason == "wrong_secret"
    assert verify(BODY, {SECRET_HEADER: "sécret"}, "sécret") == "secret"
