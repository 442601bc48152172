"""``audiencelab attributes NAME``: the allowed values of a filter, or the segments."""

from __future__ import annotations

from typing import Annotated

import typer

from audiencelab import SegmentOption, operations
from audiencelab.cli._context import get_state
from audiencelab.cli._errors import DEFAULT_FLAGS
from audiencelab.cli._output import dump_model, simple_table

__all__ = ["attributes_command"]


def _attribute_names(incomplete: str) -> list[str]:
    return [n for n in operations.ATTRIBUTE_NAMES if n.startswith(incomplete)]


def attributes_command(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help=", ".join(operations.ATTRIBUTE_NAMES[:-1])
            + f" or {operations.ATTRIBUTE_NAMES[-1]}.",
            autocompletion=_attribute_names,
        ),
    ],
) -> None:
    """List the allowed values of a filter (e.g. industries), or the segments."""
    st = get_state(ctx)
    st.hint(flags={**DEFAULT_FLAGS, "name": "NAME"})
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
