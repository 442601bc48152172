"""Who decides before money is spent or something is deleted: the user, or the server's policy,
never the model.

A tool that spends credits, creates or deletes asks the user through MCP elicitation (a question
with the facts: how many people, what will happen), where the policy says to ask and the client
can be asked. Where the client cannot be asked, the server's own flags decide: ``--confirm`` (what
asks), ``--max-creates`` (how many creates a server process may make), ``--read-only`` (no tool
that changes anything is offered). No tool has an argument by which a model could say "the user
agreed".

The questions go through the SDK's resolvers (``Annotated[..., Resolve(fn)]``), which ask in the
way the connection allows: a request to the client mid-call on a 2025-11-25 session, or a
question returned in the result and answered on the retry on a 2026-07-28 one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit
from pydantic import BaseModel, Field

from audiencelab import AudienceLabError

__all__ = [
    "CONFIRM_CHOICES",
    "Confirm",
    "Consent",
    "Effect",
    "NotConfirmedError",
    "Policy",
    "PolicyRefusalError",
]

#: What a tool does to the world, for the policy: read (nothing), write (a file in the export
#: folder), spend (credits), create (something remote, without credits), delete.
Effect = Literal["read", "write", "spend", "create", "delete"]
Confirm = Literal["never", "spend", "all"]
CONFIRM_CHOICES: tuple[Confirm, ...] = ("never", "spend", "all")
_ASKS: dict[Confirm, frozenset[Effect]] = {
    "never": frozenset(),
    "spend": frozenset({"spend"}),
    "all": frozenset({"spend", "create", "delete"}),
}


class Consent(BaseModel):
    """The question's form: one yes/no answer."""

    confirm: bool = Field(description="Yes, go ahead.")


class PolicyRefusalError(AudienceLabError):
    """The server's policy refuses the call (nothing was sent)."""

    kind = "refused_by_policy"


class NotConfirmedError(AudienceLabError):
    """The user said no, or dismissed the question (nothing was sent)."""

    kind = "not_confirmed"


@dataclass
class Policy:
    """The server's rules for tools that change things; shared by every call of one server.

    ``max_creates``: creates (audiences, custom audiences, enrichment jobs, pixels) that one
    server process may make; ``None`` for no limit. A create whose outcome is unknown counts.
    """

    confirm: Confirm = "spend"
    max_creates: int | None = 10
    read_only: bool = False
    _creates: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def asks(self, effect: Effect) -> bool:
        return effect in _ASKS[self.confirm]

    @property
    def creates(self) -> int:
        return self._creates

    def check_creates(self, tool: str) -> None:
        """Refuse before anything is sent (or asked) when the limit is reached."""
        if self.max_creates is not None and self._creates >= self.max_creates:
            raise PolicyRefusalError(self._limit_message(tool))

    def reserve_create(self, tool: str) -> None:
        """Count one create, or refuse when the limit is reached (atomic across calls)."""
        with self._lock:
            self.check_creates(tool)
            self._creates += 1

    def release_create(self) -> None:
        """Give back a reservation whose request was never sent."""
        with self._lock:
            self._creates = max(0, self._creates - 1)

    def _limit_message(self, tool: str) -> str:
        return (
            f"Nothing was sent: {tool} is refused because this server has already made "
            f"{self._creates} of the {self.max_creates} creates its policy allows "
            "(--max-creates). Tell the user; only the person who runs the server can raise the "
            "limit, by restarting it with a larger --max-creates."
        )

    def question(
        self, ctx: Context[Any, Any], effect: Effect, message: str
    ) -> Consent | Elicit[Consent]:
        """For a resolver: the question to ask, or consent already given by the policy (when
        the policy does not ask for this effect, or the client cannot be asked)."""
        if not self.asks(effect) or not can_elicit(ctx):
            return Consent(confirm=True)
        return Elicit(message, Consent)

    @staticmethod
    def require(answer: ElicitationResult[Consent], doing: str) -> None:
        """Go on only when the user said yes (or the policy did)."""
        if isinstance(answer, AcceptedElicitation) and answer.data.confirm:
            return
        said = "said no" if isinstance(answer, AcceptedElicitation) else f"chose {answer.action}"
        raise NotConfirmedError(
            f"Nothing was sent: the user {said} when asked to {doing}. Do not call it again "
            "unless the user asks for it; ask them what to change."
        )


def can_elicit(ctx: Context[Any, Any]) -> bool:
    """Whether the client declared form elicitation (a bare ``elicitation: {}`` counts)."""
    try:
        capabilities = ctx.client_capabilities
    except ValueError:  # no request (the server's own call_tool, in tests)
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)
