"""Error responses in every shape the reference has seen, mapped onto the exception hierarchy."""

from __future__ import annotations

from typing import Any

import pytest

from audiencelab import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AudienceLabError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from tests.golden import load_golden
from tests.sdk.mock import Recorder, reply


def create(recorder: Recorder) -> None:
    with recorder.sync_client(max_retries=0) as client:
        client.audiences.create(name="n", filters={"city": ["Austin"]})


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (400, load_golden("validation_error.response"), BadRequestError, "VALIDATION_ERROR", "…"),
        (
            400,
            {"error": {"code": "VALIDATION_ERROR", "message": "filters must be an object"}},
            BadRequestError,
            "VALIDATION_ERROR",
            "filters must be an object",
        ),
        (
            400,
            {"error": "Malformed JSON/Unknown Field", "status": 400},
            BadRequestError,
            None,
            "Malformed JSON/Unknown Field",
        ),
        (401, {"message": "Invalid API key"}, AuthenticationError, None, "Invalid API key"),
        (
            403,
            {"message": "Forbidden", "code": "SCOPE"},
            PermissionDeniedError,
            "SCOPE",
            "Forbidden",
        ),
        (404, {"detail": "Not Found"}, NotFoundError, None, "Not Found"),
        (404, b"<html>no such page</html>", NotFoundError, None, "<html>no such page</html>"),
        (400, b"", BadRequestError, None, "Bad Request"),
        (422, {"error": {"message": "bad"}}, APIStatusError, None, "bad"),
        (502, b"upstream connect error", InternalServerError, None, "upstream connect error"),
    ],
)
def test_error_shapes(
    status: int, body: Any, cls: type[APIStatusError], code: str | None, message: str
) -> None:
    recorder = Recorder([reply(status, body, {"x-request-id": "req-123"})])
    with pytest.raises(cls) as info:
        create(recorder)
    error = info.value
    assert isinstance(error, APIStatusError)
    assert isinstance(error, APIError)
    assert isinstance(error, AudienceLabError)
    assert error.status_code == status
    assert error.code == code
    assert error.message.startswith(message)
    assert error.request_id == "req-123"
    assert error.method == "POST"
    assert error.url == "https://api.audiencelab.io/audiences"
    assert f"HTTP {status}" in str(error)
    assert "req-123" in str(error)


def test_structured_body_is_kept() -> None:
    body = {"error": {"code": "VALIDATION_ERROR", "message": "segment[0]: use 'b2c_1253'"}}
    recorder = Recorder([reply(400, body)])
    with pytest.raises(BadRequestError) as info:
        create(recorder)
    assert info.value.body == body
    assert info.value.outcome_unknown is False


def test_long_text_body_is_truncated_in_message() -> None:
    recorder = Recorder([reply(400, b"x" * 5000)])
    with pytest.raises(BadRequestError) as info:
        create(recorder)
    assert len(info.value.message) < 600
    assert info.value.body == "x" * 5000


def test_rate_limit_error_carries_retry_after() -> None:
    recorder = Recorder([reply(429, {"message": "slow down"}, {"Retry-After": "7"})])
    with pytest.raises(RateLimitError) as info:
        create(recorder)
    assert info.value.retry_after == 7.0
    assert info.value.outcome_unknown is False


def test_401_message_points_at_the_key_setting() -> None:
    recorder = Recorder([reply(401, {"error": {"code": "UNAUTHORIZED", "message": "bad key"}})])
    with pytest.raises(AuthenticationError) as info:
        create(recorder)
    assert "AUDIENCELAB_API_KEY" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"audienceId": ""}', b'{"audienceId": 5}', b"[]"],
)
def test_unreadable_success_response(body: bytes) -> None:
    recorder = Recorder([reply(200, body)])
    with pytest.raises(APIResponseValidationError) as info:
        create(recorder)
    assert info.value.status_code == 200
    assert "POST /audiences" in str(info.value)


def test_extra_fields_in_success_response_are_kept() -> None:
    recorder = Recorder([reply(200, {"audienceId": "a1", "status": "building"})])
    with recorder.sync_client() as client:
        created = client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert created.audience_id == "a1"
    assert created.model_extra == {"status": "building"}
