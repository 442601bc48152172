"""Examples at the end of every command's ``--help``.

:func:`examples` makes the epilog of one command; :data:`EXAMPLES` holds the examples of every
command, by its path, and :func:`add_examples` gives each command of the tree its epilog once
the tree is built. A test parses every example against its command (so an example cannot name a
flag that does not exist), and checks that no command is without one: a new command adds its
row here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["EXAMPLES", "add_examples", "examples"]

EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "attributes": (
        "audiencelab attributes industries",
        "audiencelab attributes education",
        "audiencelab --json attributes segments",
    ),
    "enrich": (
        "audiencelab enrich --email ann.lee@example.com",
        "audiencelab enrich --first-name Ann --last-name Lee --city Boston -f job_title",
    ),
    "mcp": (
        "audiencelab mcp --sandbox",
        "audiencelab mcp --read-only --export-dir ~/exports",
    ),
    "load": (
        "audiencelab --sandbox load --destination duckdb",
        "audiencelab load --audience ID --pixels --enrichments",
    ),
    "doctor": (
        "audiencelab doctor",
        "audiencelab doctor -o report.json",
    ),
    "audiences create": (
        'audiencelab --sandbox audiences create --name "Boston seniors" --city Boston --min-age 65',
        'ID=$(audiencelab audiences create --name "CA software" --state CA '
        '--industry "Software Development")',
        'audiencelab audiences create --name "Texas" --state TX --preview',
    ),
    "audiences list": ("audiencelab audiences list", "audiencelab --json audiences list"),
    "audiences show": (
        "audiencelab audiences show ID -n 5",
        "audiencelab audiences show ID -c FIRST_NAME -c BUSINESS_EMAIL",
    ),
    "audiences wait": ("audiencelab audiences wait ID --timeout 900",),
    "audiences export": (
        "audiencelab audiences export ID -o people.csv",
        "audiencelab audiences export ID -o - --format jsonl | jq .FIRST_NAME",
        "audiencelab audiences export ID -o people.parquet --resume",
    ),
    "audiences delete": (
        "audiencelab audiences delete ID",
        "audiencelab audiences delete ID --yes",
    ),
    "audiences preview": (
        "audiencelab audiences preview --city Austin --min-age 30 --max-age 39",
        "audiencelab audiences preview --state NY -n 0",
    ),
    "audiences custom": (
        'audiencelab audiences custom --topic "solar panels" --description "Home owners"',
    ),
    "audiences create-many": (
        "audiencelab audiences create-many specs.yaml --dry-run",
        "audiencelab audiences create-many specs.yaml -j 8",
    ),
    "enrichments create": ("audiencelab enrichments create --name Leads contacts.csv",),
    "enrichments list": ("audiencelab enrichments list",),
    "enrichments wait": ("audiencelab enrichments wait JOB_ID --timeout 3600",),
    "enrichments download": (
        "audiencelab enrichments download JOB_ID -o enriched.csv",
        "audiencelab enrichments download JOB_ID_1 JOB_ID_2 -o all.csv --overwrite",
    ),
    "pixels create": ("audiencelab pixels create --name Shop --url https://shop.example",),
    "pixels list": ("audiencelab pixels list",),
    "pixels show": ("audiencelab pixels show PIXEL_ID",),
    "pixels events": (
        "audiencelab pixels events PIXEL_ID -n 50",
        "audiencelab pixels events PIXEL_ID --event-type page_view",
    ),
    "pixels delete": ("audiencelab pixels delete PIXEL_ID --yes",),
    "segments show": ("audiencelab segments show b2c_1253 -n 5",),
    "segments export": ("audiencelab segments export b2c_1253 -o segment.csv",),
    "sandbox env": ('eval "$(audiencelab sandbox env)"',),
    "sandbox trigger": (
        "audiencelab sandbox trigger PIXEL_ID --count 5",
        "audiencelab sandbox trigger PIXEL_ID --event-type page_view --fault duplicate",
    ),
    "webhooks listen": (
        "audiencelab --sandbox webhooks listen --pixel PIXEL_ID",
        "audiencelab webhooks listen --port 8790 --secret S --forward-to http://127.0.0.1:3000/hook",
    ),
    "sandbox serve": (
        "audiencelab sandbox serve",
        "audiencelab sandbox serve --port 9000 --db sandbox.db",
    ),
}


def examples(*lines: str) -> str:
    """The epilog of a command: its examples, one per line (Rich keeps the line breaks of a
    paragraph made of lines separated by blank ones)."""
    return "Examples:\n\n" + "\n\n".join(f"  $ {line}" for line in lines)


def add_examples(command: Any, path: tuple[str, ...] = ()) -> None:
    """Give every command of the tree its examples' epilog (the groups keep theirs)."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            add_examples(sub, (*path, name))
        return
    lines = EXAMPLES.get(" ".join(path))
    if lines:
        command.epilog = examples(*lines)
