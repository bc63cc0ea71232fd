"""The privileged-access review's tables, ready for the NHS.UK table macro."""

from markupsafe import Markup, escape

from connecting_people.accounts.selectors import ACCESS_KINDS, AccessEntry, PrivilegedAccess
from connecting_people.core.presenters import date_short, datetime_short


def _granted(entry: AccessEntry, new: bool) -> Markup:
    text = escape(datetime_short(entry.granted_at)) if entry.granted_at else Markup("Not recorded")
    if new:
        text += Markup(' <strong class="nhsuk-tag nhsuk-tag--yellow">New</strong>')
    return text


def _granted_by(entry: AccessEntry, viewer_id: int | None) -> str:
    if not entry.granted_by_name:
        return "Not recorded"
    return f"{entry.granted_by_name} (you)" if entry.granted_by_id == viewer_id else entry.granted_by_name


def _where(entry: AccessEntry) -> str:
    where = entry.where or "–"
    return f"{where}, until {date_short(entry.until)}" if entry.until else where


def access_review_sections(access: PrivilegedAccess, *, viewer_id: int | None) -> list[dict]:
    """One section per kind of access, in the review's order: heading, caption and table rows."""
    new = {entry.identity for entry in access.since_last_review} if access.last_review else set()
    sections = []
    for kind, label in ACCESS_KINDS.items():
        entries = access.of_kind(kind)
        rows = [
            [
                {"header": "Person", "text": f"{entry.person.display_name} ({entry.person.username})"},
                {"header": "Where", "text": _where(entry)},
                {"header": "Granted", "html": _granted(entry, entry.identity in new)},
                {"header": "Granted by", "text": _granted_by(entry, viewer_id)},
            ]
            for entry in entries
        ]
        count = len(entries)
        sections.append(
            {
                "kind": kind,
                "label": label,
                "caption": f"{label}: {count} {'person' if count == 1 else 'people'}",
                "rows": rows,
            }
        )
    return sections
