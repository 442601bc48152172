"""Before money is spent or something deleted: the preview's count, the user's answer where the
client can be asked (on 2026-07-28 and on 2025-11-25 sessions), and the server's policy where it
cannot, never the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelab.mcp import Policy

from .helpers import Answers, connected, error_data, sandbox_client, text

pytestmark = pytest.mark.anyio

AUSTIN = {"city": ["Austin"], "age": {"minAge": 30, "maxAge": 39}}
NOBODY = {"city": ["Austin"], "age": {"minAge": 119}}


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 (returned) and push questions
async def test_a_create_asks_the_user_with_the_preview_count_and_goes_ahead_on_yes(
    tmp_path: Path, mode: str
) -> None:
    answers = Answers()
    with sandbox_client() as client:
        async with connected(client, tmp_path, elicitation_callback=answers, mode=mode) as session:
            count = (
                await session.call_tool("preview_audience", {"filters": AUSTIN})
            ).structured_content["count"]  # type: ignore[index]
            created = await session.call_tool(
                "create_audience", {"name": "Austin 30s", "filters": AUSTIN}
            )
            assert not created.is_error, text(created)
        assert [a.name for a in client.audiences.list()] == ["Austin 30s"]
    assert created.structured_content["count"] == count  # type: ignore[index]
    (question,) = answers.questions
    assert f"of {count:,} people" in question
    assert "'Austin 30s'" in question
    assert "credits" in question


@pytest.mark.parametrize(
    ("action", "confirm"), [("decline", True), ("cancel", True), ("accept", False)]
)
async def test_no_from_the_user_sends_nothing(tmp_path: Path, action: str, confirm: bool) -> None:
    answers = Answers(action, confirm)
    with sandbox_client() as client:
        async with connected(client, tmp_path, elicitation_callback=answers) as session:
            refused = await session.call_tool("create_audience", {"name": "x", "filters": AUSTIN})
            deleted = await session.call_tool("delete_audience", {"audience_id": "whatever"})
        assert list(client.audiences.list()) == []
    assert error_data(refused)["error"] == "not_confirmed"
    assert "Nothing was sent" in text(refused)
    assert "Do not call it again unless the user asks" in text(refused)
    # --confirm spend (the default) does not ask before a delete: it is sent (and not found)
    assert error_data(deleted)["error"] == "not_found"
    assert len(answers.questions) == 1


async def test_an_audience_of_nobody_is_refused_with_its_count_unless_asked_for(
    tmp_path: Path,
) -> None:
    answers = Answers()
    with sandbox_client() as client:
        async with connected(client, tmp_path, elicitation_callback=answers) as session:
            refused = await session.call_tool("create_audience", {"name": "x", "filters": NOBODY})
            assert answers.questions == []  # nothing asked about what will not be sent
            wanted = await session.call_tool(
                "create_audience", {"name": "x", "filters": NOBODY, "allow_empty": True}
            )
            few = await session.call_tool(
                "create_audience", {"name": "y", "filters": AUSTIN, "min_count": 10**9}
            )
        names = [a.name for a in client.audiences.list()]
    data = error_data(refused)
    assert data["error"] == "empty_audience"
    assert "counts 0 people" in text(refused)
    assert "Loosen them" in text(refused)
    assert data["count"] == 0
    assert "Call create_audience again with allow_empty=true" in text(refused)
    assert not wanted.is_error
    assert "fewer than the 1,000,000,000 asked for" in text(few)
    assert names == ["x"]


async def test_nearly_everyone_is_warned_about_in_the_preview_the_question_and_the_result(
    tmp_path: Path,
) -> None:
    answers = Answers()
    loose = {"age": {"minAge": 0, "maxAge": 120}}
    with sandbox_client() as client:
        async with connected(client, tmp_path, elicitation_callback=answers) as session:
            preview = await session.call_tool("preview_audience", {"filters": loose})
            created = await session.call_tool("create_audience", {"name": "all", "filters": loose})
            narrow = await session.call_tool("preview_audience", {"filters": AUSTIN})
    (warning,) = [w for w in preview.structured_content["warnings"] if "of everyone" in w]  # type: ignore[index]
    assert "barely narrow" in warning
    assert any("of everyone" in w for w in created.structured_content["warnings"])  # type: ignore[index]
    assert "of everyone" in answers.questions[0]
    assert not any("of everyone" in w for w in narrow.structured_content["warnings"])  # type: ignore[index]


async def test_without_elicitation_the_policy_decides_and_limits_the_creates(
    tmp_path: Path,
) -> None:
    with sandbox_client() as client:
        async with connected(client, tmp_path, policy=Policy(max_creates=2)) as session:
            first = await session.call_tool("create_audience", {"name": "a", "filters": AUSTIN})
            refused_early = await session.call_tool(
                "create_audience", {"name": "b", "filters": NOBODY}
            )
            second = await session.call_tool(
                "create_pixel", {"website_name": "s", "website_url": "https://s.example"}
            )
            third = await session.call_tool("create_audience", {"name": "c", "filters": AUSTIN})
            custom = await session.call_tool(
                "create_custom_audience", {"topic": "t", "description": "d"}
            )
        names = [a.name for a in client.audiences.list()]
        pixels = list(client.pixels.list())
    assert not first.is_error
    assert not second.is_error
    assert error_data(refused_early)["error"] == "empty_audience"  # refused: not counted
    assert error_data(third)["error"] == "refused_by_policy"
    assert "2 of the 2 creates" in text(third)
    assert "--max-creates" in text(third)
    assert error_data(custom)["error"] == "refused_by_policy"
    assert names == ["a"]
    assert len(pixels) == 1


async def test_confirm_all_asks_before_deleting_and_never_asks_nothing(tmp_path: Path) -> None:
    answers = Answers("decline")
    with sandbox_client() as client:
        audience = client.audiences.create("keep", {"city": ["Boston"]}).audience_id
        async with connected(
            client, tmp_path, policy=Policy(confirm="all"), elicitation_callback=answers
        ) as session:
            kept = await session.call_tool("delete_audience", {"audience_id": audience})
        async with connected(
            client, tmp_path, policy=Policy(confirm="never"), elicitation_callback=answers
        ) as session:
            created = await session.call_tool("create_audience", {"name": "n", "filters": AUSTIN})
        names = sorted(a.name for a in client.audiences.list())
    assert error_data(kept)["error"] == "not_confirmed"
    assert "cannot be undone" in answers.questions[0]
    assert len(answers.questions) == 1  # --confirm never asked nothing
    assert not created.is_error
    assert names == ["keep", "n"]


async def test_no_tool_takes_a_consent_from_the_model(tmp_path: Path) -> None:
    with sandbox_client() as client:
        async with connected(client, tmp_path) as session:
            tools = (await session.list_tools()).tools
            offered = await session.call_tool(
                "create_audience", {"name": "x", "filters": AUSTIN, "answer": {"confirm": True}}
            )
    for tool in tools:
        assert not {"answer", "checked", "confirm", "confirmed", "context"} & set(
            tool.input_schema.get("properties", {})
        ), tool.name
    assert error_data(offered)["problems"][0]["path"] == "answer"


def test_the_create_limit_is_counted_atomically_and_a_create_never_sent_is_given_back() -> None:
    from audiencelab.mcp._policy import PolicyRefusalError

    policy = Policy(max_creates=1)
    policy.reserve_create("create_audience")
    with pytest.raises(PolicyRefusalError, match="1 of the 1 creates"):
        policy.reserve_create("create_audience")  # even when the earlier check was passed
    policy.release_create()  # its request was refused before it was sent
    policy.reserve_create("create_pixel")
    assert policy.creates == 1
