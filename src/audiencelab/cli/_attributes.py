"""``audiencelab attributes NAME``: the allowed values of a filter, or the segments.

Two kinds of lists: those the API serves (``GET /audiences/attributes/{name}``: segments,
industries...), fetched; and those bundled with audiencelab from the dashboard's labels
(education, income_range, employee_count...: ``operations.BUNDLED_LISTS``), printed without
sending anything, so without a key or a sandbox.
"""

from __future__ import annotations

from typing import Annotated

import typer

from audiencelab import SegmentOption, operations
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import DEFAULT_FLAGS, EXIT_USAGE, CliError
from audiencelab.cli._output import dump_model, simple_table
from audiencelab.cli._usage import closest

__all__ = ["attributes_command", "list_names"]


def list_names() -> tuple[str, ...]:
    """Every list ``attributes`` shows: the API's, then the bundled ones."""
    return (*operations.ATTRIBUTE_NAMES, *operations.BUNDLED_LISTS)


def _attribute_names(incomplete: str) -> list[str]:
    return [n for n in list_names() if n.startswith(incomplete)]


def _unknown(name: str) -> CliError:
    key = "".join(c for c in name.casefold() if c.isalnum())
    found = closest(name, list_names())
    if not found and key:
        found = [
            n
            for n, spec in operations.BUNDLED_LISTS.items()
            if key in "".join(c for c in spec.path.casefold() if c.isalnum())
        ]
    guess = f"; did you mean {' or '.join(map(repr, found))}?" if found else ""
    return CliError(
        f"NAME: {name!r} is not a list{guess} Lists served by the API: "
        f"{', '.join(operations.ATTRIBUTE_NAMES)}; bundled with audiencelab: "
        f"{', '.join(operations.BUNDLED_LISTS)}",
        EXIT_USAGE,
    )


def attributes_command(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help=(
                f"A list the API serves ({', '.join(operations.ATTRIBUTE_NAMES)}), or one bundled "
                "with audiencelab (education, income_range, net_worth, employee_count, "
                "company_revenue, credit_rating...)."
            ),
            autocompletion=_attribute_names,
        ),
    ],
) -> None:
    """List the allowed values of a filter (e.g. industries, education), or the segments."""
    st = get_state(ctx)
    st.hint(flags={**DEFAULT_FLAGS, "name": "NAME"})
    if name not in operations.ATTRIBUTE_NAMES:
        spec = operations.bundled_list(name)
        if spec is None:
            raise _unknown(name)
        _bundled(st, spec)
        return
    values = st.client().audiences.attributes(name)
    if st.json:
        st.out.emit_json(dump_model(values))
        return
    if values.values and all(isinstance(v, SegmentOption) for v in values.values):
        st.out.table(
            simple_table(
                ("ID", "Name", "B2B"),
                ((v.id, v.name, v.b2b) for v in values.values if isinstance(v, SegmentOption)),
            )
        )
    else:
        for value in values.values:
            st.out.line(str(value))
    st.out.info(f"{values.count:,} {name}.")


def _bundled(st: State, spec: operations.FilterSpec) -> None:
    """A bundled list: its labels on stdout, where they go and whether it is complete on
    stderr (``--json``: one object with all of it)."""
    name = next(n for n, s in operations.BUNDLED_LISTS.items() if s is spec)
    labels = list(spec.labels)
    if st.json:
        st.out.emit_json(
            {
                "name": name,
                "filter": spec.path,
                "count": len(labels),
                "complete": spec.closed,
                "source": "bundled",
                "values": labels,
            }
        )
        return
    for label in labels:
        st.out.line(label)
    flag = f" (or {spec.flag})" if spec.flag else ""
    where = f"Use them in filters.{spec.path}{flag}, spelled as listed."
    if not labels:
        st.out.info(
            f"No labels of {name} are known to audiencelab: values of filters.{spec.path} are "
            "sent as written, unchecked."
        )
    elif spec.closed:
        st.out.info(f"{len(labels):,} values of {name}, the complete list. {where}")
    else:
        st.out.info(
            f"{len(labels):,} known values of {name}; the dashboard has others, which are sent "
            f"with a warning. {where}"
        )
