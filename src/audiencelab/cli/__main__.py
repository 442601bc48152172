"""``python -m audiencelab.cli``: the same as the ``audiencelab`` command."""

from audiencelab.cli import main

main()
