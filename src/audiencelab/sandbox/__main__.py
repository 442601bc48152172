"""``python -m audiencelab.sandbox``: run the sandbox with the flags of ``audiencelab sandbox serve``.

This entry point needs only the ``sandbox`` extra (not the ``cli`` one): it reads the same flag
table as the command (``_flags.SERVE_FLAGS``) with the standard library's argparse.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from audiencelab.sandbox._flags import SERVE_FLAGS, config_from_flags, startup_warnings
from audiencelab.sandbox._server import SandboxStartError, serve

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audiencelab.sandbox",
        description="Run the local AudienceLab sandbox (an offline emulator of the API).",
    )
    for flag in SERVE_FLAGS:
        if flag.kind in ("keys", "list"):  # repeatable
            parser.add_argument(
                flag.option, dest=flag.name, action="append", default=[], metavar=flag.metavar,
                help=flag.help,
            )  # fmt: skip
        else:
            parser.add_argument(
                flag.option, dest=flag.name, default=flag.default, metavar=flag.metavar,
                help=flag.help,
            )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C; the exit status is 0, 1 (cannot start) or 2 (bad flags)."""
    args = _parser().parse_args(argv)
    try:
        config = config_from_flags(vars(args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in startup_warnings(config):
        print(warning, file=sys.stderr, flush=True)
    try:
        serve(config)
    except SandboxStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    print("Sandbox stopped.", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
