"""The layout keeps its promises: one source for both clients, a core without I/O."""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from audiencelab import AsyncAudienceLab, AudienceLab

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "audiencelab"
HTTP_LIBRARIES = {
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "h11",
    "anyio",
    "requests",
    "aiohttp",
    "urllib3",
}
# The sans-I/O core: building requests, reading answers, deciding retries, checking input.
CORE = [
    "_sansio.py",
    "_retry.py",
    "_config.py",
    "_exceptions.py",
    "_validate.py",
    "_filters.py",
    "_models.py",
    "_polling.py",
    "_logging.py",
    "_doctor.py",
    "_doctor_checks.py",
    "_doctor_probes.py",
    "_options.py",
    "_response.py",
    "_answers.py",
    "_otel.py",
    "_operations",
    "_export/formats.py",
    "_export/checkpoint.py",
    "_export/sink.py",
    "_export/scheduler.py",
]


def _unasync_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts" / "unasync.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.slow
def test_the_sync_client_is_generated_from_the_async_one_and_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("part", CORE)
def test_the_core_imports_no_http_library(part: str) -> None:
    target = PACKAGE / part
    files = sorted(target.glob("*.py")) if target.is_dir() else [target]
    assert files
    for path in files:
        found = _imports(path) & HTTP_LIBRARIES
        assert not found, f"{path.relative_to(PACKAGE)} imports {sorted(found)}"


RESOURCES = ("audiences", "enrichment", "pixels", "segments")


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_method_exists_on_both_clients_with_the_same_signature_and_docstring(
    resource: str,
) -> None:
    unasync = _unasync_script().unasync
    sync_type = inspect.signature(getattr(AudienceLab, resource).func).return_annotation
    async_type = inspect.signature(getattr(AsyncAudienceLab, resource).func).return_annotation
    sync_res = importlib.import_module(f"audiencelab._sync.{resource}")
    async_res = importlib.import_module(f"audiencelab._async.{resource}")
    sync_class = getattr(sync_res, sync_type)
    async_class = getattr(async_res, async_type)
    methods = {n for n, _ in inspect.getmembers(async_class) if not n.startswith("_")}
    assert methods == {n for n, _ in inspect.getmembers(sync_class) if not n.startswith("_")}
    for name in sorted(methods):
        async_method, sync_method = getattr(async_class, name), getattr(sync_class, name)
        doc = inspect.getdoc(async_method)
        assert doc, f"{async_type}.{name} has no docstring"
        assert not doc.startswith("See "), f"{async_type}.{name}: a stub, not a docstring"
        assert inspect.getdoc(sync_method) == unasync(doc), f"{name}: docstrings differ"
        if isinstance(async_method, functools.cached_property):  # with_raw_response...
            assert isinstance(sync_method, functools.cached_property), name
            continue
        a, s = inspect.signature(async_method), inspect.signature(sync_method)
        assert list(a.parameters) == list(s.parameters), name
        for param in a.parameters.values():
            twin = s.parameters[param.name]
            assert (param.kind, param.default) == (twin.kind, twin.default), (name, param)
            assert unasync(str(param.annotation)) == str(twin.annotation), (name, param)


def test_the_clients_have_the_same_options() -> None:
    a = inspect.signature(AsyncAudienceLab.__init__).parameters
    s = inspect.signature(AudienceLab.__init__).parameters
    assert list(a) == list(s)
    assert inspect.getdoc(AsyncAudienceLab.with_options) == inspect.getdoc(AudienceLab.with_options)


def _private_imports(path: Path) -> list[str]:
    """The SDK's private modules (``audiencelab._x``) and the sandbox's (``audiencelab.sandbox._x``)
    that ``path`` imports (the CLI's own ``audiencelab.cli._x`` are its business)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
        for name in names:
            parts = name.split(".")
            if parts[0] != "audiencelab" or len(parts) < 2:
                continue
            sdk_private = parts[1].startswith("_") and not parts[1].startswith("__")
            sandbox_private = parts[1] == "sandbox" and any(p.startswith("_") for p in parts[2:])
            if sdk_private or sandbox_private:
                found.append(name)
    return found


def test_the_cli_uses_only_the_public_sdk() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        if (found := _private_imports(path))
    }
    assert offenders == {}


def test_no_module_is_longer_than_600_lines_data_tables_aside() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if "data" not in path.stem
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _audiencelab_imports(path: Path, modules: set[str], *, for_types: bool) -> set[str]:
    """The ``audiencelab`` modules ``path`` imports when it runs (at import or in a function);
    with ``for_types``, also those imported only for type checkers (``if TYPE_CHECKING:``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
                if for_types:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:  # a submodule: from pkg import mod
                        found.add(f"{base}.{alias.name}")
                    elif base in modules:
                        found.add(base)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit(inner)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(name)
    return found


def _import_graph(*, for_types: bool = False) -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {n: _audiencelab_imports(p, modules, for_types=for_types) for n, p in paths.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.slow
def test_no_import_circle_among_audiencelab_modules() -> None:
    """Arrows point down: no module imports (at import or in a function) one that imports it
    back, through any path. Imports for type checkers alone are allowed to point up."""
    graph = _import_graph()
    assert len(graph) > 100  # the walk found the package
    assert "audiencelab._export.runner" in graph["audiencelab._async.export"]
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


# The runners and what they run on: they see a client only through the Sender Protocol.
RUNNERS = [
    "audiencelab._arrow",
    "audiencelab._create_many",
    "audiencelab._synchronization",
    "audiencelab._export",
    "audiencelab._export.runner",
    "audiencelab._export.scheduler",
    "audiencelab._export.sink",
    *(f"audiencelab.{flavour}.{m}" for flavour in ("_async", "_sync")
      for m in ("export", "arrow", "create_many")),
]  # fmt: skip


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.slow
def test_the_runners_import_no_client_even_for_types(runner: str) -> None:
    graph = _import_graph(for_types=True)
    above = {
        m
        for m in graph[runner]
        if m.rpartition(".")[0] in ("audiencelab._async", "audiencelab._sync")
        and m.rpartition(".")[2] not in ("protocol", "export")
    }
    assert above == set(), f"{runner} imports {sorted(above)}: use the Sender Protocol"
