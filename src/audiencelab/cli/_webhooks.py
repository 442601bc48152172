"""``audiencelab webhooks listen`` and ``audiencelab sandbox trigger``: pixel webhooks locally.

``listen`` runs :class:`audiencelab.webhooks.WebhookReceiver` on loopback (POSTs on any path):
each delivery is verified, each event printed (a line of columns, or JSON Lines with ``--json``)
and, with ``--forward-to``, the exact bytes and headers are forwarded to the user's own app. With
``--sandbox`` (or ``--pixel``) it points a pixel's ``webhook_url`` at itself, so that ``trigger``
in another terminal shows the whole loop. ``trigger`` asks the sandbox to deliver a pixel's next
events and waits for the outcome of each delivery. Both use the SDK's public names only; the
sandbox's own routes are sent as :class:`audiencelab.operations.Operation`s through the client.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime
from typing import Annotated, Any

import typer

from audiencelab import PixelEvent
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._extras import missing_extra_message
from audiencelab.operations import Operation

__all__ = ["trigger_command", "webhooks_app"]

webhooks_app = typer.Typer(
    help="Pixel webhooks: receive them locally (listen), verify them, forward them.",
    no_args_is_help=True,
)

#: Headers not forwarded as received (the connection's own).
HOP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding", "keep-alive"})
SHAPES = ("object", "array", "result", "events")
FAULTS = ("slow", "duplicate", "out_of_order", "wrong_signature")


def _sandbox_call(
    st: State, method: str, path: str, body: Any = None, params: tuple[tuple[str, str], ...] = ()
) -> Any:
    op: Operation[Any] = Operation(
        method, path, parse=lambda r: r.json(), params=params, body=body,
        safe_to_retry=method != "POST",
    )  # fmt: skip
    return st.client().send(op)


# -- trigger ----------------------------------------------------------------------------------


def trigger_command(
    ctx: typer.Context,
    pixel_id: Annotated[str, typer.Argument(help="The pixel whose next events to deliver.")],
    count: Annotated[
        int, typer.Option("--count", help="Events to deliver (1-1000).", metavar="N")
    ] = 1,
    event_type: Annotated[
        str | None,
        typer.Option("--event-type", help="Only events of this type, e.g. page_view.", metavar="T"),
    ] = None,
    shape: Annotated[
        str,
        typer.Option("--shape", help="Body: object, array, result or events.", metavar="SHAPE"),
    ] = "array",
    flat: Annotated[
        bool, typer.Option("--flat", help="Person fields at the top level, not in resolution.")
    ] = False,
    aliases: Annotated[
        bool, typer.Option("--aliases", help="Spell the keys event and ip (not event_type...).")
    ] = False,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="slow, duplicate, out_of_order or wrong_signature (repeatable).",
            metavar="FAULT",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", help="Seconds to wait for the outcome of each delivery.", metavar="S"
        ),
    ] = 30.0,
) -> None:
    """Ask the sandbox to deliver a pixel's next events to its webhook_url (signed, retried)."""
    st = get_state(ctx)
    faults = list(fault or [])
    bad = [f for f in faults if f not in FAULTS]
    if bad or shape not in SHAPES or not 1 <= count <= 1000 or wait < 0:
        what = (
            f"--fault must be one of {', '.join(FAULTS)} (got {bad[0]!r})"
            if bad
            else f"--shape must be one of {', '.join(SHAPES)} (got {shape!r})"
            if shape not in SHAPES
            else f"--count must be between 1 and 1000 (got {count})"
            if not 1 <= count <= 1000
            else "--wait must be a number of seconds, 0 or more"
        )
        raise CliError(what, EXIT_USAGE)
    body: dict[str, Any] = {"count": count, "shape": shape, "faults": faults, "aliases": aliases}
    body["layout"] = "flat" if flat else "nested"
    if event_type is not None:
        body["event_type"] = event_type
    answer = _sandbox_call(st, "POST", f"/_sandbox/pixels/{pixel_id}/trigger", body)
    ids = [d["id"] for d in answer["deliveries"]]
    st.out.info(
        f"{len(ids)} deliver{'y' if len(ids) == 1 else 'ies'} of pixel {pixel_id} to "
        f"{answer['webhook_url']} (signed {answer['scheme']} with {answer['secret']})"
    )
    records = _outcomes(st, pixel_id, ids, wait)
    if st.json:
        st.out.emit_json(records)
    else:
        for record in records:
            statuses = " ".join(str(a.get("status") or a.get("error")) for a in record["attempts"])
            st.out.line(
                f"{record['id']}  {record['state']:<9}  {record['events']} event(s)  "
                f"attempts: {statuses or '-'}"
            )
    failed = [r for r in records if r["state"] == "failed"]
    if failed:
        raise CliError(f"{len(failed)} of {len(records)} deliveries failed", EXIT_API)


def _outcomes(st: State, pixel_id: str, ids: list[str], wait: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + wait
    wanted = set(ids)
    while True:
        log = _sandbox_call(st, "GET", "/_sandbox/deliveries", params=(("pixel_id", pixel_id),))
        log = log["deliveries"]
        mine = [d for d in log if d["id"] in wanted]
        if all(d["state"] != "pending" for d in mine) or time.monotonic() >= deadline:
            return mine
        time.sleep(0.05)


# -- listen -----------------------------------------------------------------------------------


def _row(event: PixelEvent, duplicate: bool) -> str:
    person = event.resolution or {}
    who = str(person.get("PERSONAL_EMAILS") or person.get("BUSINESS_EMAIL") or "")
    who = who.split(",")[0] or (event.hem_sha256 or "")[:12]
    when = datetime.now().strftime("%H:%M:%S")
    tag = "duplicate (not handed on)" if duplicate else "new"
    kind = event.event_type or "-"
    return f"{when}  {kind:<20}  {who:<32}  {event.page_url or '-'}  {tag}"


def _free_port(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CliError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_USAGE
        ) from None
    return sock


@webhooks_app.command("listen")
def listen_command(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).", metavar="N")
    ] = 8790,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            help="Verify deliveries with this secret (with --sandbox: the pixel's).",
            metavar="S",
        ),
    ] = None,
    scheme: Annotated[
        str, typer.Option("--scheme", help="auto, secret or hmac-sha256.", metavar="SCHEME")
    ] = "auto",
    forward_to: Annotated[
        str | None,
        typer.Option(
            "--forward-to",
            help="Forward each delivery (exact bytes and headers) to this URL.",
            metavar="URL",
        ),
    ] = None,
    pixel: Annotated[
        str | None,
        typer.Option(
            "--pixel", help="Point this pixel's webhook_url here (a sandbox's pixel).", metavar="ID"
        ),
    ] = None,
) -> None:
    """Receive pixel webhooks on loopback: verify and print each event (Ctrl-C stops)."""
    st = get_state(ctx)
    try:
        import uvicorn

        from audiencelab.webhooks import SCHEMES, Delivery, WebhookReceiver
    except ImportError as exc:
        module = exc.name if isinstance(exc, ModuleNotFoundError) else None
        raise CliError(
            missing_extra_message("webhooks", "`audiencelab webhooks listen`", module), EXIT_API
        ) from None
    if scheme not in SCHEMES:
        raise CliError(f"--scheme must be one of {', '.join(SCHEMES)} (got {scheme!r})")
    if forward_to is not None and not forward_to.startswith(("http://", "https://")):
        raise CliError(f"--forward-to must be an http(s) URL (got {forward_to!r})")
    if not 0 <= port <= 65535:
        raise CliError(f"--port must be between 0 and 65535 (got {port})")
    sock = _free_port("127.0.0.1", port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    if st.sandbox or pixel is not None:
        pixel, shown = _point_pixel(st, pixel, url)
        secret = secret or shown
    import httpx2

    forwarder = httpx2.AsyncClient(timeout=30, trust_env=False) if forward_to else None

    async def on_delivery(delivery: Delivery) -> None:
        for event, key in zip(delivery.events, delivery.keys, strict=True):
            if st.json:
                line = {"key": key, "duplicate": False, "event": event.model_dump(mode="json")}
                st.out.line(json.dumps(line))
            else:
                st.out.line(_row(event, False))
        for key in delivery.duplicates:
            if st.json:
                st.out.line(json.dumps({"key": key, "duplicate": True}))
            else:
                st.out.line(
                    f"{datetime.now():%H:%M:%S}  duplicate of event {key[:16]}: not handed on"
                )
        if forwarder is not None and forward_to is not None:
            headers = [(k, v) for k, v in delivery.headers if k.lower() not in HOP_HEADERS]
            try:
                answer = await forwarder.post(forward_to, content=delivery.body, headers=headers)
                st.out.info(f"  -> {forward_to}: {answer.status_code}")
            except httpx2.HTTPError as exc:
                st.out.warning(f"forwarding to {forward_to} failed: {type(exc).__name__}")

    def on_rejected(status: int, reason: str, message: str) -> None:
        st.out.warning(f"refused a delivery ({status} {reason}): {message}")

    receiver = WebhookReceiver(
        secret,
        on_delivery=on_delivery,
        on_rejected=on_rejected,
        scheme=scheme,
    )
    if secret is None:
        st.out.warning("no --secret: deliveries are printed without being verified")
    say(st, f"Listening on {url} (POST pixel events to any path; Ctrl-C stops).")
    if pixel is not None:
        say(
            st,
            f"Pixel {pixel} now delivers here. In another terminal: {st.prog} sandbox trigger "
            f"{pixel} --count 3",
        )
    config = uvicorn.Config(receiver, lifespan="off", log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C
        pass
    finally:
        sock.close()
    stats = receiver.stats
    say(
        st,
        f"Stopped: {stats['events']} event(s), {stats['duplicates']} duplicate(s), "
        f"{stats['rejected']} refused.",
    )


def say(st: State, text: str) -> None:
    """A sentence on stderr, also with --json (whose JSON Lines are on stdout); not with --quiet."""
    if not st.quiet:
        st.out.err.print(text, soft_wrap=True, highlight=False, markup=False)


def _point_pixel(st: State, pixel: str | None, url: str) -> tuple[str, str]:
    """The pixel (made if none given) now delivering to ``url``, and its secret."""
    if pixel is None:
        created = st.client().pixels.create(
            "audiencelab webhooks listen", "https://listen.example", url
        )
        pixel = created.pixel_id
    info = _sandbox_call(st, "PUT", f"/_sandbox/pixels/{pixel}/webhook", {"webhook_url": url})
    return pixel, str(info["secret"])
