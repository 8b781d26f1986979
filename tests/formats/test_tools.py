"""Computer-use detection (headroom_edge/formats/tools.py): one test per provider shape."""

from __future__ import annotations

from typing import Any

import pytest

from headroom_edge.formats.tools import ComputerUse, find_computer_use

SCREEN = {"role": "user", "content": [{"type": "text", "text": "Open the settings."}]}


def _anthropic_tool(kind: str = "computer_20250124", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": "computer", "display_width_px": 1280, "display_height_px": 800, **extra}


@pytest.mark.parametrize("kind", ["computer_20241022", "computer_20250124", "computer_20251124"])
def test_anthropic_messages_tool_with_display(kind: str) -> None:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 100, "tools": [_anthropic_tool(kind)], "messages": [SCREEN]}
    assert find_computer_use(body) == ComputerUse(kind, (1280, 800))


def test_anthropic_tool_among_others_on_vertex_and_bedrock_bodies() -> None:
    """Vertex rawPredict and Bedrock invoke carry Messages bodies without ``model``."""
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}},
             {"type": "bash_20250124", "name": "bash"}, _anthropic_tool()]
    for version in ("vertex-2023-10-16", "bedrock-2023-05-31"):
        body = {"anthropic_version": version, "max_tokens": 100, "tools": tools, "messages": [SCREEN]}
        assert find_computer_use(body) == ComputerUse("computer_20250124", (1280, 800))


@pytest.mark.parametrize("kind", ["computer_use_preview", "computer"])
def test_openai_responses_tool_with_display(kind: str) -> None:
    body = {"model": "computer-use-preview", "truncation": "auto", "input": [SCREEN],
            "tools": [{"type": kind, "display_width": 1024, "display_height": 768, "environment": "browser"}]}
    assert find_computer_use(body) == ComputerUse(kind, (1024, 768))


def test_openai_history_items_without_tools() -> None:
    """What the message-list API sees: the history shows computer calls, no tool list."""
    call = {"type": "computer_call", "call_id": "c1", "action": {"type": "click", "x": 1, "y": 2}}
    output = {"type": "computer_call_output", "call_id": "c1",
              "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,AAAA"}}
    assert find_computer_use({"input": [SCREEN, call]}) == ComputerUse("computer_call")
    assert find_computer_use({"input": [SCREEN, output]}) == ComputerUse("computer_call_output")


def test_anthropic_history_tool_use_named_computer() -> None:
    turn = {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "computer", "input": {"action": "screenshot"}}]}
    assert find_computer_use({"messages": [SCREEN, turn]}) == ComputerUse("tool_use:computer")


def test_display_size_is_kept_only_when_valid() -> None:
    for width, height in ((0, 800), (True, 800), ("1280", 800), (1280.0, 800), (1280, None)):
        body = {"tools": [_anthropic_tool(display_width_px=width, display_height_px=height)]}
        assert find_computer_use(body) == ComputerUse("computer_20250124", None)


@pytest.mark.parametrize("body", [
    None, [], "tools", {}, {"tools": None}, {"tools": "computer_20250124"}, {"tools": [None, 3, "x", {}]},
    {"tools": [{"type": "function", "function": {"name": "computer"}}]},  # a Chat function named so
    {"tools": [{"type": "computer_2025"}, {"type": "computer_use"}, {"type": 20250124}]},
    {"tools": [{"type": "text_editor_20250124", "name": "str_replace_editor"}]},
    {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "bash", "input": {}}]}]},
    {"messages": [None, {"content": "plain"}, {"content": [None, "x"]}], "input": [None, {"type": "message"}]},
    {"tools": [{"type": ["computer"]}, {"type": {"computer": 1}}], "input": [{"type": ["computer_call"]}],
     "messages": [{"content": [{"type": "tool_use", "name": ["computer"]}]}]},  # unhashable where a name goes
])
def test_everything_else_is_not_computer_use(body: Any) -> None:
    assert find_computer_use(body) is None


def test_describe_names_the_tool_and_screen_only() -> None:
    assert ComputerUse("computer_20250124", (1280, 800)).describe() == \
        "computer-use tool declared (computer_20250124, display 1280x800)"
    assert ComputerUse("computer_call").describe() == "computer-use tool declared (computer_call)"
