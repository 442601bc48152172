"""Schemathesis over every operation of /openapi.json: no 5xx, no response breaking the schema."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from audiencelab.sandbox import SandboxConfig, create_app
from audiencelab.sandbox._routes import UNDOCUMENTED_ROUTES

from .conftest import KEY

APP = create_app(SandboxConfig(api_keys=(KEY,), build_seconds=0, max_audience_size=2_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


async def _seed() -> dict[str, str]:
    """Existing ids, so that generated cases also reach records and events, not only 404s."""
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", headers={"X-Api-Key": KEY}
    ) as client:
        audience = await client.post("/audiences", json={"name": "s", "filters": {"state": ["NY"]}})
        pixel = await client.post(
            "/pixels", json={"websiteName": "s", "websiteUrl": "https://s.example"}
        )
    return {"audience_id": audience.json()["audienceId"], "pixel_id": pixel.json()["pixel_id"]}


KNOWN_IDS = asyncio.run(_seed())


def test_every_implemented_route_is_described() -> None:
    described = {
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    routes: set[tuple[str, str]] = set()
    for route in APP.starlette.routes:
        path: str = getattr(route, "path", "")
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD" and path != "/openapi.json":
                routes.add((method, path))
    assert routes == described | UNDOCUMENTED_ROUTES
    assert not described & UNDOCUMENTED_ROUTES


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.slow
def test_api_conforms_to_its_own_description(case: schemathesis.Case) -> None:
    params: dict[str, Any] = case.path_parameters or {}
    for name, known in KNOWN_IDS.items():
        value = params.get(name)
        if isinstance(value, str) and len(value) % 2 == 0:  # about half of the cases
            params[name] = known
    case.call_and_validate(headers={"X-Api-Key": KEY}, checks=CHECKS)


# ---------------------------------------------------------------------------------------------
# The document and the validator agree: every documented limit is the enforced limit

BASE_BODIES: dict[str, dict[str, Any]] = {
    "CreateAudience": {"name": "n", "filters": {}},
    "PreviewAudience": {"days_back": 3},
    "CreateCustomAudience": {"topic": "t", "description": "d"},
    "Enrich": {"filter": {"email": "a@example.com"}},
    "CreateEnrichmentJob": {"name": "j", "records": [{"email": "a@example.com"}]},
    "CreatePixel": {"websiteName": "w", "websiteUrl": "https://w.example"},
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema behind a ``$ref``, without its ``null`` alternative (OpenAPI 3.1)."""
    while "$ref" in schema or "anyOf" in schema:
        if "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s != {"type": "null"})
        else:
            schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if isinstance(kind, list):
        schema = {**schema, "type": next(k for k in kind if k != "null")}
        if "enum" in schema:
            schema["enum"] = [v for v in schema["enum"] if v is not None]
    return schema


DOCUMENT: dict[str, Any] = schema.raw_schema


def _operations() -> dict[str, str]:
    """Request schema name -> the path that takes it (all are POST)."""
    found = {}
    for path, item in DOCUMENT["paths"].items():
        body = item.get("post", {}).get("requestBody")
        if body:
            found[body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]] = path
    return found


def _cases(props: dict[str, Any], prefix: str = "") -> list[tuple[str, Any, bool]]:
    """(dotted field, value, documented as valid) at the edges of each documented limit."""
    cases: list[tuple[str, Any, bool]] = []
    for name, raw in props.items():
        prop = _resolve(raw)
        where = f"{prefix}{name}"
        kind = prop.get("type")
        if kind == "object" and "properties" in prop and prefix == "" and name == "filters":
            cases += _cases(prop["properties"], "filters.")
        elif kind == "object" and "properties" in prop and prefix:
            cases += _cases(prop["properties"], f"{where}.")
        elif kind == "string" and "enum" in prop:
            cases += [(where, v, True) for v in prop["enum"]] + [(where, "zz-unlisted", False)]
        elif kind == "string" and "maxLength" in prop:
            n = prop["maxLength"]
            ok = ("https://" + "x" * (n - 8)) if "://" in prop.get("pattern", "") else "x" * n
            cases += [(where, ok, True), (where, ok + "x", False)]
        elif kind in ("integer", "number"):
            for bound, step in (("minimum", -1), ("maximum", 1)):
                if bound in prop:
                    cases += [(where, prop[bound], True), (where, prop[bound] + step, False)]
        elif kind == "array":
            items = _resolve(prop["items"])
            if "enum" in items:
                cases += [(where, [v], True) for v in items["enum"][:40]]
                cases.append((where, ["zz-unlisted"], False))
            if "pattern" in items:
                cases += [(where, ["b2c_1253"], True), (where, ["1253"], False)]
            if "maxItems" in prop and items.get("type") == "string":
                cases.append((where, ["x"] * (prop["maxItems"] + 1), False))
            if "maxLength" in items:
                cases.append((where, ["x" * (items["maxLength"] + 1)], False))
    return cases


def _with(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    keys = dotted.split(".")
    target = out
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value
    return out


def test_documented_limits_are_the_enforced_limits() -> None:
    operations = _operations()
    assert set(operations) == set(BASE_BODIES)
    checked = 0

    async def run() -> None:
        nonlocal checked
        transport = httpx.ASGITransport(app=APP)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sandbox.test", headers={"X-Api-Key": KEY}
        ) as client:
            for name, path in operations.items():
                body_schema = DOCUMENT["components"]["schemas"][name]
                for field in body_schema.get("required", []):
                    r = await client.post(path, json={**BASE_BODIES[name], field: None})
                    assert r.status_code == 400, (path, field)
                    assert r.json()["error"]["message"].startswith(f"{field}: required")
                for field, value, valid in _cases(body_schema["properties"]):
                    r = await client.post(path, json=_with(BASE_BODIES[name], field, value))
                    if valid:
                        assert r.status_code < 300, (path, field, value, r.text)
                    else:
                        assert r.status_code == 400, (path, field, str(value)[:80], r.text)
                        message = r.json()["error"]["message"]
                        assert message.startswith(field), (field, message)
                    checked += 1
            for param in DOCUMENT["paths"]["/audiences"]["get"]["parameters"]:
                top = param["schema"]["maximum"]
                ok = await client.get("/audiences", params={param["name"]: top})
                bad = await client.get("/audiences", params={param["name"]: top + 1})
                assert (ok.status_code, bad.status_code) == (200, 400), param["name"]

    asyncio.run(run())
    assert checked > 80
