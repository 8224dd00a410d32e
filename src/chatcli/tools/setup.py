"""The toolbox a run starts with, from the settings: built-ins enabled by group, tools
approved in advance by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatcli.tools.builtin import GROUPS, builtin_tools
from chatcli.tools.runner import Toolbox, ToolUI

if TYPE_CHECKING:
    from chatcli.settings import Settings


def toolbox(settings: Settings, ui: ToolUI) -> Toolbox:
    box = Toolbox(ui, approved=set(settings.yes_tool))
    box.add(builtin_tools())
    for name in settings.tools:
        box.tools[GROUPS.get(name, name)].enabled = True
    return box
