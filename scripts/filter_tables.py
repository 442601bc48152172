"""Write the tables of filters in the docs from the SDK's catalogue (``operations.FILTERS``).

docs/cli.md and docs/filters.md hold the CLI's filter flags, and docs/filters.md the whole
catalogue, between marker comments (``<!-- filter-flags -->`` ... ``<!-- /filter-flags -->``).
A test runs ``--check``, so a key added to the catalogue and not to the docs fails.

    python scripts/filter_tables.py          # rewrite the tables
    python scripts/filter_tables.py --check  # exit 1 if one is out of date (CI)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from audiencelab import operations
from audiencelab.cli._filter_options import flag_table

ROOT = Path(__file__).resolve().parent.parent
FILES = (ROOT / "docs" / "cli.md", ROOT / "docs" / "filters.md")


def _values(spec: operations.FilterSpec) -> str:
    if spec.values == "live":
        return f"the API's list (`audiencelab attributes {spec.attribute}`)"
    if spec.values == "bundled":
        n = len(spec.labels)
        labels = f"{n} label" + ("s" if n != 1 else "")
        if spec.closed:
            return f"bundled, complete ({labels})"
        if spec.labels:
            return f"bundled, incomplete ({labels} known)"
        return "no list published"
    if spec.values == "gazetteer":
        return "US cities (USPS data of `zipcodes`)"
    if spec.values == "format":
        return {
            "state": "state codes (names converted)",
            "zip": "5-digit strings",
            "gender": "`M`, `F`, `U`",
        }.get(spec.item, "a whole number 0-120")
    return "free text"


def _checked(spec: operations.FilterSpec) -> str:
    if spec.values == "live" or (spec.values == "bundled" and spec.closed):
        return "typo refused, unknown warned (strict: refused)"
    if spec.values == "bundled":
        known = "unknown" if spec.labels else "every value"
        return f"{known} warned (strict: refused)"
    if spec.values == "gazetteer":
        return "not in the states or ZIP codes given: refused; unknown: warned"
    if spec.values == "format":
        return "refused when malformed"
    return "not checked"


def catalogue_table() -> str:
    """Every key of ``filters``: where its values come from, how they are checked, its flag."""
    lines = ["| Key | Values | Checks | Flag |", "|---|---|---|---|"]
    for spec in (*operations.FILTERS, operations.SEGMENT):
        if spec.kind == "object":
            continue
        kind = " (`{min, max}`)" if spec.kind == "range" else ""
        values = "numbers" if spec.kind == "range" else _values(spec)
        checks = "min <= max" if spec.kind == "range" else _checked(spec)
        flag = f"`{spec.flag}`" if spec.flag else ("`--segment`" if spec.path == "segment" else "")
        lines.append(f"| `{spec.path}`{kind} | {values} | {checks} | {flag} |")
    return "\n".join(lines)


TABLES = {"filter-flags": flag_table, "filter-catalogue": catalogue_table}


def rewrite(text: str) -> str:
    for name, table in TABLES.items():
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(\n<!-- /{name} -->)", re.DOTALL)
        text = pattern.sub(lambda m, t=table: m.group(1) + t() + m.group(2), text)  # type: ignore[misc]
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date: {names}; run python scripts/filter_tables.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
