"""How the directory's records read on a page: sessions, cost, distance, where a record came from."""

from urllib.parse import urlencode

from connecting_people.community import geo
from connecting_people.community.hsds import SessionRecord
from connecting_people.community.hsds.schedules import DAY_NAMES, sessions_in_words, times_in_words
from connecting_people.community.models import Opportunity


def session_lines(opportunity: Opportunity) -> list[str]:
    """ "Tuesday, 10am to midday", one a session, in order of the week (sessions prefetched)."""
    lines = []
    for session in opportunity.sessions.all():
        when = times_in_words(session.starts_at, session.ends_at)
        lines.append(f"{DAY_NAMES[session.weekday]}, {when}" if when else DAY_NAMES[session.weekday])
    return lines


def sessions_worth_listing(opportunity: Opportunity) -> list[str]:
    """The session lines, unless the schedule in words already says exactly that."""
    records = [SessionRecord(s.weekday, s.starts_at, s.ends_at) for s in opportunity.sessions.all()]
    return [] if opportunity.schedule == sessions_in_words(records) else session_lines(opportunity)


def interest_names(opportunity: Opportunity) -> list[str]:
    return [interest.name for interest in opportunity.interests.all()]


def cost_text(opportunity: Opportunity) -> str:
    label = opportunity.get_cost_display()
    return f"{label}: {opportunity.cost_details}" if opportunity.cost_details else label


def distance_text(opportunity: Opportunity, centre: geo.Point | None) -> str:
    """ "0.4 miles away" from the search's place, or "" without one (or without coordinates)."""
    if centre is None or opportunity.latitude is None or opportunity.longitude is None:
        return ""
    miles = geo.haversine_miles(centre, geo.Point(opportunity.latitude, opportunity.longitude))
    if miles < 0.1:
        return "Less than 0.1 miles away"
    return f"{miles:.1f} miles away" if miles < 10 else f"{miles:.0f} miles away"


def source_text(opportunity: Opportunity) -> str:
    if not opportunity.source:
        return "Added by hand"
    return f"Imported from {opportunity.source} (its id there: {opportunity.source_id})"


def page_link(query: dict[str, str], page: int) -> str:
    """The search's own query string, on another page."""
    return "?" + urlencode({**{k: v for k, v in query.items() if v and k != "page"}, "page": page})
