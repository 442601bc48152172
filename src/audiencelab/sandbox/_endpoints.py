"""The API's endpoints by name (``"GET /pixels/{pixel_id}"``), for the variants that take some away.

``--missing-endpoint`` and ``--forbidden-endpoint`` name endpoints this way, and a profile lists
them so; :func:`endpoint_of` says which endpoint a request is for, in the order the router tries
them. Pure: no other sandbox module is imported (the config checks its fields with this).
"""

from __future__ import annotations

import difflib
import re

__all__ = [
    "API_ENDPOINTS",
    "ATTRIBUTE_LISTS",
    "canonical_endpoint",
    "endpoint_of",
]

#: Every API endpoint (method and path template), in the order of the routes (a literal path
#: before the template that would also match it).
API_ENDPOINTS: tuple[str, ...] = (
    "GET /audiences",
    "POST /audiences",
    "POST /audiences/custom",
    "POST /audiences/preview",
    "GET /audiences/attributes/{attribute}",
    "GET /audiences/{audience_id}",
    "DELETE /audiences/{audience_id}",
    "GET /segments/{segment_id}",
    "POST /enrich",
    "GET /enrichments",
    "POST /enrichments",
    "GET /enrichments/{job_id}",
    "GET /pixels",
    "POST /pixels",
    "GET /pixels/{pixel_id}",
    "DELETE /pixels/{pixel_id}",
    "GET /pixels/{pixel_id}/v4",
)

#: The attribute lists ``GET /audiences/attributes/{attribute}`` serves (reference §3.7).
ATTRIBUTE_LISTS: tuple[str, ...] = (
    "segments",
    "industries",
    "departments",
    "seniority",
    "sic",
    "gender",
)

_PARAM = re.compile(r"\{[^{}/]*\}")


def _shape(endpoint: str) -> str:
    """``"GET /pixels/{}"``: the parameter names do not matter when naming an endpoint."""
    method, _, path = endpoint.strip().partition(" ")
    return f"{method.upper()} {_PARAM.sub('{}', path.strip().rstrip('/') or '/')}"


_BY_SHAPE = {_shape(e): e for e in API_ENDPOINTS}
#: (method, the path's segments with None for a parameter, the endpoint), in route order
_TEMPLATES = tuple(
    (
        e.partition(" ")[0],
        tuple(None if _PARAM.fullmatch(s) else s for s in e.partition(" ")[2].split("/")),
        e,
    )
    for e in API_ENDPOINTS
)


def canonical_endpoint(text: object) -> str:
    """``"get /pixels/{id}"`` -> ``"GET /pixels/{pixel_id}"``; ``ValueError`` with the endpoints
    that exist (and the likeliest one) for anything else."""
    known = _BY_SHAPE.get(_shape(text)) if isinstance(text, str) else None
    if known is not None:
        return known
    close = difflib.get_close_matches(str(text), API_ENDPOINTS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"{text!r} is not an endpoint of the API: write 'METHOD /path' as in "
        f"'GET /pixels' or 'GET /audiences/{{audience_id}}'{hint}"
    )


def endpoint_of(method: str, path: str) -> str | None:
    """The endpoint a request goes to (HEAD as GET), or None for paths outside the API."""
    method = "GET" if method == "HEAD" else method
    segments = path.split("/")
    for allowed, template, endpoint in _TEMPLATES:
        if allowed == method and _fits(template, segments):
            return endpoint
    return None


def _fits(template: tuple[str | None, ...], segments: list[str]) -> bool:
    """A parameter (None) takes any one non-empty segment; the others must be equal."""
    return len(template) == len(segments) and all(
        (t is None and s != "") or t == s for t, s in zip(template, segments, strict=True)
    )
