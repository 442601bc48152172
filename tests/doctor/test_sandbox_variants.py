"""The sandbox mimics the API as one key sees it: attribute lists it does not serve, endpoints that
answer 404 or 403, a profile read from a doctor report, and a request log per key."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig, config_from_flags
from audiencelab.sandbox._backend import ATTRIBUTE_NAMES
from audiencelab.sandbox._endpoints import (
    API_ENDPOINTS,
    ATTRIBUTE_LISTS,
    canonical_endpoint,
    endpoint_of,
)
from audiencelab.sandbox._profile import read_profile
from audiencelab.sandbox._requestlog import REQUEST_LOG_SIZE
from audiencelab.sandbox._routes import Routes

from .conftest import KEY, request_log

OTHER = "sk_test_doctor_other_tenant"


def test_the_endpoint_table_is_the_route_table() -> None:
    """Every API route of the sandbox, with each of its methods, in the router's order."""
    config = SandboxConfig()
    from audiencelab.sandbox._app import SandboxApp

    app = SandboxApp(config)
    try:
        routes = Routes(app.backend).table()
    finally:
        app.close()
    seen = [
        f"{method} {route.path}"
        for route in routes
        if not route.path.startswith("/_sandbox/")
        and route.path not in ("/healthz", "/openapi.json")
        for method in ("GET", "POST", "DELETE")
        if method in (route.methods or ())
    ]
    assert seen == list(API_ENDPOINTS)
    assert ATTRIBUTE_LISTS == ATTRIBUTE_NAMES


@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("GET", "/audiences", "GET /audiences"),
        ("HEAD", "/audiences", "GET /audiences"),
        ("POST", "/audiences/custom", "POST /audiences/custom"),
        ("GET", "/audiences/custom", "GET /audiences/{audience_id}"),  # the router's order
        ("GET", "/audiences/attributes/sic", "GET /audiences/attributes/{attribute}"),
        ("GET", "/pixels/p1/v4", "GET /pixels/{pixel_id}/v4"),
        ("DELETE", "/pixels/p1", "DELETE /pixels/{pixel_id}"),
        ("GET", "/audiences/", None),
        ("GET", "/pixels//v4", None),
        ("PUT", "/audiences", None),
        ("GET", "/_sandbox/requests", None),
    ],
)
def test_which_endpoint_a_request_is_for(method: str, path: str, endpoint: str | None) -> None:
    assert endpoint_of(method, path) == endpoint


def test_endpoints_are_named_loosely_and_refused_with_a_suggestion() -> None:
    assert canonical_endpoint("get /pixels/{id}") == "GET /pixels/{pixel_id}"
    assert canonical_endpoint(" GET /enrichments/ ") == "GET /enrichments"
    with pytest.raises(ValueError, match=r"did you mean 'GET /pixels'\?$"):
        canonical_endpoint("GET /pixel")


def test_bad_variant_flags_name_the_flag() -> None:
    with pytest.raises(ValueError, match=r"^--missing-endpoint") as caught:
        config_from_flags({"missing-endpoint": ["GET /pixel"]})
    assert str(caught.value).startswith("--missing-endpoint: 'GET /pixel' is not an endpoint")
    with pytest.raises(ValueError, match=r"^--attribute-list") as caught:
        config_from_flags({"attribute-list": ["sic", "industry"]})
    assert str(caught.value) == (
        "--attribute-list: 'industry' is not an attribute list (use segments, industries, "
        "departments, seniority, sic, gender)"
    )
    config = config_from_flags(
        {"attribute-list": ["sic", "sic"], "forbidden-endpoint": ["get /enrichments"]}
    )
    assert config.attribute_lists == ("sic",)
    assert config.forbidden_endpoints == ("GET /enrichments",)
    assert config_from_flags({}).attribute_lists == ATTRIBUTE_LISTS


@pytest.fixture(scope="module")
def varied() -> Sandbox:
    config = SandboxConfig(
        port=0, api_keys=(KEY, OTHER), build_seconds=0, error_style="message",
        attribute_lists=("segments", "industries"), missing_endpoints=("GET /pixels",),
        forbidden_endpoints=("GET /enrichments", "POST /audiences"),
    )  # fmt: skip
    with Sandbox(config) as sb:
        yield sb


def _get(sb: Sandbox, path: str, key: str | None = KEY, method: str = "GET") -> httpx2.Response:
    headers = {"X-Api-Key": key} if key else {}
    return httpx2.request(
        method, sb.base_url + path, headers=headers, json={} if method == "POST" else None
    )


def test_taken_away_endpoints_answer_in_the_configured_style(varied: Sandbox) -> None:
    missing = _get(varied, "/pixels")
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": "No such endpoint: GET /pixels"},
    )
    forbidden = _get(varied, "/enrichments")
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "message": "Missing required permissions (READ needed for GET /enrichments)"
    }
    write = _get(varied, "/audiences", method="POST")
    assert write.status_code == 403
    assert "WRITE needed for POST /audiences" in write.json()["message"]
    absent = _get(varied, "/audiences/attributes/sic")
    assert absent.status_code == 404
    assert absent.json() == {
        "message": "unknown attribute 'sic' (served here: segments, industries)"
    }
    assert _get(varied, "/audiences/attributes/industries").status_code == 200
    assert _get(varied, "/audiences").status_code == 200  # GET stays; only POST is forbidden
    assert _get(varied, "/pixels/p1/v4").status_code == 404  # another endpoint: not taken away
    assert "No such endpoint" not in _get(varied, "/pixels/p1/v4").text


def test_a_refused_key_is_told_so_before_an_endpoint_is_missing(varied: Sandbox) -> None:
    for path in ("/pixels", "/enrichments", "/audiences/attributes/sic"):
        assert _get(varied, path, key="sk_test_nobody").status_code == 401
        assert _get(varied, path, key=None).status_code == 401


def test_the_request_log_is_per_key_and_keeps_no_key(varied: Sandbox) -> None:
    before = len(request_log(varied.base_url, OTHER))
    _get(varied, "/audiences?page=2&page_size=3", key=OTHER)
    _get(varied, "/pixels", key=OTHER)
    _get(varied, "/audiences", key="sk_test_nobody")  # refused: not attributed to anyone
    entries = request_log(varied.base_url, OTHER)[before:]
    assert entries == [
        {"method": "GET", "path": "/audiences", "query": "page=2&page_size=3", "status": 200},
        {"method": "GET", "path": "/pixels", "query": "", "status": 404},
    ]
    mine = request_log(varied.base_url, KEY)
    assert not any(e["query"] == "page=2&page_size=3" for e in mine)
    raw = httpx2.get(varied.base_url + "/_sandbox/requests", headers={"X-Api-Key": OTHER}).text
    assert OTHER not in raw
    assert KEY not in raw
    assert _get(varied, "/_sandbox/requests", key=None).status_code == 401
    assert _get(varied, "/_sandbox/requests", key="sk_test_nobody").status_code == 401
    assert _get(varied, "/_sandbox/requests", method="DELETE").status_code == 405


@pytest.mark.slow
def test_the_request_log_forgets_the_oldest_first() -> None:
    with Sandbox(SandboxConfig(port=0, api_keys=(KEY,))) as sb, sb.client() as client:
        for n in range(REQUEST_LOG_SIZE + 5):
            client.get(f"/audiences?page={n + 1}")
        entries = client.get("/_sandbox/requests").json()["requests"]
    assert len(entries) == REQUEST_LOG_SIZE
    assert entries[0]["query"] == "page=6"


def _write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "doctor.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_profile_is_read_from_a_report_or_alone(tmp_path: Path) -> None:
    profile = {
        "version": 1, "list_total_key": "total", "error_style": "string",
        "attribute_lists": ["segments"], "missing_endpoints": ["GET /pixels"],
        "forbidden_endpoints": ["get /enrichments"], "notes": ["ignored"],
    }  # fmt: skip
    expected = {
        "list_total_key": "total", "error_style": "string", "attribute_lists": ("segments",),
        "missing_endpoints": ("GET /pixels",), "forbidden_endpoints": ("get /enrichments",),
    }  # fmt: skip
    assert read_profile(_write(tmp_path, {"report": "x", "sandbox_profile": profile})) == expected
    assert read_profile(_write(tmp_path, profile)) == expected
    config = config_from_flags({"profile": _write(tmp_path, profile)})
    assert (config.list_total_key, config.error_style) == ("total", "string")
    assert config.forbidden_endpoints == ("GET /enrichments",)


def test_a_flag_given_on_the_command_line_wins_over_the_profile(tmp_path: Path) -> None:
    path = _write(tmp_path, {"error_style": "string", "missing_endpoints": ["GET /pixels"]})
    config = config_from_flags(
        {"profile": path, "error-style": "message", "missing-endpoint": ["GET /enrichments"]}
    )
    assert config.error_style == "message"
    assert config.missing_endpoints == ("GET /enrichments",)
    assert config_from_flags({"profile": path, "error-style": "object"}).error_style == "string"


def test_every_problem_of_a_profile_is_said_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"version": 2, "list_total": "total", "attribute_lists": "sic", "error_style": 3},
    )
    with pytest.raises(ValueError, match=r"^--profile") as caught:
        config_from_flags({"profile": path})
    assert str(caught.value) == (
        f"--profile {path}: version 2 is not one this sandbox reads (1); run `audiencelab doctor "
        "-o FILE` again with this version; unknown key 'list_total'; did you mean "
        "'list_total_key'?; attribute_lists must be a list of strings (got 'sic'); error_style "
        "must be a string (got 3)"
    )
    bad_value = _write(tmp_path, {"error_style": "html"})
    with pytest.raises(ValueError, match=r"^--profile .*: error_style must be one of object"):
        read_profile(bad_value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a report of `audiencelab doctor -o FILE`"),
    ],
)
def test_an_unreadable_profile_is_one_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"^--profile") as caught:
        config_from_flags({"profile": str(path)})
    assert str(caught.value).startswith(f"--profile {path}: {message}")


def test_a_dropped_request_is_logged_without_a_status() -> None:
    """The log layer is outside the fault layer, which can still drop a connection through it."""
    config = SandboxConfig(port=0, api_keys=(KEY,), drop_rate=1.0, seed=5)
    with Sandbox(config) as sb, sb.client(timeout=10) as client:
        with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
            client.get("/audiences")
        entries = client.get("/_sandbox/requests").json()["requests"]
    assert entries == [{"method": "GET", "path": "/audiences", "query": "", "status": None}]
