"""Failures that are not HTTP errors still become SDK errors, and none of them holds the key.

Issue 23, defects 2 and 3. Each answer comes from a real loopback server that sends exactly the
bad bytes; each error is walked for the key: its attributes, causes, contexts and the locals of
every frame of its traceback.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from audiencelab import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncAudienceLab,
    AudienceLab,
    AudienceLabError,
    BadRequestError,
    CallMethod,
    ConfigurationError,
    InputValidationError,
    InternalServerError,
)
from audiencelab._sansio import Operation
from tests.sdk.leaks import RawServer, assert_no_key_anywhere, http_answer

KEY = "sk_test_hostile_4d2e91b7"
NOT_GZIP = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
NESTED = b"[" * 100_000 + b"]" * 100_000  # deeper than json can read (RecursionError)


def serve(answer: bytes) -> Iterator[RawServer]:
    yield from RawServer(lambda method, path: answer).serve()


@pytest.fixture
def garbled_created() -> Iterator[RawServer]:
    """A create answered 200, with a body that claims to be gzip and is not."""
    yield from serve(http_answer(200, b'{"audienceId": "a-1"}', NOT_GZIP))


@pytest.fixture
def garbled_refusal() -> Iterator[RawServer]:
    yield from serve(http_answer(400, b'{"error": "bad"}', NOT_GZIP))


@pytest.fixture
def nested_created() -> Iterator[RawServer]:
    yield from serve(http_answer(200, NESTED, {"Content-Type": "application/json"}))


@pytest.fixture
def nested_refusal() -> Iterator[RawServer]:
    yield from serve(http_answer(400, NESTED, {"Content-Type": "application/json"}))


@pytest.fixture
def nested_failure() -> Iterator[RawServer]:
    yield from serve(http_answer(500, NESTED, {"Content-Type": "application/json"}))


def _create(server: RawServer) -> AudienceLabError:
    with (
        AudienceLab(api_key=KEY, base_url=server.url, max_retries=0) as client,
        pytest.raises(AudienceLabError) as info,
    ):
        client.audiences.create(name="n", filters={"city": "Austin"})
    return info.value


def test_a_created_answer_that_cannot_be_decoded_is_an_unknown_outcome(
    garbled_created: RawServer,
) -> None:
    error = _create(garbled_created)
    assert isinstance(error, APIResponseValidationError)
    assert error.outcome_unknown  # it was probably made: never repeated, and said so
    assert isinstance(error.remedy, CallMethod)
    assert error.remedy.method == "audiences.list"
    assert error.status_code == 200
    assert "could not be decoded" in str(error)
    assert garbled_created.seen == ["POST /audiences"]
    assert_no_key_anywhere(error, KEY)


@pytest.mark.anyio
async def test_the_async_client_does_the_same(garbled_created: RawServer) -> None:
    async with AsyncAudienceLab(api_key=KEY, base_url=garbled_created.url) as client:
        with pytest.raises(APIResponseValidationError) as info:
            await client.audiences.create(name="n", filters={"city": "Austin"})
    assert info.value.outcome_unknown
    assert_no_key_anywhere(info.value, KEY)


def test_a_refusal_that_cannot_be_decoded_is_still_a_refusal(garbled_refusal: RawServer) -> None:
    error = _create(garbled_refusal)
    assert isinstance(error, BadRequestError)  # the status says enough
    assert not error.outcome_unknown
    assert_no_key_anywhere(error, KEY)


def test_a_read_whose_answer_cannot_be_decoded_is_no_unknown_outcome(
    garbled_created: RawServer,
) -> None:
    with (
        AudienceLab(api_key=KEY, base_url=garbled_created.url, max_retries=0) as client,
        pytest.raises(APIResponseValidationError) as info,
    ):
        client.audiences.get("a-1")
    assert not info.value.outcome_unknown  # a read changes nothing
    assert_no_key_anywhere(info.value, KEY)


def test_a_created_answer_nested_too_deeply_is_an_unknown_outcome(
    nested_created: RawServer,
) -> None:
    error = _create(nested_created)
    assert isinstance(error, APIResponseValidationError)
    assert error.outcome_unknown
    assert "nested too deeply" in str(error)
    assert_no_key_anywhere(error, KEY)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("nested_refusal", BadRequestError), ("nested_failure", InternalServerError)],
)
def test_an_error_body_nested_too_deeply_is_read_as_text(
    fixture: str, expected: type[Exception], request: pytest.FixtureRequest
) -> None:
    error = _create(request.getfixturevalue(fixture))
    assert isinstance(error, expected)
    assert_no_key_anywhere(error, KEY)


def test_an_id_too_long_for_a_url_is_refused_before_sending(garbled_created: RawServer) -> None:
    with (
        AudienceLab(api_key=KEY, base_url=garbled_created.url) as client,
        pytest.raises(InputValidationError) as info,
    ):
        client.audiences.get("a" * 70_000)
    assert isinstance(info.value, ValueError)
    assert "at most 1,000 characters, got one of 70,000" in str(info.value)
    assert info.value.problems[0].path == "audience_id"
    assert garbled_created.seen == []
    assert_no_key_anywhere(info.value, KEY)


def test_a_url_the_library_refuses_is_an_sdk_error(garbled_created: RawServer) -> None:
    # An operation built by hand, past every builder's checks: httpx2 raises InvalidURL.
    op = Operation("GET", "/x" * 40_000, parse=lambda response: None)
    with (
        AudienceLab(api_key=KEY, base_url=garbled_created.url) as client,
        pytest.raises(APIConnectionError) as info,
    ):
        client.send(op)
    assert "URL too long" in str(info.value)
    assert not info.value.outcome_unknown  # nothing was sent
    assert garbled_created.seen == []
    assert_no_key_anywhere(info.value, KEY)


# A test's own locals are walked with the traceback, so the keys and settings below are named by
# their index and read inline, never held by a local of the test.
@pytest.mark.slow
def test_a_parser_that_fails_in_any_way_gives_an_sdk_error() -> None:
    # Not only ValueError: whatever reading a success raises becomes APIResponseValidationError.
    for failure in (KeyError("audienceId"), AttributeError("x"), IndexError(0), RecursionError()):

        def parse(response: object, failure: Exception = failure) -> None:
            raise failure

        op = Operation("GET", "/audiences", parse=parse)
        for server in serve(http_answer(200, b"{}")):
            with (
                AudienceLab(api_key=KEY, base_url=server.url) as client,
                pytest.raises(APIResponseValidationError) as info,
            ):
                client.send(op)
            assert type(failure).__name__ in str(info.value) or str(failure) in str(info.value)
            assert_no_key_anywhere(info.value, KEY)


NON_ASCII_KEYS = ["sk_test_clé_4d2e91b7", "sk_test_\udc80_4d2e91b7", "sk_test_\u200b4d2e91b7"]


@pytest.mark.parametrize("index", range(len(NON_ASCII_KEYS)))
@pytest.mark.parametrize("cls", [AudienceLab, AsyncAudienceLab])
def test_a_non_ascii_key_is_refused_at_once_without_echoing_it(
    index: int, cls: type[AudienceLab]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(api_key=NON_ASCII_KEYS[index], base_url="http://127.0.0.1:9")
    assert info.value.setting == "api_key"
    assert "non-ASCII" in str(info.value)
    assert_no_key_anywhere(info.value, NON_ASCII_KEYS[index])


@pytest.mark.parametrize("index", [0, 2])  # an environment variable cannot hold a lone surrogate
def test_a_non_ascii_key_from_the_environment_is_refused_too(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIENCELAB_API_KEY", NON_ASCII_KEYS[index])
    with pytest.raises(ConfigurationError) as info:
        AudienceLab(base_url="http://127.0.0.1:9")
    assert_no_key_anywhere(info.value, NON_ASCII_KEYS[index])


# --- defect 3: configuration errors --------------------------------------------------------------

NEW_KEY = "sk_test_new key"
CHANGES: list[dict[str, object]] = [
    {"max_retries": -1},
    {"base_url": "http://example.com"},
    {"value_checks": "bogus"},
    {"timeout": -5},
    {"retry_policy": "fast"},
    {"api_key": NEW_KEY},
    {"api_key": "sk_test_\x00bad"},
    {"api_key": " " + KEY},
]


@pytest.mark.parametrize("index", range(len(CHANGES)))
def test_with_options_errors_hold_no_key(index: int) -> None:
    with AudienceLab(api_key=KEY, base_url="http://127.0.0.1:9") as client:
        with pytest.raises(ConfigurationError) as info:
            client.with_options(**CHANGES[index])  # type: ignore[arg-type]
        assert_no_key_anywhere(info.value, KEY)
        assert_no_key_anywhere(info.value, NEW_KEY)
        assert_no_key_anywhere(info.value, "\x00bad")


@pytest.mark.parametrize("index", [i for i, c in enumerate(CHANGES) if c.get("api_key") != NEW_KEY])
@pytest.mark.parametrize("cls", [AudienceLab, AsyncAudienceLab])
def test_construction_errors_hold_no_key(index: int, cls: type) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(**{"api_key": KEY, "base_url": "http://127.0.0.1:9", **CHANGES[index]})
    assert_no_key_anywhere(info.value, KEY)
    assert_no_key_anywhere(info.value, "\x00bad")


def test_a_real_gzip_body_is_read_as_usual() -> None:
    # The control: a real gzip body with the same header is read as usual.
    body = gzip.compress(b'{"audienceId": "a-1"}')
    for server in serve(http_answer(200, body, NOT_GZIP)):
        with AudienceLab(api_key=KEY, base_url=server.url) as client:
            created = client.audiences.create(name="n", filters={"city": "Austin"})
        assert created.audience_id == "a-1"
