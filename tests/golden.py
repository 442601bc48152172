"""Golden JSON from the reference's official examples, and a shape comparison for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "fixtures" / "golden"


def load_golden(name: str) -> Any:
    return json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))


def golden_bytes(name: str) -> bytes:
    return (GOLDEN_DIR / f"{name}.json").read_bytes()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_errors(actual: Any, golden: Any, path: str = "$", *, nullable: bool = True) -> list[str]:
    """Differences in keys and JSON types between ``actual`` and ``golden``.

    Every key of a golden object must be present with the same JSON type (a golden ``null`` accepts
    anything, since the reference only shows that the key exists). Array items are compared with the
    golden's first item. Extra keys in ``actual`` are allowed: the API adds fields over time.
    """
    errors: list[str] = []
    g_kind, a_kind = _kind(golden), _kind(actual)
    if g_kind == "null":
        return errors
    if a_kind != g_kind and not (nullable and a_kind == "null"):
        return [f"{path}: expected {g_kind}, got {a_kind} ({actual!r:.60})"]
    if g_kind == "object":
        for key, g_value in golden.items():
            if key not in actual:
                errors.append(f"{path}.{key}: missing")
            else:
                errors.extend(
                    shape_errors(actual[key], g_value, f"{path}.{key}", nullable=nullable)
                )
    elif g_kind == "array" and golden and actual:
        for i, item in enumerate(actual):
            errors.extend(shape_errors(item, golden[0], f"{path}[{i}]", nullable=nullable))
    return errors


def assert_same_shape(actual: Any, golden_name: str) -> None:
    errors = shape_errors(actual, load_golden(golden_name))
    assert not errors, "shape differs from golden " + golden_name + ":\n" + "\n".join(errors)
