"""``audiencelab load``: audiences (and pixel events, enrichment results) into a database or
warehouse with dlt (extra ``dlt``), DuckDB by default."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from audiencelab import AudienceLabError
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._output import simple_table

__all__ = ["load_command"]

INSTALL = '`audiencelab load` needs the dlt extra: pip install "audiencelab[dlt]"'
TELEMETRY_ENV = "RUNTIME__DLTHUB_TELEMETRY"
LOG_LEVEL_ENV = "RUNTIME__LOG_LEVEL"
NOT_FOUND = "Check the ID with `audiencelab audiences list`."


def _dlt() -> tuple[Any, Any]:
    """dlt and our source, or one line saying which extra to install. dlt's anonymous telemetry
    (requests to dlthub) stays off unless RUNTIME__DLTHUB_TELEMETRY says otherwise."""
    os.environ.setdefault(TELEMETRY_ENV, "false")
    os.environ.setdefault(LOG_LEVEL_ENV, "ERROR")  # dlt's own warnings are for pipeline authors
    try:
        import dlt

        from audiencelab.dlt import audiencelab_source
    except ImportError:
        raise CliError(INSTALL, EXIT_API) from None
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


def _run(pipeline: Any, source: Any, destination: str) -> None:
    """Run the pipeline; an SDK error inside it is raised as itself (the usual message and exit
    code), a destination left unconfigured as a usage error, anything else from dlt as one line."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    try:
        pipeline.run(source)
    except Exception as exc:
        chain = list(_chain(exc))
        for inner in chain:
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
    ] = "audiencelab",
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
) -> None:
    """Load audiences and their people (and pixel events, enrichment results) with dlt.

    Each run replaces the people of the audiences it loads (no duplicates) and adds only new
    pixel events. The pipeline's state is kept where dlt keeps it (~/.dlt/pipelines). dlt's
    anonymous telemetry is off unless RUNTIME__DLTHUB_TELEMETRY is set.
    """
    st = get_state(ctx)
    st.hint(not_found=NOT_FOUND)
    if not dataset.strip():
        raise CliError("--dataset: give a name, e.g. --dataset audiencelab", EXIT_USAGE)
    ids = list(audience or [])
    if any(not i.strip() for i in ids):
        raise CliError("--audience: give an audience ID, e.g. --audience 1a2b...", EXIT_USAGE)
    dlt, audiencelab_source = _dlt()
    target = _destination(dlt, destination)

    # The DuckDB file is named after the pipeline; it must differ from the dataset name, or
    # DuckDB cannot tell the database from the schema.
    name = "audiencelab_sandbox" if st.sandbox else "audiencelab_load"
    resources = ["audiences", "audience_records"]
    if pixels:
        resources.append("pixel_events")
    if enrichments:
        resources += ["enrichment_jobs", "enrichment_results"]
    source = audiencelab_source(client=st.client(), audience_ids=ids or None)
    if destination == "duckdb":
        # Always the file in this folder: left to itself, dlt would go on using the file of the
        # folder where the pipeline first ran, which may be gone.
        target = dlt.destinations.duckdb(credentials=str(Path.cwd() / f"{name}.duckdb"))
    pipeline = dlt.pipeline(pipeline_name=name, destination=target, dataset_name=dataset)
    with st.out.status(f"Loading into {destination}..."):
        _run(pipeline, source.with_resources(*resources), destination)
    _report(st, pipeline, destination, dataset)


def _report(st: State, pipeline: Any, destination: str, dataset: str) -> None:
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    counts = dict(normalized.row_counts) if normalized is not None else {}
    tables = {t: n for t, n in sorted(counts.items()) if not t.startswith("_dlt")}
    location = _location(pipeline)
    if st.json:
        st.out.emit_json(
            {
                "pipeline": pipeline.pipeline_name,
                "destination": destination,
                "location": location,
                "dataset": pipeline.dataset_name,
                "tables": tables,
            }
        )
        return
    where = f"{destination} ({location})" if location else destination
    if tables:
        st.out.table(simple_table(["Table", "Rows loaded"], tables.items()))
        total = sum(tables.values())
        st.out.info(
            f"Loaded {total:,} rows into {len(tables)} table(s) of dataset "
            f"{pipeline.dataset_name!r} in {where}.",
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
