"""The API key never appears in reprs, exceptions, tracebacks or logs."""

from __future__ import annotations

import logging
import pickle
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator

import httpx2
import pytest

from audiencelab import APIError, AsyncAudienceLab, AudienceLab, AudienceLabError
from audiencelab._config import ClientConfig, Secret
from tests.sdk.leaks import assert_no_key_anywhere
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
    config = ClientConfig.resolve(
        api_key=Secret(API_KEY), base_url=None, max_retries=1, retry_policy=None
    )
    assert API_KEY not in repr(config)


@pytest.mark.parametrize(
    "replies",
    [
        [reply(401, {"error": {"code": "UNAUTHORIZED", "message": "bad key"}})],
        [reply(500, b"internal")],
        [reply(429, b"", {"Retry-After": "0"})],
        [httpx2.ConnectError("refused")],
        [httpx2.ReadTimeout("timed out")],
        [reply(200, b"not json")],
    ],
)
def test_errors_tracebacks_and_logs_never_contain_the_key(
    replies: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx2 and httpcore included
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
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    lines = [r.getMessage() for r in caplog.records if r.name == "audiencelab"]
    assert any(line.startswith("POST /audiences -> 503 (") and "ms)" in line for line in lines)
    assert any("retrying in" in line and "retry 1 of 2" in line for line in lines)
    assert any(line.startswith("POST /audiences -> 200") for line in lines)
    assert API_KEY not in caplog.text


def test_validation_errors_do_not_contain_the_key() -> None:
    with AudienceLab(api_key=API_KEY) as client, pytest.raises(AudienceLabError) as info:
        client.audiences.create(name="", filters={"zipCode": "1"})
    assert API_KEY not in all_text_of(info.value)


# --- nothing reachable from an error holds the key in clear --------------------------------------


@pytest.fixture
def refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: connections are refused


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """Accepts, reads the request, then closes without an answer."""
    yield from _raw_server(b"")


@pytest.fixture
def failing_server() -> Iterator[str]:
    """Answers every request with a 500."""
    yield from _raw_server(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom"
    )


def _raw_server(answer: bytes) -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.sendall(answer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def _assert_no_key_anywhere(exc: BaseException) -> None:
    assert_no_key_anywhere(exc, API_KEY)


def test_a_refused_connection_error_holds_no_key(refusing_port: int) -> None:
    with (
        AudienceLab(
            api_key=API_KEY, base_url=f"http://127.0.0.1:{refusing_port}", max_retries=0
        ) as client,
        pytest.raises(APIError) as info,
    ):
        client.audiences.list(page=1)
    assert isinstance(info.value.__cause__, httpx2.ConnectError)
    _assert_no_key_anywhere(info.value)


def test_a_dropped_connection_error_holds_no_key(dropping_server: str) -> None:
    with (
        AudienceLab(api_key=API_KEY, base_url=dropping_server, max_retries=0) as client,
        pytest.raises(APIError) as info,
    ):
        client.audiences.create(name="n", filters={"city": "Austin"})
    assert info.value.outcome_unknown
    _assert_no_key_anywhere(info.value)


@pytest.mark.anyio
async def test_an_async_connection_error_holds_no_key(refusing_port: int) -> None:
    async with AsyncAudienceLab(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{refusing_port}", max_retries=0
    ) as client:
        with pytest.raises(APIError) as info:
            await client.audiences.list(page=1)
    _assert_no_key_anywhere(info.value)


def test_a_status_error_holds_no_key(failing_server: str) -> None:
    with (
        AudienceLab(api_key=API_KEY, base_url=failing_server) as client,
        pytest.raises(APIError) as info,
    ):
        client.audiences.create(name="n", filters={"city": "Austin"})
    assert info.value.outcome_unknown
    _assert_no_key_anywhere(info.value)


def test_the_secret_itself_is_not_in_clear() -> None:
    secret = Secret(API_KEY)
    assert secret.reveal() == API_KEY
    assert not [s for s in _strings_of(secret) if API_KEY in s]
    assert secret == Secret(API_KEY)
    assert secret != Secret(API_KEY + "x")
    assert hash(secret) == hash(Secret(API_KEY))


def _strings_of(obj: object) -> list[str]:
    return [
        x.decode("latin-1") if isinstance(x, bytes) else x
        for x in (getattr(obj, slot) for slot in type(obj).__slots__)  # type: ignore[attr-defined]
        if isinstance(x, (str, bytes))
    ]


@pytest.mark.slow
def test_the_library_logs_nothing_unless_the_application_configures_logging(
    dropping_server: str,
) -> None:
    code = (
        "from audiencelab import AudienceLab, APIError\n"
        f"client = AudienceLab(api_key='sk_test_quiet', base_url={dropping_server!r})\n"
        "try:\n"
        "    client.audiences.create(name='n', filters={'city': 'Austin'})\n"
        "except APIError as exc:\n"
        "    assert exc.outcome_unknown\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr == ""  # the outcome-unknown WARNING is not printed by logging's last resort
