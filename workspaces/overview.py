"""The Settings overview's "is everything flowing?" panels, registered by the apps that know.

`workspaces` imports no feature app: each app registers a function in its AppConfig.ready()
that returns its panel for a workspace (or None), and the overview shows them in that order.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OverviewFact:
    """One line of a panel: a figure, what it counts, where to see them, and its tone."""

    label: str
    value: int | str
    url: str = ""
    tone: str = ""  # "" | "ok" | "warn" | "bad": how the figure should read


@dataclass
class OverviewPanel:
    title: str
    facts: list[OverviewFact] = field(default_factory=list)
    items: list[OverviewFact] = field(default_factory=list)  # the ones needing a look, by name
    empty: str = ""  # what to say when there is nothing to show


PanelFunction = Callable[..., OverviewPanel | None]
_PANELS: dict[PanelFunction, int] = {}


def overview_panel_register(function: PanelFunction, *, order: int) -> PanelFunction:
    """Add a panel to the overview (from an AppConfig.ready()); lower `order` shows first."""
    _PANELS[function] = order
    return function


def overview_panels(*, workspace: Any, membership: Any) -> list[OverviewPanel]:
    """Return the overview's panels for this member (some are for admins only)."""
    functions = sorted(_PANELS, key=_PANELS.__getitem__)
    panels = (function(workspace=workspace, membership=membership) for function in functions)
    return [panel for panel in panels if panel is not None]
