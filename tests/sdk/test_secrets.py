"""The API key never appears in reprs, exceptions, tracebacks or logs."""

from __future__ import annotations

import logging
import pickle
import traceback

import httpx
import pytest

from audiencelab import APIError, AudienceLab, AudienceLabError
from audiencelab._config import ClientConfig, Secret
from tests.sdk.mock import API_KEY, Recorder, reply


def all_text_of(exc: BaseException) -> str:
    return (
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        + repr(exc)
        + repr(vars(exc))
    )


def test_reprs_hide_the_key() -> None:
    client = AudienceLab(api_key=API_KEY)
    for text in (
        repr(client),
        str(client),
        repr(client._config),
        repr(vars(client)),
        repr(client.audiences.__dict__),
    ):
        assert API_KEY not in text
    assert repr(Secret(API_KEY)) == "Secret('**********')"
    assert API_KEY not in f"{client._config.api_key}"
    client.close()


def test_secret_is_not_picklable() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(API_KEY))


def test_config_repr_hides_key() -> None:
    config = ClientConfig.resolve(api_key=API_KEY, base_url=None, max_retries=1, retry_policy=None)
    assert API_KEY not in repr(config)


@pytest.mark.parametrize(
    "replies",
    [
        [reply(401, {"error": {"code": "UNAUTHORIZED", "message": "bad key"}})],
        [reply(500, b"internal")],
        [reply(429, b"", {"Retry-After": "0"})],
        [httpx.ConnectError("refused")],
        [httpx.ReadTimeout("timed out")],
        [reply(200, b"not json")],
    ],
)
def test_errors_tracebacks_and_logs_never_contain_the_key(
    replies: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    recorder = Recorder(replies)  # type: ignore[arg-type]
    with recorder.sync_client() as client, pytest.raises(APIError) as info:
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert API_KEY not in all_text_of(info.value)
    assert API_KEY not in caplog.text
    assert all(API_KEY not in str(r.args) for r in caplog.records)


def test_the_audiencelab_logger_reports_method_path_status_and_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    recorder = Recorder([reply(503, b"", {"Retry-After": "0"}), reply(200, {"audienceId": "a"})])
    with recorder.sync_client() as client:
        client.audiences.create(name="n", filters={})
    lines = [r.getMessage() for r in caplog.records if r.name == "audiencelab"]
    assert any(line.startswith("POST /audiences -> 503 (") and "ms)" in line for line in lines)
    assert any("retrying in" in line and "retry 1 of 2" in line for line in lines)
    assert any(line.startswith("POST /audiences -> 200") for line in lines)
    assert API_KEY not in caplog.text


def test_validation_errors_do_not_contain_the_key() -> None:
    with AudienceLab(api_key=API_KEY) as client, pytest.raises(AudienceLabError) as info:
        client.audiences.create(name="", filters={"zipCode": "1"})
    assert API_KEY not in all_text_of(info.value)
