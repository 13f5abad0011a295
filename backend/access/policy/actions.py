"""What can be done to a row: the five grant levels, weakest first.

view: the metadata (title, versions, links); read: also the pages drawn on the server, with the reader's
mark across each (never the file itself: backend/documents/previews.py, watermark.py); download: the
file; change; manage (the grants themselves).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    VIEW = "view"
    READ = "read"
    DOWNLOAD = "download"
    CHANGE = "change"
    MANAGE = "manage"


# Grant levels, weakest first. A grant at one level implies every level before it.
LEVELS: tuple[Action, ...] = (Action.VIEW, Action.READ, Action.DOWNLOAD, Action.CHANGE, Action.MANAGE)
CODENAMES: dict[Action, str] = {
    Action.VIEW: "view_document",
    Action.READ: "read_document",
    Action.DOWNLOAD: "download_document",
    Action.CHANGE: "change_document",
    Action.MANAGE: "manage_document",
}
LEVEL_BY_CODENAME = {codename: action for action, codename in CODENAMES.items()}


def codenames_implying(action: Action) -> list[str]:
    """Grant codenames that allow `action` (the action's own level and every stronger one)."""
    return [CODENAMES[level] for level in LEVELS[LEVELS.index(Action(action)) :]]


def at_most(action: Action, strongest: Action) -> bool:
    """Is `action` `strongest` or weaker?"""
    return LEVELS.index(Action(action)) <= LEVELS.index(Action(strongest))


def actions_up_to(level: Action) -> tuple[str, ...]:
    return tuple(str(a) for a in LEVELS[: LEVELS.index(level) + 1])
