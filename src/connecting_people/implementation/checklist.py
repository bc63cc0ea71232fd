"""The implementation checklist: items written by us as data (checklist.yaml), read once. Pure: no Django.

Each team's status for each item is stored separately (models.ChecklistStatus, keyed by the item's id); an item
with no stored status has not been started.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CHECKLIST_FILE = Path(__file__).resolve().parent / "checklist.yaml"
STAGES = {"readiness": "Getting ready", "milestone": "Milestones"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    stage: str  # "readiness" or "milestone"
    text: str
    hint: str = ""

    @property
    def stage_label(self) -> str:
        return STAGES[self.stage]


def read_checklist(path: Path) -> tuple[ChecklistItem, ...]:
    """Read and check a checklist file. Raises ValueError naming the entry that is wrong."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path.name}: must be a non-empty list of items")
    items: list[ChecklistItem] = []
    for index, entry in enumerate(raw):
        where = f"{path.name}: item {index + 1}"
        if not isinstance(entry, dict) or set(entry) - {"id", "stage", "text", "hint"}:
            raise ValueError(f"{where}: must have id, stage, text and optionally hint")
        item_id, stage, text = entry.get("id"), entry.get("stage"), entry.get("text")
        if not isinstance(item_id, str) or not _ID.match(item_id) or len(item_id) > 64:
            raise ValueError(f"{where}: id must be a short lower-case id")
        if stage not in STAGES:
            raise ValueError(f"{where}: stage must be one of {', '.join(STAGES)}")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: text must be given")
        if any(item.id == item_id for item in items):
            raise ValueError(f"{where}: id {item_id!r} is used twice")
        items.append(ChecklistItem(item_id, stage, text.strip(), str(entry.get("hint") or "").strip()))
    return tuple(items)


@lru_cache(maxsize=1)
def checklist() -> tuple[ChecklistItem, ...]:
    """The checklist shipped with the software, readiness items first, in the file's order."""
    items = read_checklist(CHECKLIST_FILE)
    return tuple(sorted(items, key=lambda item: list(STAGES).index(item.stage)))


def checklist_item(item_id: str) -> ChecklistItem | None:
    return next((item for item in checklist() if item.id == item_id), None)
