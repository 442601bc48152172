"""The prompt that walks a model through building an audience, tool by tool."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = ["BUILD_AUDIENCE", "build_audience_prompt"]

BUILD_AUDIENCE = """\
Build an AudienceLab audience of: {description}

Use the audiencelab tools, in this order:
1. Decide which filters describe these people (read the resource audiencelab://reference for the
   keys and their traps). For every industry, department, seniority, SIC code, gender or intent
   segment you need, call list_attribute_values with a short query and use the values exactly as
   listed; never guess their spelling.
2. Call preview_audience with the filters and check that the count and the sample people match
   the description. Adjust the filters and preview again if they do not.
3. Call create_audience with a short descriptive name and the same filters.
4. Call wait_for_audience with the new audience ID, then export_audience to a .csv file (or
   get_audience_records with a few columns to show some of the people).

If a tool answers with problems, apply each suggestion and call it again. If create_audience
reports an unknown outcome, call list_audiences before creating anything again.
"""


def build_audience_prompt(
    description: Annotated[
        str,
        Field(description='The people wanted, e.g. "software engineers in New York aged 25-45".'),
    ],
) -> str:
    return BUILD_AUDIENCE.format(description=description.strip())
