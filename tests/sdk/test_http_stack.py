"""The HTTP stack: httpx2; a client of the original httpx is still accepted, with a warning."""

from __future__ import annotations

import subprocess
import sys

import httpx
import httpx2
import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, ConfigurationError, InternalServerError
from tests.sdk.mock import API_KEY, NO_WAIT

CREATED = {"audienceId": "a-1"}
PAGE = {"data": [{"id": "a-1", "name": "n"}], "total": 1, "page": 1, "total_pages": 1}


def test_the_default_stack_is_httpx2_and_httpx_is_never_imported() -> None:
    code = (
        "import sys\n"
        "from audiencelab import AudienceLab\n"
        "client = AudienceLab(api_key='sk_test_x')\n"
        "client.audiences\n"
        "assert type(client._http).__module__ == 'httpx2', type(client._http)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore'))\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _legacy_recorder(seen: list[httpx.Request], replies: list[httpx.Response | Exception]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        # a copy: the client takes the key out of the request object once it is sent
        seen.append(httpx.Request(request.method, request.url, headers=request.headers.copy()))
        seen[-1].extensions = request.extensions
        item = replies[min(len(seen), len(replies)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_an_httpx_client_still_works_with_a_deprecation_warning() -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.ConnectError("refused"),  # the legacy library's errors are classified too
        httpx.Response(503, content=b""),
        httpx.Response(200, json=PAGE),
    ]
    http = httpx.Client(transport=httpx.MockTransport(_legacy_recorder(seen, replies)))
    with pytest.warns(DeprecationWarning, match="httpx2") as warned:
        client = AudienceLab(api_key=API_KEY, http_client=http, retry_policy=NO_WAIT, timeout=4)
    assert warned[0].filename == __file__  # points at the caller's line
    with client:
        page = client.audiences.list(page=1, page_size=1)
    assert [audience.id for audience in page.data] == ["a-1"]
    assert len(seen) == 3  # refused, 503 (a list is safe to repeat), then the answer
    assert seen[-1].headers["x-api-key"] == API_KEY
    assert seen[-1].extensions["timeout"]["read"] == 4.0  # ours, as httpx's own Timeout
    assert client.timeout == httpx2.Timeout(4.0)
    http.close()


def test_a_create_over_an_httpx_client_keeps_the_retry_table() -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.ConnectError("refused"),  # never sent: a create may be repeated
        httpx.Response(500, content=b""),  # sent, answered 500: may exist, never repeated
    ]
    http = httpx.Client(transport=httpx.MockTransport(_legacy_recorder(seen, replies)))
    with pytest.warns(DeprecationWarning, match="httpx2"):
        client = AudienceLab(api_key=API_KEY, http_client=http, retry_policy=NO_WAIT)
    with pytest.raises(InternalServerError) as info:
        client.audiences.create(name="n", filters={"city": "Austin"})
    assert info.value.outcome_unknown
    assert len(seen) == 2
    http.close()


@pytest.mark.anyio
async def test_an_async_httpx_client_still_works() -> None:
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(_legacy_recorder(seen, [httpx.Response(200, json=CREATED)]))
    )
    with pytest.warns(DeprecationWarning, match="httpx2"):
        client = AsyncAudienceLab(api_key=API_KEY, http_client=http)
    created = await client.audiences.create(name="n", filters={"city": "Austin"})
    assert created.audience_id == "a-1"
    assert client.timeout is None  # the caller's client keeps its own timeouts
    await http.aclose()


def test_an_httpx_timeout_is_accepted() -> None:
    with AudienceLab(api_key=API_KEY, timeout=httpx.Timeout(3.0, connect=1.0)) as client:
        assert client.timeout == httpx2.Timeout(3.0, connect=1.0)


@pytest.mark.parametrize(
    ("cls", "http_client", "expected"),
    [
        (AudienceLab, object(), "httpx2.Client, got builtins.object"),
        (AudienceLab, httpx2.AsyncClient(), "httpx2.Client, got httpx2.AsyncClient"),
        (AsyncAudienceLab, httpx2.Client(), "httpx2.AsyncClient, got httpx2.Client"),
        (AsyncAudienceLab, httpx.Client(), "httpx2.AsyncClient, got httpx.Client"),
    ],
)
def test_anything_else_is_refused_naming_what_to_pass(
    cls: type[AudienceLab], http_client: object, expected: str
) -> None:
    with pytest.raises(ConfigurationError, match="http_client must be an ") as info:
        cls(api_key=API_KEY, http_client=http_client)  # type: ignore[arg-type]
    assert expected in str(info.value)
    assert info.value.setting == "http_client"
