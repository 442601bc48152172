"""``audiencelab doctor``: what this key can do, and where the API differs from what we assume.

The probes and the verdicts are the SDK's (``client.doctor()``); this command prints them as a
table, or the report as JSON (``--json``), writes it to a file (``-o``) and exits 0 (all as
assumed), 1 (differences) or 3 (the key was refused).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from audiencelab.cli._context import get_state
from audiencelab.cli._errors import EXIT_USAGE, CliError

__all__ = ["doctor_command"]

_STYLES = {
    "as assumed": "green",
    "differs": "yellow",
    "unavailable": "yellow",
    "skipped": "dim",
    "refused": "red",
    "unreachable": "red",
    "failed": "red",
}


def _answer(probe: Any) -> str:
    """The shape of an answer in a few words: status, time, envelope, fields, counts."""
    if probe.status is None:
        return probe.error or ""
    parts = [str(probe.status)]
    if probe.elapsed_ms is not None:
        parts.append(f"{probe.elapsed_ms:.0f} ms")
    shape = probe.shape
    if "total_key" in shape:
        parts.append(shape["total_key"])
    if "error_style" in shape:
        parts.append(f"{shape['error_style']} error")
    if "items" in shape:
        parts.append(f"{shape['items']} item{'' if shape['items'] == 1 else 's'}")
    if shape.get("fields"):
        parts.append(f"{len(shape['fields'])} fields")
    text = " · ".join(parts)
    if probe.error and probe.status in (401, 403):
        text += f": {probe.error}"
    return text


def _table(report: Any) -> Table:
    table = Table()
    for name in ("Check", "Asked", "Answer", "Verdict"):
        table.add_column(name, overflow="fold")
    for probe in report.probes:
        asked = f"{probe.method} {probe.target}".strip()
        verdict = Text(probe.verdict, style=_STYLES.get(probe.verdict, ""))
        table.add_row(probe.name, asked, _answer(probe), verdict)
    return table


def _check_output(path: Path) -> None:
    """Before anything is sent: the report's folder must exist."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(
            f"cannot write the report to {str(path)!r}: the folder {str(folder)!r} does not exist",
            EXIT_USAGE,
        )


def _write_report(path: Path, text: str) -> None:
    """The whole report or nothing: written beside ``path``, then moved over it."""
    temporary: str | None = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise CliError(
            f"cannot write the report to {str(path)!r}: {exc.strerror or exc}", EXIT_USAGE
        ) from None


def doctor_command(
    ctx: typer.Context,
    with_preview: Annotated[
        bool,
        typer.Option(
            "--with-preview",
            help="Also count one preview (POST /audiences/preview): it may cost credits.",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write the JSON report to FILE (no key, no record values: attach it to a "
            "bug report, or serve it with `audiencelab sandbox serve --profile FILE`).",
            metavar="FILE",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check what your key can do and where the API differs from what this toolkit assumes.

    Read-only: it lists audiences (and reads one page of the first), reads an audience that does
    not exist (to see the error style), each attribute list, pixels and enrichment jobs. Nothing
    is created, deleted or spent; a preview, which may cost credits, only with --with-preview.
    Exit status: 0 all as assumed, 1 differences, 3 the key was refused.
    """
    st = get_state(ctx)
    if output is not None:
        _check_output(output)
    if with_preview:
        st.out.info("Sending one preview too: it may cost credits.", style="yellow")
    client = st.client()
    with st.out.status("Probing the API..."):
        report = client.doctor(with_preview=with_preview)
    if output is not None:
        _write_report(output, report.to_json())
    if st.json:
        st.out.emit_json(report.as_dict())
    else:
        _print(st.out, report)
    if output is not None:
        st.out.info(f"Report written to {output}: attach it to a bug report (docs/doctor.md).")
    if report.refused:
        st.out.error("the API refused this key: check AUDIENCELAB_API_KEY (or --api-key)")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _print(out: Any, report: Any) -> None:
    out.line(f"audiencelab doctor: {report.base_url} with key {report.key}")
    out.table(_table(report))
    if report.differences:
        out.line("")
        out.line("Differences:")
        for d in report.differences:
            copes = "tolerated" if d.tolerated else "NOT tolerated"
            out.line(f"  {d.probe}: {d.what}\n      {copes}: {d.how}")
    notes: dict[str, list[str]] = {}  # a note -> the checks that have it (skipped ones last)
    for skipped in (False, True):
        for p in report.probes:
            if (p.verdict == "skipped") == skipped:
                for note in p.notes:
                    notes.setdefault(note, []).append(p.name)
    if notes:
        out.line("")
        out.line("Notes:")
        for note, names in notes.items():
            out.line(f"  {', '.join(names)}: {note}")
    out.line("")
    out.line(report.summary)
