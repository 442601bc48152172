"""``audiencelab pixels ...``: website pixels and the visitors they resolve."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from audiencelab import operations
from audiencelab.cli._confirm import confirm
from audiencelab.cli._context import SERVE_URL, State, get_state
from audiencelab.cli._errors import DEFAULT_FLAGS, EXIT_USAGE, CliError
from audiencelab.cli._output import cell, dump_model, simple_table

__all__ = ["pixels_app"]

# Where `audiencelab sandbox serve` listens by default.

pixels_app = typer.Typer(
    help="Website pixels: create them, list them, read the visitors they resolve.",
    no_args_is_help=True,
)


PixelArg = Annotated[str, typer.Argument(help="The pixel ID (from `pixels create` or `list`).")]


def _not_found(st: State) -> str:
    return f"Check the ID; list your pixels with: {st.prog} pixels list"


@pixels_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name of the website.", metavar="NAME")],
    url: Annotated[
        str,
        typer.Option(
            "--url", help="Address of the website, e.g. https://example.com.", metavar="URL"
        ),
    ],
    webhook_url: Annotated[
        str | None,
        typer.Option("--webhook-url", help="Where to POST each resolved visitor.", metavar="URL"),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Pixel version: v3 (default) or v4.", metavar="v3|v4"),
    ] = None,
) -> None:
    """Create a pixel for a website; prints its ID (and, on stderr, how to install it)."""
    st = get_state(ctx)
    # Checked before the client: a bad address starts no sandbox and needs no key.
    operations.create_pixel(name, url, webhook_url, cast(Any, version))
    created = st.client().pixels.create(name, url, webhook_url, cast(Any, version))
    if st.json:
        st.out.emit_json(dump_model(created))
        return
    st.out.line(created.pixel_id)
    install = f" Install it with: {created.install_url}" if created.install_url else ""
    server = st.sandbox_server
    if created.install_url and server is not None:
        install = _served_install_url(created.install_url, *server)
    st.out.info(f"Created pixel {created.pixel_id} for {url}.{install}", style="green")


def _served_install_url(install_url: str, sandbox_url: str, db: Path) -> str:
    """The install URL of a pixel made with --sandbox: the sandbox of this command stops when it
    ends, so point at the one `audiencelab sandbox serve` runs on the same database."""
    served = install_url
    if install_url.startswith(sandbox_url + "/"):
        served = SERVE_URL + install_url[len(sandbox_url) :]
    return (
        f" Its install URL is served while a sandbox runs on this database: start one with "
        f"`audiencelab sandbox serve --db {shlex.quote(str(db))}`, then use {served} (the "
        "sandbox of this command has stopped)."
    )


@pixels_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List your pixels."""
    st = get_state(ctx)
    pixels = list(st.client().pixels.list())
    if st.json:
        st.out.emit_json([dump_model(p) for p in pixels])
        return
    if not pixels:
        st.out.info(
            f"No pixels yet. Create one with: {st.prog} pixels create --name NAME --url URL"
        )
        return
    st.out.table(
        simple_table(
            ("ID", "Website", "URL", "Webhook"),
            ((p.id, p.website_name, p.website_url, p.webhook_url) for p in pixels),
        )
    )


@pixels_app.command("show")
def show_command(ctx: typer.Context, pixel_id: PixelArg) -> None:
    """Show a pixel's settings."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st))
    pixel = st.client().pixels.get(pixel_id)
    data = dump_model(pixel)
    if st.json:
        st.out.emit_json(data)
        return
    st.out.table(simple_table(("Field", "Value"), ((k, cell(v)) for k, v in data.items())))


@pixels_app.command("events")
def events_command(
    ctx: typer.Context,
    pixel_id: PixelArg,
    v4: Annotated[bool, typer.Option("--v4", help="Read v4 events (richer resolution).")] = False,
    event_type: Annotated[
        str | None,
        typer.Option(
            "--event-type",
            help=f"Only events of this type (v3 only): {', '.join(operations.PIXEL_EVENT_TYPES)}.",
            metavar="TYPE",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", help="How many events to show (0: all).", metavar="N", min=0),
    ] = 20,
) -> None:
    """Show the visitor events a pixel resolved, newest first as the API gives them."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st), flags={**DEFAULT_FLAGS, "page_size": "--limit"})
    if v4 and event_type is not None:
        raise CliError("--event-type filters v3 events only; leave it out with --v4", EXIT_USAGE)
    page_size = min(limit, 100) if limit else 100
    # Checked by the SDK before anything is sent (before the client even exists).
    operations.pixel_events(pixel_id, 1, page_size, event_type, v4=v4)
    client = st.client()
    pager = (
        client.pixels.events_v4(pixel_id, page_size=page_size)
        if v4
        else client.pixels.events(pixel_id, event_type=event_type, page_size=page_size)
    )
    events = list(itertools.islice(pager, limit)) if limit else list(pager)
    if st.json:
        st.out.emit_json([dump_model(e) for e in events])
        return
    if not events:
        st.out.info(f"No events for pixel {pixel_id}.")
        return

    def person(event: Any, *keys: str) -> str:
        resolution = event.resolution or {}
        for key in keys:
            if resolution.get(key):
                return str(resolution[key]).split(",")[0].strip()
        return ""

    st.out.table(
        simple_table(
            ("Time", "Event", "First name", "Last name", "Email", "City"),
            (
                (
                    e.event_timestamp,
                    e.event_type,
                    person(e, "FIRST_NAME"),
                    person(e, "LAST_NAME"),
                    person(e, "PERSONAL_VERIFIED_EMAILS", "PERSONAL_EMAILS", "BUSINESS_EMAIL"),
                    person(e, "PERSONAL_CITY", "CITY"),
                )
                for e in events
            ),
        )
    )
    st.out.info(f"{len(events):,} event{'s' if len(events) != 1 else ''}.")


@pixels_app.command("delete")
def delete_command(
    ctx: typer.Context,
    pixel_id: PixelArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete (archive) a pixel (asks first unless --yes)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found(st))
    client = st.client()  # first, so that the sandbox notice comes before the question
    confirm(f"Delete pixel {pixel_id}? It stops resolving visitors.", yes, f"pixel {pixel_id}")
    client.pixels.delete(pixel_id)
    if st.json:
        st.out.emit_json({"id": pixel_id, "deleted": True})
        return
    st.out.info(f"Deleted pixel {pixel_id}.", style="green")
