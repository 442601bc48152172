"""The public names (as httpx's tests/test_exported_members.py): ``audiencelab.__all__`` comes
from one mapping, every name in it is what its module defines, the type checkers' imports say the
same, and nothing public is left out of ``__all__``."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

import audiencelab

INIT = Path(audiencelab.__file__)


def test_all_is_the_mapping_and_each_name_is_what_its_module_defines() -> None:
    public = audiencelab._PUBLIC
    assert audiencelab.__all__ == sorted(public)
    assert dir(audiencelab) == sorted(public)
    for name, module_name in public.items():
        value = getattr(audiencelab, name)
        module = importlib.import_module(module_name)
        if isinstance(value, types.ModuleType):
            assert value is module, name
        else:
            assert getattr(module, name) is value, f"{name} is not {module_name}.{name}"
        if inspect.isclass(value) or inspect.isfunction(value):
            # Defined there, not re-exported from elsewhere (a wrong module fails here).
            defined_in = value.__module__
            assert defined_in == module_name or defined_in.startswith(f"{module_name}."), (
                f"{name} is defined in {defined_in}, the mapping says {module_name}"
            )


def test_every_public_member_is_in_all() -> None:
    for name in audiencelab.__all__:
        getattr(audiencelab, name)  # every lazy name loaded
    members = {
        name
        for name, value in vars(audiencelab).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert members - {"TYPE_CHECKING", "Any", "importlib", "annotations"} <= set(
        audiencelab.__all__
    )
    # and nothing in it is missing
    assert all(hasattr(audiencelab, name) for name in audiencelab.__all__)


def test_the_type_checkers_imports_say_the_same_as_the_mapping() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )  # fmt: skip
    imported: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            # "X as X": an explicit re-export, so that users' mypy --strict sees the name.
            assert alias.asname == alias.name, f"import {alias.name} as itself"
            module = node.module
            imported[alias.name] = (
                module if module != "audiencelab" else f"audiencelab.{alias.name}"
            )
    assert imported == audiencelab._PUBLIC


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        audiencelab.NoSuchThing  # noqa: B018


def test_the_lazy_names_are_loaded_only_when_used() -> None:
    code = (
        "import sys, audiencelab\n"
        "lazy = sorted(m for m in set(audiencelab._PUBLIC.values()) if m in sys.modules)\n"
        "eager = sorted(audiencelab._EAGER)\n"
        "assert lazy == eager, lazy\n"
        "audiencelab.ExportSummary\n"
        "assert 'audiencelab._export' in sys.modules\n"
        "assert 'audiencelab._sync.client' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
