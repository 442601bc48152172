"""The naming convention of the ``audiencelab`` dlt schema: the API's UPPER_SNAKE column names
become their exact lower-case (``SKIPTRACE_B2B_ADDRESS`` -> ``skiptrace_b2b_address``, where dlt's
``snake_case`` makes ``skiptrace_b2_b_address``); every other name is dlt's ``snake_case``.

dlt stores this module's name in the schema (``normalizers.names``), so a pipeline made with it
keeps it; a schema made before with ``snake_case`` keeps ``snake_case`` (dlt does not rename the
columns of a table that holds data).
"""

from __future__ import annotations

import re

from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCase

__all__ = ["NAMING", "NamingConvention"]

#: How the schema refers to this convention (an importable module with ``NamingConvention``).
NAMING = __name__

# Capitals, digits and underscores only, with at least one capital: FIRST_NAME, ZIP4, B2B.
_UPPER_SNAKE = re.compile(r"[A-Z0-9_]*[A-Z][A-Z0-9_]*")


class NamingConvention(SnakeCase):
    """dlt's ``snake_case``, except that an UPPER_SNAKE name is only lower-cased."""

    def normalize_identifier(self, identifier: str) -> str:
        stripped = identifier.strip()
        if _UPPER_SNAKE.fullmatch(stripped):
            # Lower-cased, snake_case finds no word break to add: digits followed by capitals
            # (B2B, ZIP4) are what it would split.
            identifier = stripped.lower()
        return super().normalize_identifier(identifier)
