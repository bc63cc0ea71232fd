"""Words for the data-protection pages and the subject access document: audit actions in plain English, and
values of the subject access data shown as text."""

from datetime import date, datetime
from typing import Any

from connecting_people.core.presenters import date_long, datetime_short

# What each audited action means, for the person reading their own access log.
ACTION_TEXT = {
    "person.viewed": "Looked at the record",
    "person.created": "Added the record",
    "person.updated": "Changed the record",
    "person.allocated": "Allocated the person to a worker",
    "person.closed": "Closed the case",
    "person.reopened": "Reopened the case",
    "person.restricted": "Restricted processing of the record",
    "person.restriction_lifted": "Lifted the restriction of processing",
    "person.erased": "Erased the record",
    "privacy.subject_access_viewed": "Looked at this subject access document",
    "privacy.subject_access_downloaded": "Downloaded this subject access document",
    "map.snapshot_started": "Started a connections map",
    "map.entry_added": "Added an entry to the connections map",
    "map.entry_changed": "Changed an entry of the connections map",
    "map.entry_removed": "Took an entry off the connections map",
    "map.entry_moved": "Moved an entry on the connections map",
    "map.entry_restored": "Put an entry back on the connections map",
    "map.ties_changed": "Changed who knows whom on the connections map",
    "map.exported": "Exported the connections map to a file",
    "map.imported": "Imported a connections map from a file",
    "measure.recorded": "Recorded an outcome measure",
    "plan.assessment_saved": "Recorded what matters",
    "plan.goal_set": "Set a goal",
    "plan.goal_changed": "Changed a goal",
    "plan.step_added": "Added a step",
    "plan.step_changed": "Changed a step",
    "plan.step_done": "Marked a step done",
    "plan.step_reopened": "Marked a step not done",
    "plan.activity_logged": "Logged an activity",
    "plan.link_made": "Linked the person to a community opportunity",
    "plan.link_moved": "Changed a community link",
    "plan.review_held": "Recorded a review",
    "study.participant_enrolled": "Enrolled the person in a study",
    "study.consent_recorded": "Recorded study consent",
    "study.participant_withdrawn": "Recorded withdrawal from a study",
    "study.assessment_recorded": "Recorded a research interview",
}


def audit_action_text(action: str, summary: dict[str, Any] | None) -> str:
    """One line saying what happened ("Looked at the record (page: overview)"); the code itself for an action
    this list does not know yet."""
    text = ACTION_TEXT.get(action, action)
    page = (summary or {}).get("page")
    return f"{text} (page: {page})" if page else text


def value_text(value: Any) -> str:
    """A subject access value as the readable document shows it."""
    if value is None or value == "" or value == [] or value == {}:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return datetime_short(value)
    if isinstance(value, date):
        return date_long(value)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label_text(key)}: {value_text(item)}" for key, item in value.items())
    return str(value)


def label_text(key: str) -> str:
    """A data key as a heading or row label: "support_started_on" → "Support started on"."""
    text = str(key).replace("_", " ").replace("nhs ", "NHS ")
    return text[:1].upper() + text[1:]


# Rows an erasure removes, by model label, in words (the tombstone keeps the labels).
REMOVED_NAMES = {
    "people.Person": "record",
    "people.Person_tags": "strengths and interests",
    "plans.Review": "reviews",
    "plans.GoalScore": "goal scores",
    "plans.Activity": "activities",
    "plans.Link": "community links",
    "plans.LinkChange": "community link changes",
    "plans.Goal": "goals",
    "plans.Goal_opportunities": "goal opportunities",
    "plans.Step": "steps",
    "plans.Assessment": "what matters",
    "measures.Administration": "outcome measures",
    "measures.HeadlineSpan": "first and latest scores",
    "connections.MapSnapshot": "connections maps",
    "connections.MapEntry": "map entries",
    "connections.MapTie": "map ties",
    "study.Participant": "study participations",
    "study.Consent": "study consents",
    "study.Assessment": "research interviews",
    "privacy.Restriction": "restrictions",
}


def removed_text(removed: dict[str, int] | None) -> str:
    """ "goals: 2, steps: 3, ..." from a tombstone's counts."""
    return ", ".join(
        f"{REMOVED_NAMES.get(label, label)}: {count}" for label, count in (removed or {}).items()
    )
