"""Before an audience is created: the preview's count, and what it says about the filters.

``create_audience`` previews first (one ``POST /audiences/preview`` without sample rows, checked
exactly as the create is), and refuses to create an audience that its own preview counts at 0
people unless the caller says ``allow_empty=true``: an empty audience still costs credits, and it
is what a misspelled value or contradictory filters build. A count that is nearly everyone (at
least :data:`NEARLY_EVERYONE` of the unfiltered count) is warned about: a filter is probably not
doing what was meant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from audiencelab import (
    APIError,
    AudienceLab,
    AudienceLabError,
    AudienceTooSmallError,
    PassArgument,
)

__all__ = [
    "NEARLY_EVERYONE",
    "CreateCheck",
    "EmptyAudienceError",
    "Population",
    "nearly_everyone_warning",
]

#: The share of everyone above which a count gets a warning.
NEARLY_EVERYONE = 0.9


class EmptyAudienceError(AudienceLabError):
    """The preview counted nobody: nothing was created."""

    kind = "empty_audience"

    def __init__(self, count: int) -> None:
        super().__init__(
            f"Nothing was created: the preview counts {count} people for these filters, so the "
            "audience would be empty (and still cost credits). Loosen them: drop or widen a "
            "filter, check each value's spelling with list_attribute_values, and preview_audience "
            "again",
            remedy=PassArgument(
                "allow_empty", True, "only if the user wants an audience that matches nobody now"
            ),
        )
        self.count = count


class Population:
    """How many people there are in all (an unfiltered preview's count), asked once per server
    and kept; None when the API does not say."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known = False
        self._count: int | None = None

    def count(self, client: AudienceLab) -> int | None:
        with self._lock:
            if not self._known:
                try:
                    self._count = client.audiences.preview({}, limit=0).count
                except APIError:
                    return None  # asked again next time
                self._known = True
            return self._count


def nearly_everyone_warning(count: int | None, population: int | None) -> str | None:
    """A warning for a count that is nearly everyone, else None."""
    if not count or not population or count < NEARLY_EVERYONE * population:
        return None
    share = min(count / population, 1.0)
    return (
        f"{count:,} people match: {share:.0%} of everyone ({population:,}). The filters barely "
        "narrow anything: check that each one is spelled and nested as intended."
    )


@dataclass(frozen=True)
class CreateCheck:
    """What the preview before a create found: its count, warnings, and the refusal if any."""

    count: int | None = None
    warnings: list[str] = field(default_factory=list)
    refusal: AudienceLabError | None = None
    previewed: bool = False

    @classmethod
    def of(
        cls,
        count: int | None,
        warnings: list[str],
        population: int | None,
        *,
        allow_empty: bool,
        min_count: int | None,
    ) -> CreateCheck:
        found = list(warnings)
        refusal: AudienceLabError | None = None
        if count is None:
            found.append("The preview gave no count: the audience's size is not known.")
        elif min_count is not None and count < min_count:
            refusal = AudienceTooSmallError(count, min_count)
        elif count == 0 and not allow_empty:
            refusal = EmptyAudienceError(count)
        nearly = nearly_everyone_warning(count, population)
        if nearly:
            found.append(nearly)
        return cls(count, found, refusal, previewed=True)

    def question(self, name: str) -> str:
        """What the user is asked before the create."""
        size = "an unknown number of" if self.count is None else f"{self.count:,}"
        text = (
            f"Create the AudienceLab audience {name!r} of {size} people (the preview's count)? "
            "Creating it uses AudienceLab credits; it is then built in the background."
        )
        notes: list[Any] = [w for w in self.warnings if "of everyone" in w]
        return f"{text} Note: {notes[0]}" if notes else text
