"""The ``audiencelab`` command line (extra ``cli``)."""

from audiencelab.cli._app import app, main

__all__ = ["app", "main"]
