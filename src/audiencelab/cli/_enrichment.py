"""``audiencelab enrich`` (one contact) and ``audiencelab enrichments ...`` (bulk jobs)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from audiencelab import EnrichmentJob, WaitTimeoutError
from audiencelab.cli._context import State, get_state
from audiencelab.cli._csvjoin import join_csv_files
from audiencelab.cli._errors import DEFAULT_FLAGS, EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._files import read_csv_records
from audiencelab.cli._output import dump_model, record_table, simple_table

__all__ = ["enrich_command", "enrichments_app"]

enrichments_app = typer.Typer(
    help="Bulk enrichment jobs: upload a CSV of contacts, wait, download the results.",
    no_args_is_help=True,
)

MATCH_PANEL = "Match keys (at least one)"

# The lowercase ``fields`` of ``POST /enrich`` (reference §4.1) and the UPPER_SNAKE columns the
# answer carries them in (§8; the sandbox answers with the first of each), so that the table
# shows what was asked for. The SDK validates the names (operations.ENRICH_FIELDS); it should own
# this table too.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "company": ("COMPANY_NAME", "COMPANY"),
    "job_title": ("JOB_TITLE",),
    "first_name": ("FIRST_NAME",),
    "last_name": ("LAST_NAME",),
    "b2b_email": ("BUSINESS_EMAIL", "BUSINESS_VERIFIED_EMAILS", "B2B_EMAIL"),
    "personal_email": ("PERSONAL_EMAILS", "PERSONAL_EMAIL", "PERSONAL_VERIFIED_EMAILS"),
    "b2b_phone": ("DIRECT_NUMBER", "COMPANY_PHONE", "SKIPTRACE_B2B_PHONE", "B2B_PHONE"),
    "personal_phone": ("MOBILE_PHONE", "PERSONAL_PHONE", "PERSONAL_PHONE_NUMBER"),
    "sha256": ("SHA256_PERSONAL_EMAIL", "SHA256"),
    "linkedin_url": ("LINKEDIN_URL",),
    "address": ("PERSONAL_ADDRESS", "ADDRESS"),
    "city": ("PERSONAL_CITY", "CITY"),
    "state": ("PERSONAL_STATE", "STATE"),
    "zip": ("PERSONAL_ZIP", "ZIP"),
    "industry": ("COMPANY_INDUSTRY", "INDUSTRY"),
    "company_domain": ("COMPANY_DOMAIN",),
}


def field_columns(fields: Sequence[str], present: Collection[str]) -> tuple[list[str], list[str]]:
    """The answer's columns that carry ``fields``, in the order asked, and the fields that none
    of its columns carries."""
    columns: dict[str, None] = {}
    missing: list[str] = []
    for name in fields:
        candidates = (*FIELD_COLUMNS.get(name, ()), name.upper(), name)
        found = [c for c in candidates if c in present]
        columns.update(dict.fromkeys(found))
        if not found:
            missing.append(name)
    return list(columns), missing


def _match(flag: str, help: str) -> Any:
    metavar = flag.removeprefix("--").replace("-", "_").upper()
    return typer.Option(flag, help=help, metavar=metavar, rich_help_panel=MATCH_PANEL)


def enrich_command(
    ctx: typer.Context,
    email: Annotated[str | None, _match("--email", "Email address.")] = None,
    first_name: Annotated[str | None, _match("--first-name", "First name.")] = None,
    last_name: Annotated[str | None, _match("--last-name", "Last name.")] = None,
    company: Annotated[str | None, _match("--company", "Company name.")] = None,
    phone: Annotated[str | None, _match("--phone", "Phone number, e.g. +14155550100.")] = None,
    address: Annotated[str | None, _match("--address", "Street address.")] = None,
    city: Annotated[str | None, _match("--city", "City.")] = None,
    state_: Annotated[str | None, _match("--state", "State.")] = None,
    zip_: Annotated[str | None, _match("--zip", "ZIP code.")] = None,
    linkedin_url: Annotated[str | None, _match("--linkedin-url", "LinkedIn profile URL.")] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-f",
            help="Field to return (repeatable), e.g. job_title, personal_email, company_domain.",
            metavar="FIELD",
        ),
    ] = None,
    or_match: Annotated[
        bool, typer.Option("--or", help="Match on any of the keys instead of all of them.")
    ] = False,
) -> None:
    """Enrich one contact in real time: find the person matching the keys given."""
    st = get_state(ctx)
    st.hint(flags={**DEFAULT_FLAGS, "filter": "--", "fields": "--field"})
    given = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "company": company,
        "phone": phone,
        "address": address,
        "city": city,
        "state": state_,
        "zip": zip_,
        "linkedin_url": linkedin_url,
    }
    match = {key: value for key, value in given.items() if value is not None}
    result = st.client().enrichment.enrich(match, list(field) if field else None, or_match)
    if st.json:
        st.out.emit_json(dump_model(result))
        return
    if not result.result:
        st.out.info("No match.")
        return
    wanted = None
    if field:
        present = {k for row in result.result for k in row}
        wanted, missing = field_columns(field, present)
        if missing:
            st.out.warning(
                f"the answer has no column for {', '.join(missing)} (all it holds: --json)"
            )
    st.out.table(record_table(result.result, wanted or None))
    st.out.info(f"{result.found:,} match{'es' if result.found != 1 else ''}.")


@enrichments_app.command("create")
def create_command(
    ctx: typer.Context,
    csv_file: Annotated[
        Path,
        typer.Argument(
            help="CSV of contacts with a header line: email, first_name (or First Name), "
            "last_name, phone, company_name...",
            metavar="FILE.csv",
            dir_okay=False,
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the job.", metavar="NAME")],
    operator: Annotated[
        str,
        typer.Option(
            "--operator",
            help="AND: match on all columns given; OR: on any of them.",
            metavar="AND|OR",
        ),
    ] = "OR",
) -> None:
    """Start a bulk enrichment job from a CSV file (big files become several jobs); prints job IDs."""
    st = get_state(ctx)
    records, lines = read_csv_records(csv_file)

    def where(loc: tuple[str | int, ...]) -> str | None:
        """``records[i].key`` as the line and column of the file it came from."""
        if len(loc) != 3 or loc[0] != "records" or not isinstance(loc[1], int):
            return None
        index = loc[1]
        line = lines[index] if index < len(lines) else index + 2
        return f"{csv_file.name} line {line}, column {loc[2]}"

    st.hint(flags={**DEFAULT_FLAGS, "records": "records"}, locate=where)
    jobs = st.client().enrichment.create_jobs(name, records, operator=cast(Any, operator))
    if st.json:
        st.out.emit_json([dump_model(job) for job in jobs])
        return
    for job in jobs:
        st.out.line(job.job_id)
    ids = " ".join(job.job_id for job in jobs)
    st.out.info(
        f"Started {len(jobs)} enrichment job{'s' if len(jobs) != 1 else ''} for "
        f"{len(records):,} records ({jobs[0].status}). Wait with: {st.prog} enrichments wait {ids}",
        style="green",
    )


@enrichments_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List your enrichment jobs and their status."""
    st = get_state(ctx)
    jobs = list(st.client().enrichment.jobs())
    if st.json:
        st.out.emit_json([dump_model(job) for job in jobs])
        return
    if not jobs:
        st.out.info(
            f"No enrichment jobs yet. Start one with: {st.prog} enrichments create FILE.csv --name NAME"
        )
        return
    st.out.table(
        simple_table(
            ("ID", "Name", "Status", "Records", "Created"),
            (
                (
                    j.id,
                    j.name,
                    j.status,
                    j.total,
                    j.created_at.isoformat() if j.created_at else None,
                )
                for j in jobs
            ),
        )
    )


JobArgs = Annotated[
    list[str],
    typer.Argument(
        help=(
            "Job IDs, as `enrichments create` prints them (one per line; IDs separated by spaces "
            'or newlines within one argument count too, so "$JOB" works).'
        ),
        metavar="JOB_ID",
        show_default=False,
    ),
]


def job_ids(values: Sequence[str]) -> list[str]:
    """The IDs given, split on whitespace (``"$JOB"`` holds one per line), each once, in order."""
    ids = list(dict.fromkeys(part for value in values for part in value.split()))
    if not ids:
        raise CliError(
            "no job ID given (an empty argument: did `enrichments create` fail?)", EXIT_USAGE
        )
    return ids


def _not_found(prog: str) -> str:
    return f"Check the ID; list your jobs with: {prog} enrichments list"


@enrichments_app.command("wait")
def wait_command(
    ctx: typer.Context,
    job_id: JobArgs,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", help="Give up after S seconds (for all the jobs).", metavar="S", min=0
        ),
    ] = 1800,
) -> None:
    """Wait until jobs have finished (exit 1 if one failed or is not done after --timeout)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st.prog))
    ids = job_ids(job_id)
    client = st.client()
    deadline = time.monotonic() + timeout
    jobs: list[EnrichmentJob] = []
    for n, one in enumerate(ids, 1):
        of = f" ({n} of {len(ids)})" if len(ids) > 1 else ""
        with st.out.status(f"Waiting for enrichment job {one}{of}…"):
            try:
                remaining = max(0.0, deadline - time.monotonic())
                jobs.append(client.enrichment.wait(one, timeout=remaining))
            except WaitTimeoutError as exc:
                if len(ids) == 1:
                    raise
                raise CliError(
                    f"{exc.summary}. Run `{st.prog} enrichments wait {' '.join(ids)}` again later.",
                    EXIT_API,
                ) from None
    if st.json:
        st.out.emit_json([dump_model(job) for job in jobs])
    failed = [job.id for job in jobs if job.status.upper() == "FAILED"]
    if failed:
        raise CliError(
            f"enrichment job{'s' if len(failed) > 1 else ''} {', '.join(failed)} failed", EXIT_API
        )
    if st.json:
        return
    for job in jobs:
        if job.status.upper() == "COMPLETED":
            total = (
                f"{job.total:,} record{'s' if job.total != 1 else ''}"
                if job.total is not None
                else "done"
            )
            st.out.info(f"Enrichment job {job.id} completed ({total}).", style="green")
        else:
            st.out.info(f"Enrichment job {job.id} finished: {job.status} (no matches).")
    if any(job.status.upper() == "COMPLETED" for job in jobs):
        one_file = " (into one CSV)" if len(ids) > 1 else ""
        st.out.info(
            f"Download the results{one_file} with: {st.prog} enrichments download "
            f"{' '.join(ids)} -o results.csv",
            style="green",
        )


@enrichments_app.command("download")
def download_command(
    ctx: typer.Context,
    job_id: JobArgs,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write the results CSV to (several jobs: joined into this one file).",
            metavar="FILE",
            dir_okay=False,
        ),
    ],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", "--force", help="Replace FILE if it exists.")
    ] = False,
) -> None:
    """Download finished jobs' results into one CSV (one header, the jobs' rows in order)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st.prog))
    ids = job_ids(job_id)
    client = st.client()
    started = time.monotonic()
    if len(ids) == 1:
        with st.out.status(f"Downloading the results of {ids[0]}…"):
            written = client.enrichment.download(ids[0], output, overwrite=overwrite).bytes_written
    else:
        written = _download_joined(st, ids, output, overwrite)
    seconds = time.monotonic() - started
    if st.json:
        st.out.emit_json(
            {"path": str(output), "bytes_written": written, "seconds": seconds, "jobs": ids}
        )
        return
    of = f" (the results of {len(ids)} jobs, joined)" if len(ids) > 1 else ""
    st.out.info(f"Downloaded {written:,} bytes to {output}{of} in {seconds:.1f} s.", style="green")


def _download_joined(st: State, ids: Sequence[str], output: Path, overwrite: bool) -> int:
    """Download each job next to ``output``, then join them into it; nothing is left under that
    name unless every part arrived."""
    if output.exists() and not overwrite:
        raise CliError(f"{str(output)!r} already exists; add --overwrite to replace it", EXIT_USAGE)
    if not output.parent.is_dir():
        raise CliError(f"the folder {str(output.parent)!r} does not exist", EXIT_USAGE)
    client = st.client()
    jobs = [client.enrichment.get_job(one) for one in ids]  # every ID exists, before any download
    with tempfile.TemporaryDirectory(prefix=".audiencelab-", dir=output.parent) as folder:
        parts: list[tuple[str, Path]] = []
        for n, job in enumerate(jobs, 1):
            if job.status.upper() == "NO_DATA" and not job.csv_url:
                st.out.warning(f"enrichment job {job.id} matched no one: it adds no rows")
                continue
            part = Path(folder) / f"part-{n}.csv"
            with st.out.status(f"Downloading the results of {job.id} ({n} of {len(jobs)})…"):
                client.enrichment.download(job, part)
            parts.append((job.id, part))
        if not parts:
            raise CliError("none of these jobs has results to download", EXIT_API)
        joined = Path(folder) / ("joined.csv.gz" if output.name.endswith(".gz") else "joined.csv")
        join_csv_files(parts, joined)
        written = joined.stat().st_size
        os.replace(joined, output)
    return written
