"""``audiencelab segments ...``: read and export Studio segments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audiencelab import operations
from audiencelab.cli._context import get_state
from audiencelab.cli._errors import DEFAULT_FLAGS
from audiencelab.cli._exports import (
    CONCURRENCY_OPTION,
    FORMAT_OPTION,
    NEUTRALIZE_OPTION,
    OUTPUT_OPTION,
    OVERWRITE_OPTION,
    PAGE_SIZE_OPTION,
    RESUME_OPTION,
    ExportOptions,
    run_export,
)
from audiencelab.cli._output import dump_model, record_table

__all__ = ["segments_app"]

segments_app = typer.Typer(
    help="Studio segments: look at their people, export them.", no_args_is_help=True
)

SegmentArg = Annotated[str, typer.Argument(help="The Studio segment ID.")]
NOT_FOUND = "Check the segment ID in AudienceLab Studio."


@segments_app.command("show")
def show_command(
    ctx: typer.Context,
    segment_id: SegmentArg,
    rows: Annotated[
        int, typer.Option("--rows", "-n", help="How many people to show (1-1000).", metavar="N")
    ] = 10,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", "-c", help="Column to show (repeatable).", metavar="COLUMN"),
    ] = None,
) -> None:
    """Show a segment's name, size and first people (all their columns with --json)."""
    st = get_state(ctx)
    st.hint(not_found=NOT_FOUND, flags={**DEFAULT_FLAGS, "page_size": "--rows"})
    operations.segment_records(segment_id, 1, rows)  # checked first: no sandbox for a typo
    page = st.client().segments.get(segment_id, page=1, page_size=rows)
    if st.json:
        st.out.emit_json(dump_model(page))
        return
    name = page.segment_name or segment_id
    total = f"{page.total_records:,}" if page.total_records is not None else "?"
    if page.data:
        st.out.table(record_table(page.data, column))
    st.out.info(f"Showing {len(page.data):,} of {total} people in segment {name!r}.")


@segments_app.command("export")
def export_command(
    ctx: typer.Context,
    segment_id: SegmentArg,
    output: Annotated[Path, OUTPUT_OPTION],
    format: Annotated[str | None, FORMAT_OPTION] = None,
    page_size: Annotated[int | None, PAGE_SIZE_OPTION] = None,
    concurrency: Annotated[int | None, CONCURRENCY_OPTION] = None,
    resume: Annotated[bool, RESUME_OPTION] = False,
    overwrite: Annotated[bool, OVERWRITE_OPTION] = False,
    neutralize_formulas: Annotated[bool, NEUTRALIZE_OPTION] = True,
) -> None:
    """Write every person of a Studio segment to a CSV, JSON Lines or Parquet file."""
    st = get_state(ctx)
    st.hint(not_found=NOT_FOUND)
    options = ExportOptions(
        output, format, page_size, concurrency, resume, overwrite, neutralize_formulas
    )
    fmt = options.check(st)  # before the client: a wrong name starts no sandbox
    client = st.client()
    run_export(
        st,
        "Exporting",
        options,
        lambda path, on_progress: client.segments.export(
            segment_id, path, on_progress=on_progress, **options.sdk_kwargs(fmt)
        ),
    )
