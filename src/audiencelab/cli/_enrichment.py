"""``audiencelab enrich`` (one contact) and ``audiencelab enrichments ...`` (bulk jobs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

from audiencelab.cli._context import get_state
from audiencelab.cli._errors import DEFAULT_FLAGS, EXIT_API, CliError
from audiencelab.cli._files import read_csv_records
from audiencelab.cli._output import dump_model, record_table, simple_table

__all__ = ["enrich_command", "enrichments_app"]

enrichments_app = typer.Typer(
    help="Bulk enrichment jobs: upload a CSV of contacts, wait, download the results.",
    no_args_is_help=True,
)

MATCH_PANEL = "Match keys (at least one)"


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
        wanted = [f.upper() for f in field if f.upper() in present] or None
    st.out.table(record_table(result.result, wanted))
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


JobArg = Annotated[
    str, typer.Argument(help="The job ID (from `enrichments create` or `list`).", metavar="JOB_ID")
]


def _not_found(prog: str) -> str:
    return f"Check the ID; list your jobs with: {prog} enrichments list"


@enrichments_app.command("wait")
def wait_command(
    ctx: typer.Context,
    job_id: JobArg,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after S seconds.", metavar="S", min=0)
    ] = 1800,
) -> None:
    """Wait until a job has finished (exit 1 if it failed or is not done after --timeout)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st.prog))
    client = st.client()
    with st.out.status(f"Waiting for enrichment job {job_id}…"):
        job = client.enrichment.wait(job_id, timeout=timeout)
    if st.json:
        st.out.emit_json(dump_model(job))
    status = job.status.upper()
    if status == "FAILED":
        raise CliError(f"enrichment job {job_id} failed", EXIT_API)
    if st.json:
        return
    if status == "COMPLETED":
        total = f"{job.total:,} records" if job.total is not None else "done"
        st.out.info(
            f"Enrichment job {job_id} completed ({total}). Download the results with: "
            f"{st.prog} enrichments download {job_id} -o results.csv",
            style="green",
        )
    else:
        st.out.info(f"Enrichment job {job_id} finished: {job.status} (no matches).")


@enrichments_app.command("download")
def download_command(
    ctx: typer.Context,
    job_id: JobArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write the results CSV to.",
            metavar="FILE",
            dir_okay=False,
        ),
    ],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", "--force", help="Replace FILE if it exists.")
    ] = False,
) -> None:
    """Download a finished job's results (CSV)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st.prog))
    client = st.client()
    with st.out.status(f"Downloading the results of {job_id}…"):
        summary = client.enrichment.download(job_id, output, overwrite=overwrite)
    if st.json:
        st.out.emit_json(
            {
                "path": str(summary.path),
                "bytes_written": summary.bytes_written,
                "seconds": summary.seconds,
            }
        )
        return
    st.out.info(
        f"Downloaded {summary.bytes_written:,} bytes to {summary.path} in {summary.seconds:.1f} s.",
        style="green",
    )
