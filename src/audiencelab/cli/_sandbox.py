"""``audiencelab sandbox ...``: run the local emulator (extra ``sandbox``)."""

from __future__ import annotations

import typer

sandbox_app = typer.Typer(help="Run the local AudienceLab sandbox (an offline emulator of the API).")
