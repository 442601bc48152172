"""``audiencelab load``: audiences (and pixel events, enrichment results) into a database or
warehouse with dlt (extra ``dlt``), DuckDB by default.

A run is safe to kill at any moment: each audience's people are replaced in one transaction
(the source's doing), and the next run first finishes a load an interrupted one left behind,
then reads the audiences again. The pipeline's state lives in ``.dlt/pipelines`` of the folder
the command runs in, one pipeline per destination and dataset, beside the DuckDB file.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from audiencelab import AudienceLabError
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._extras import missing_extra_message
from audiencelab.cli._load_view import LoadView
from audiencelab.cli._output import simple_table

__all__ = ["load_command"]

NOT_FOUND = "Check the ID with `audiencelab audiences list`."
INTERRUPTED = (
    "Run the same command again: it finishes a load left half done, then reads the audiences "
    "again (each audience's people are replaced, never doubled)."
)
DEFAULT_DATASET = "audiencelab"
#: Where the pipelines' state is kept, under the folder the command runs in.
STATE_DIR = Path(".dlt") / "pipelines"
#: The storage version a new DuckDB file is written in unless --duckdb-storage says otherwise:
#: DuckDB 1.0 and every later version open it (a file in DuckDB's own latest format opens only
#: in that version and later ones).
DUCKDB_STORAGE = "v1.0.0"

# dlt settings this command picks, unless the environment (or dlt's config) says otherwise.
DLT_DEFAULTS = {
    # dlt's anonymous telemetry (requests to dlthub) is off.
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # dlt's own warnings are for pipeline authors; ours and its errors are shown.
    "RUNTIME__LOG_LEVEL": "ERROR",
    # No copy of the people is left behind: dlt keeps the files of loaded packages in the
    # pipeline folder, and the last load in the staging dataset, unless told not to.
    "LOAD__DELETE_COMPLETED_JOBS": "true",
    "LOAD__TRUNCATE_STAGING_DATASET": "true",
}
TELEMETRY_ENV = "RUNTIME__DLTHUB_TELEMETRY"
# The folder dlt makes for each extract (uniq_id(8)): one left by a killed run holds a partial
# copy of the people and is never read again.
_EXTRACT_FOLDER = re.compile(r"[0-9a-f]{16}")


def _dlt() -> tuple[Any, Any]:
    """dlt and our source, or one line saying which extra to install."""
    for name, value in DLT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    try:
        import dlt

        from audiencelab.dlt import audiencelab_source
    except ImportError as exc:
        module = exc.name if isinstance(exc, ModuleNotFoundError) else None
        raise CliError(
            missing_extra_message("dlt", "`audiencelab load`", module), EXIT_API
        ) from None
    return dlt, audiencelab_source


def _destination(dlt: Any, name: str) -> Any:
    """The dlt destination called ``name`` (a type, or a name configured the dlt way)."""
    from dlt.common.destination import Destination
    from dlt.common.destination.exceptions import UnknownDestinationModule

    try:
        return Destination.from_reference(name)
    except UnknownDestinationModule:
        known = list(dlt.destinations.__all__)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CliError(
            f"--destination: unknown dlt destination {name!r}; {hint}use one of "
            f"{', '.join(sorted(known))}, or a destination named in your dlt configuration",
            EXIT_USAGE,
        ) from None


def _base_name(sandbox: bool) -> str:
    """What the DuckDB file and the pipelines are named after: synthetic people (``--sandbox``)
    never mix with real ones."""
    return "audiencelab_sandbox" if sandbox else "audiencelab_load"


def pipeline_name(sandbox: bool, destination: str, dataset: str) -> str:
    """One pipeline (and state) per destination and dataset: ``audiencelab_load`` for the
    default DuckDB dataset, ``audiencelab_load_postgres_people`` for ``--destination postgres
    --dataset people``; ``audiencelab_sandbox...`` with ``--sandbox``."""
    parts = [_base_name(sandbox)]
    if destination != "duckdb":
        parts.append(destination)
    if dataset != DEFAULT_DATASET:
        parts.append(dataset)
    return re.sub(r"[^A-Za-z0-9_]+", "_", "_".join(parts))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (dlt keeps the original error in ``.exception``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "exception", None)
        current = (
            inner
            if isinstance(inner, BaseException)
            else (current.__cause__ or current.__context__)
        )


@contextlib.contextmanager
def _dlt_errors(destination: str) -> Iterator[None]:
    """dlt's errors in our terms: Ctrl-C (which dlt wraps) as itself, an SDK error inside as
    itself (the usual message and exit code), a destination left unconfigured as a usage error,
    anything else from dlt as one line."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    try:
        yield
    except Exception as exc:
        chain = list(_chain(exc))
        for inner in chain:
            if isinstance(inner, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            if isinstance(inner, AudienceLabError):
                raise inner from None
            if isinstance(inner, ConfigFieldMissingException):
                raise CliError(_not_configured(destination, inner), EXIT_USAGE) from None
        step = getattr(exc, "step", None) or "run"
        cause = chain[-1]
        first_line = (str(cause).strip().splitlines() or [""])[0]
        kept = (
            " The data read so far is kept: run the command again to finish loading it."
            if step == "load"
            else ""
        )
        raise CliError(
            f"dlt could not {step} the pipeline: {type(cause).__name__}: {first_line}{kept}",
            EXIT_API,
        ) from None


def _missing_fields(traces: Any, prefix: str = "") -> list[str]:
    """The configuration fields dlt looked for and did not find (``credentials.password``...)."""
    missing: list[str] = []
    for name, found in dict(traces).items():
        nested = [t for t in found if hasattr(t, "traces")]
        if nested:
            missing += _missing_fields(nested[0].traces, f"{prefix}{name}.")
        else:
            missing.append(prefix + name)
    return list(dict.fromkeys(missing))


def _not_configured(destination: str, exc: Any) -> str:
    fields = _missing_fields(getattr(exc, "traces", {})) or ["its settings"]
    section = destination.lower()
    example = "DESTINATION__" + "__".join([section, *fields[0].split(".")]).upper()
    return (
        f"--destination {destination} is not configured: dlt needs {', '.join(fields)}. Set "
        f"them in .dlt/secrets.toml under [destination.{section}], or as environment variables "
        f"such as {example} (https://dlthub.com/docs/general-usage/credentials/)."
    )


@contextlib.contextmanager
def _only_run(lock_path: Path, what: str) -> Iterator[bool]:
    """Hold ``lock_path`` for the run: a second ``load`` into the same pipeline at the same time
    is refused. Yields whether the lock is real (POSIX); without it nothing is cleaned up."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CliError(
                f"another `audiencelab load` is loading into {what} right now; wait for it to "
                "finish, or use another folder or --dataset",
                EXIT_API,
            ) from None
        yield True


def _remove_dead_extracts(working_dir: Path) -> None:
    """Delete the partial extracts of killed runs (dlt never reads them again): they hold
    people's records. Only while this run holds the pipeline's lock."""
    folder = working_dir / "normalize"
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir() and _EXTRACT_FOLDER.fullmatch(entry.name):
                shutil.rmtree(entry, ignore_errors=True)


def _new_duckdb_file(path: Path, storage: str) -> None:
    """Create the DuckDB file in ``storage`` version (later connections keep its version)."""
    import duckdb

    try:
        duckdb.connect(str(path), config={"storage_compatibility_version": storage}).close()
    except duckdb.Error as exc:
        path.unlink(missing_ok=True)
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise CliError(
            f"--duckdb-storage: DuckDB {duckdb.__version__} cannot write version {storage!r} "
            f"({reason}); use e.g. v1.0.0 (read by DuckDB 1.0 and later) or latest",
            EXIT_USAGE,
        ) from None


def load_command(
    ctx: typer.Context,
    destination: Annotated[
        str,
        typer.Option(
            "--destination",
            help=(
                "Any dlt destination: duckdb (a file in this folder), postgres, bigquery, "
                "snowflake, ...; configured the dlt way (.dlt/secrets.toml or environment "
                "variables such as DESTINATION__POSTGRES__CREDENTIALS)."
            ),
            metavar="NAME",
        ),
    ] = "duckdb",
    dataset: Annotated[
        str, typer.Option("--dataset", help="Dataset (schema) to load into.", metavar="NAME")
    ] = DEFAULT_DATASET,
    audience: Annotated[
        list[str] | None,
        typer.Option(
            "--audience",
            help="Audience whose people to load (repeatable; default: every ready audience).",
            metavar="ID",
        ),
    ] = None,
    pixels: Annotated[
        bool,
        typer.Option("--pixels", help="Also load pixel events (v3 and v4): only new ones."),
    ] = False,
    enrichments: Annotated[
        bool,
        typer.Option(
            "--enrichments",
            help="Also load enrichment jobs, and the results of completed ones not loaded yet.",
        ),
    ] = False,
    duckdb_storage: Annotated[
        str,
        typer.Option(
            "--duckdb-storage",
            help=(
                "Storage version of a new DuckDB file: v1.0.0 (DuckDB 1.0 and later open it), "
                "a later vX.Y.Z, or latest (only this DuckDB and later). An existing file keeps "
                "its version."
            ),
            metavar="VERSION",
        ),
    ] = DUCKDB_STORAGE,
) -> None:
    """Load audiences and their people (and pixel events, enrichment results) with dlt.

    Each run replaces the people of the audiences it loads (one row per person and audience,
    even after a run that was killed) and adds only new pixel events. The pipeline's state is
    kept in .dlt/pipelines of this folder, beside the DuckDB file. dlt's anonymous telemetry is
    off unless RUNTIME__DLTHUB_TELEMETRY is set.
    """
    st = get_state(ctx)
    st.hint(not_found=NOT_FOUND, interrupted=INTERRUPTED)
    if not dataset.strip():
        raise CliError("--dataset: give a name, e.g. --dataset audiencelab", EXIT_USAGE)
    ids = list(audience or [])
    if any(not i.strip() for i in ids):
        raise CliError("--audience: give an audience ID, e.g. --audience 1a2b...", EXIT_USAGE)
    if dataset == _base_name(st.sandbox):
        raise CliError(
            f"--dataset: {dataset!r} is the name of the DuckDB file; choose another name",
            EXIT_USAGE,
        )
    dlt, audiencelab_source = _dlt()
    target = _destination(dlt, destination)

    name = pipeline_name(st.sandbox, destination, dataset)
    state_dir = Path.cwd() / STATE_DIR
    resources = ["audiences", "audience_records"]
    if pixels:
        resources.append("pixel_events")
    if enrichments:
        resources += ["enrichment_jobs", "enrichment_results"]
    # One DuckDB file whatever the dataset; its name must differ from the dataset's, or DuckDB
    # cannot tell the database from the schema.
    database = Path.cwd() / f"{_base_name(st.sandbox)}.duckdb"
    what = str(database) if destination == "duckdb" else f"{destination} ({dataset})"
    view = LoadView(st.out, destination, page_size=1000)
    # The client first: a missing key or a bad address fails before any file is made.
    source = audiencelab_source(
        client=st.client(),
        audience_ids=ids or None,
        on_progress=view.on_records if view.live else None,
    )
    with _only_run(state_dir / f"{name}.lock", what) as locked:
        if destination == "duckdb":
            if not database.exists():
                # (dlt itself starts a new state when the file it loaded into before is gone:
                # it finds no state there, and resets this folder's.)
                _new_duckdb_file(database, duckdb_storage)
            # Always the file in this folder, whatever the state remembers.
            target = dlt.destinations.duckdb(credentials=str(database))
        if locked:
            _remove_dead_extracts(state_dir / name)
        pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=target,
            dataset_name=dataset,
            pipelines_dir=str(state_dir),
        )
        with _dlt_errors(destination), view:
            finished = _finish_pending(pipeline, view)
            counts = _load(pipeline, source.with_resources(*resources), view)
    _report(st, pipeline, destination, dataset, counts, finished)


def _finish_pending(pipeline: Any, view: LoadView) -> bool:
    """Load what an interrupted run left: dlt's ``run()`` without data does only that (after
    restoring the state from the destination, when this folder has none). Whether there was
    something to finish."""
    pending = bool(pipeline.has_pending_data)
    shown = view.step("Finishing the load an interrupted run left") if pending else None
    with shown or contextlib.nullcontext():
        pipeline.run()
    return pending


def _load(pipeline: Any, source: Any, view: LoadView) -> dict[str, int]:
    """Extract, normalize and load, each step shown; the rows of each table of ours."""
    with view.step("Reading from AudienceLab"):
        pipeline.extract(source)
    with view.step("Preparing the load"):
        normalized = pipeline.normalize()
    with view.step(f"Loading into {view.destination}"):
        pipeline.load()
    counts = dict(normalized.row_counts) if normalized is not None else {}
    return {t: n for t, n in sorted(counts.items()) if not t.startswith("_dlt")}


def _report(
    st: State, pipeline: Any, destination: str, dataset: str, tables: dict[str, int], finished: bool
) -> None:
    location = _location(pipeline)
    if st.json:
        st.out.emit_json(
            {
                "pipeline": pipeline.pipeline_name,
                "destination": destination,
                "location": location,
                "dataset": pipeline.dataset_name,
                "tables": tables,
                "finished_interrupted_load": finished,
            }
        )
        return
    where = f"{destination} ({location})" if location else destination
    if finished:
        st.out.info("Finished the load an interrupted run had left.")
    if tables:
        st.out.table(
            simple_table(["Table", "Rows loaded"], [(t, f"{n:,}") for t, n in tables.items()])
        )
        total = sum(tables.values())
        each = ", ".join(f"{n:,} into {t}" for t, n in tables.items())
        st.out.info(
            f"Loaded {total:,} rows ({each}) into dataset {pipeline.dataset_name!r} in {where}.",
            style="green",
        )
    else:
        st.out.info(f"Nothing new to load into dataset {dataset!r} in {where}.", style="green")


def _location(pipeline: Any) -> str:
    """Where the data went, without secrets (a DuckDB file's path, a host...)."""
    try:
        credentials = pipeline.destination_client().config.credentials
    except Exception:
        return ""
    database = getattr(credentials, "database", None)
    if pipeline.destination.destination_name == "duckdb" and database:
        return str(database)
    return ""
