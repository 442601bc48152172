"""The details of the Call state machine that mutation testing found unguarded: what each error
carries, the log events, DELETE after an unclear attempt, redirects' follow-ups, path IDs."""

from __future__ import annotations

import logging
import re
import socket

import httpx2
import pytest

from audiencelab import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AudienceLab,
    AudienceNotReadyError,
    CallMethod,
    ConfigurationError,
    InputValidationError,
    NotFoundError,
    operations,
)
from audiencelab._config import Secret, resolve_api_key
from audiencelab._logging import EVENT_ATTRIBUTE
from audiencelab._sansio import MAX_ID_LENGTH
from tests.sdk.mock import API_KEY, Recorder, reply

LIST = "GET /audiences?page=1&page_size=100"


def events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (getattr(r, EVENT_ATTRIBUTE), r.getMessage())
        for r in caplog.records
        if r.name == "audiencelab" and hasattr(r, EVENT_ATTRIBUTE)
    ]


def test_each_attempt_is_logged_with_its_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    page = {"data": [], "total": 0, "page": 1, "total_pages": 0}
    recorder = Recorder(
        [reply(503, b"", {"Retry-After": "0"}), httpx2.ConnectError("refused"), reply(200, page)]
    )
    with recorder.sync_client() as client:
        client.audiences.list(page=1)
    seen = events(caplog)
    assert [e for e, _ in seen] == ["response", "retry", "transport_error", "retry", "response"]
    assert re.fullmatch(rf"{re.escape(LIST)} -> 503 \(\d+ ms\)", seen[0][1])
    assert re.fullmatch(
        rf"{re.escape(LIST)}: HTTP 503, retrying in \d\.\d\d s \(retry 1 of 2\)", seen[1][1]
    )
    assert re.fullmatch(rf"{re.escape(LIST)} -> ConnectError after \d+ ms \(not sent\)", seen[2][1])
    assert re.fullmatch(rf"{re.escape(LIST)}: connect, retrying in .* \(retry 2 of 2\)", seen[3][1])
    assert re.fullmatch(rf"{re.escape(LIST)} -> 200 \(\d+ ms\)", seen[4][1])


def test_on_retry_is_told_each_status() -> None:
    page = {"data": [], "total": 0, "page": 1, "total_pages": 0}
    recorder = Recorder(
        [reply(503, b"", {"Retry-After": "0"}), httpx2.ConnectError("refused"), reply(200, page)]
    )
    statuses: list[int | None] = []
    with recorder.sync_client() as client:
        client.send(operations.list_audiences(1, 100), on_retry=statuses.append)
    assert statuses == [503, None]


@pytest.fixture
def refusing_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_refused_connection_says_nothing_was_sent(refusing_url: str) -> None:
    with (
        AudienceLab(api_key=API_KEY, base_url=refusing_url, max_retries=0) as client,
        pytest.raises(APIConnectionError) as info,
    ):
        client.audiences.list(page=1)
    error = info.value
    assert not isinstance(error, APITimeoutError)
    assert str(error).startswith(f"{LIST} failed: ")
    assert str(error).endswith(f"(could not reach {refusing_url}; nothing was sent)")
    assert (error.method, error.url) == ("GET", f"{refusing_url}/audiences?page=1&page_size=100")
    assert not error.outcome_unknown
    assert error.remedy is None


def test_a_timeout_says_so() -> None:
    with (
        Recorder([httpx2.ReadTimeout("slow")]).sync_client(max_retries=0) as client,
        pytest.raises(APITimeoutError) as info,
    ):
        client.audiences.list(page=1)
    assert str(info.value) == f"{LIST} timed out: slow"


def test_a_create_dropped_after_sending_is_an_unknown_outcome_with_a_remedy() -> None:
    with (
        Recorder([httpx2.ReadError("reset")]).sync_client() as client,
        pytest.raises(APIConnectionError) as info,
    ):
        client.audiences.create(name="Dropped", filters={"city": "Austin"})
    error = info.value
    assert error.outcome_unknown
    assert isinstance(error.remedy, CallMethod)
    assert error.remedy.method == "audiences.list"
    assert "POST /audiences failed: reset. " in str(error)
    assert "'Dropped'" in str(error)  # the note says which audience to look for
    assert (error.method, error.url) == ("POST", "https://api.audiencelab.io/audiences")


def test_a_delete_retried_after_an_unclear_attempt_takes_a_404_as_done() -> None:
    recorder = Recorder([httpx2.ReadError("reset"), reply(404, {"error": "not found"})])
    with recorder.sync_client() as client:
        client.audiences.delete("a-1")  # the first attempt may have deleted it
    assert len(recorder.requests) == 2


def test_a_delete_never_sent_takes_a_404_as_a_404() -> None:
    recorder = Recorder([httpx2.ConnectError("refused"), reply(404, {"error": "not found"})])
    with recorder.sync_client() as client, pytest.raises(NotFoundError):
        client.audiences.delete("a-1")


def test_a_redirect_within_the_api_keeps_the_accept_header_and_the_extra_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    recorder = Recorder(
        [reply(307, b"", {"Location": "/v2/audiences"}), reply(200, {"audienceId": "a-1"})]
    )
    with recorder.sync_client() as client:
        client.audiences.create(name="n", filters={"city": "Austin"}, extra_headers={"X-T": "1"})
    first, then = recorder.requests
    assert str(then.url) == "https://api.audiencelab.io/v2/audiences"
    assert then.headers["accept"] == "application/json"
    assert then.headers["x-t"] == "1"
    assert then.headers["x-api-key"] == API_KEY
    assert then.method == "POST"
    assert then.content == first.content
    (redirect,) = [m for e, m in events(caplog) if e == "redirect"]
    assert redirect == (
        "POST /audiences -> 307, following to https://api.audiencelab.io/v2/audiences"
    )


def test_a_refused_redirect_error_carries_the_answer() -> None:
    recorder = Recorder(
        [reply(302, b"", {"Location": "http://elsewhere.example/x", "x-request-id": "r-9"})]
    )
    with recorder.sync_client() as client, pytest.raises(APIStatusError) as info:
        client.audiences.create(name="n", filters={"city": "Austin"})
    error = info.value
    assert (error.status_code, error.request_id) == (302, "r-9")
    assert error.headers["location"] == "http://elsewhere.example/x"
    assert (error.method, error.url) == ("POST", "https://api.audiencelab.io/audiences")
    assert isinstance(error.remedy, CallMethod)
    assert "it is plain http to another machine" in str(error)


@pytest.mark.parametrize("bad", [None, 5, "", "   "])
def test_an_id_that_is_not_one_is_refused(bad: object) -> None:
    recorder = Recorder([reply(200, {})])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        client.audiences.get(bad)  # type: ignore[arg-type]
    assert info.value.problems[0].path == "audience_id"
    assert "expected a non-empty ID" in info.value.problems[0].message
    assert recorder.requests == []


def test_an_id_cannot_change_the_path_and_the_longest_id_is_accepted() -> None:
    page = {"data": [], "total_records": 0, "page": 1, "total_pages": 0}
    recorder = Recorder([reply(200, page)])
    with recorder.sync_client() as client:
        client.audiences.get("../pixels/x?y")
        client.audiences.get("a" * MAX_ID_LENGTH)
        with pytest.raises(InputValidationError):
            client.audiences.get("a" * (MAX_ID_LENGTH + 1))
    assert (
        recorder.requests[0].url.raw_path == b"/audiences/..%2Fpixels%2Fx%3Fy?page=1&page_size=100"
    )
    assert len(recorder.requests) == 2


def test_secrets_hash_by_value_and_the_environment_is_read_where_told() -> None:
    assert hash(Secret("sk_test_a")) == hash(Secret("sk_test_a"))
    assert hash(Secret("sk_test_a")) != hash(Secret("sk_test_b"))
    key = resolve_api_key(None, environ={"AUDIENCELAB_API_KEY": "sk_test_from_mapping"})
    assert key.reveal() == "sk_test_from_mapping"


def test_a_parser_refusal_that_is_an_sdk_error_is_raised_as_such() -> None:
    with (
        Recorder([reply(200, {"status": "no data"})]).sync_client() as client,
        pytest.raises(AudienceNotReadyError),
    ):
        client.audiences.get("a-1")


def test_a_300_is_not_a_success() -> None:
    with (
        Recorder([reply(300, {"audienceId": "a-1"})]).sync_client() as client,
        pytest.raises(APIStatusError) as info,
    ):
        client.audiences.create(name="n", filters={"city": "Austin"})
    assert info.value.status_code == 300


def test_an_unreadable_success_names_the_call_and_for_a_create_says_how_to_check() -> None:
    with (
        Recorder([reply(200, b"not json")]).sync_client() as client,
        pytest.raises(APIResponseValidationError) as created,
    ):
        client.audiences.create(name="Garbled", filters={"city": "Austin"})
    assert (created.value.method, created.value.url) == (
        "POST",
        "https://api.audiencelab.io/audiences",
    )
    assert str(created.value).startswith("unexpected response to POST /audiences: ")
    assert "'Garbled'" in str(created.value)  # the note: look for it by name
    with (
        Recorder([reply(200, b"not json")]).sync_client() as client,
        pytest.raises(APIResponseValidationError) as read,
    ):
        client.audiences.get("a-1")
    assert read.value.remedy is None
    assert not read.value.outcome_unknown
    assert str(read.value) == (
        "unexpected response to GET /audiences/a-1?page=1&page_size=100: "
        "expected ident at line 1 column 2"
    )


def test_gone_after_retry_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="audiencelab")
    recorder = Recorder([httpx2.ReadError("reset"), reply(404, {"error": "not found"})])
    with recorder.sync_client() as client:
        client.audiences.delete("a-1")
    assert (
        "gone_after_retry",
        "DELETE /audiences/a-1 -> 404 after a retry: already gone, as asked",
    ) in events(caplog)


def test_unknown_outcomes_are_logged_as_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    with Recorder([reply(500, b"")]).sync_client() as client, pytest.raises(APIStatusError):
        client.audiences.create(name="n", filters={"city": "Austin"})
    with Recorder([reply(400, b"")]).sync_client() as client, pytest.raises(APIStatusError):
        client.audiences.create(name="n", filters={"city": "Austin"})
    logged = [(r.levelno, getattr(r, EVENT_ATTRIBUTE)) for r in caplog.records if r.levelno > 10]
    assert logged == [(logging.WARNING, "outcome_unknown")]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("POST /audiences: outcome unknown, not retried: HTTP 500")
    failed = [m for e, m in events(caplog) if e == "request_failed"]
    assert failed
    assert failed[0].startswith("POST /audiences failed: HTTP 400")


@pytest.mark.parametrize(("key", "kind"), [(b"sk_test_bytes", "bytes"), (12345, "int")])
def test_a_key_that_is_not_a_string_is_one_clear_error(key: object, kind: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        AudienceLab(api_key=key)  # type: ignore[arg-type]
    assert str(info.value) == f"api_key must be a string, got {kind}"
    assert info.value.setting == "api_key"


def test_a_missing_key_names_the_setting() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_api_key(None, environ={})
    assert info.value.setting == "api_key"
    assert "Settings > API Keys" in str(info.value)
