"""Computer-use tools: requests whose answers are clicks in the screenshots' own pixels.

When a request declares a computer-use tool, the model replies with actions such as "left_click
at (x, y)" in the coordinate system of the screenshots it was shown. Shrinking or cropping those
screenshots therefore moves every click: a button at x=1000 in a 1280 px screen is answered at
x~394 after a 504 px shrink. So such a request must keep the geometry of its images, and this
module is the one place that recognises one. Declarations this reads from a parsed body:

* Anthropic Messages (also the Vertex ``rawPredict`` and Bedrock ``invoke`` bodies, which are
  Messages bodies): ``tools: [{"type": "computer_20250124", "name": "computer",
  "display_width_px": 1280, "display_height_px": 800, ...}]``; every versioned ``computer_*``
  type (``computer_20241022``, ``computer_20250124`` and later dates) counts.
* OpenAI Responses: ``tools: [{"type": "computer_use_preview" | "computer", "display_width": ...,
  "display_height": ..., "environment": ...}]``.
* The conversation itself, for callers of the message-list API who hold no ``tools``: an
  Anthropic ``tool_use`` block named ``computer`` (the name the API fixes for this tool) or an
  OpenAI ``computer_call`` / ``computer_call_output`` item.

Everything else (odd shapes, non-dict tools) is simply not a declaration. A false positive only
keeps more pixels than needed, never breaks a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ANTHROPIC_TOOL = re.compile(r"computer_\d{8}")
"""Anthropic's computer tool types carry their version date: computer_20241022, computer_20250124, ..."""
_OPENAI_TOOLS = frozenset({"computer_use_preview", "computer"})
_OPENAI_ITEMS = frozenset({"computer_call", "computer_call_output"})
_ANTHROPIC_TOOL_NAME = "computer"


@dataclass(frozen=True)
class ComputerUse:
    """A computer-use declaration found in a request body."""

    declared_by: str
    """The tool type (e.g. "computer_20250124", "computer_use_preview") or, when no tool list
    names one, the history item that shows it ("tool_use:computer", "computer_call")."""
    display: tuple[int, int] | None = None
    """The declared screen size in pixels (width, height), when the tool states a valid one."""

    def describe(self) -> str:
        """For results: what was found, without any request content beyond the tool type."""
        screen = f", display {self.display[0]}x{self.display[1]}" if self.display else ""
        return f"computer-use tool declared ({self.declared_by}{screen})"


def find_computer_use(body: Any) -> ComputerUse | None:
    """The request's computer-use declaration, or None. Reads only; never raises."""
    if not isinstance(body, dict):
        return None
    tools = body.get("tools")
    if isinstance(tools, list):
        for tool in tools:
            found = _from_tool(tool)
            if found is not None:
                return found
    return _from_history(body)


def _from_tool(tool: Any) -> ComputerUse | None:
    if not isinstance(tool, dict):
        return None
    kind = tool.get("type")
    if not isinstance(kind, str):
        return None
    if _ANTHROPIC_TOOL.fullmatch(kind):
        return ComputerUse(kind, _display(tool.get("display_width_px"), tool.get("display_height_px")))
    if kind in _OPENAI_TOOLS:
        return ComputerUse(kind, _display(tool.get("display_width"), tool.get("display_height")))
    return None


def _display(width: Any, height: Any) -> tuple[int, int] | None:
    """A positive integer screen size, else None (bool is an int subclass and is refused)."""
    valid = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height))
    return (width, height) if valid else None


def _from_history(body: dict[str, Any]) -> ComputerUse | None:
    items = body.get("input")
    if isinstance(items, list):
        for item in items:
            kind = item.get("type") if isinstance(item, dict) else None
            if isinstance(kind, str) and kind in _OPENAI_ITEMS:
                return ComputerUse(kind)
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, list):
                continue
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use" \
                        and block.get("name") == _ANTHROPIC_TOOL_NAME:
                    return ComputerUse(f"tool_use:{_ANTHROPIC_TOOL_NAME}")
    return None
