"""How the directory's records read on a page: sessions, cost, distance, where a record came from."""

from urllib.parse import urlencode

from connecting_people.community import geo
from connecting_people.community.hsds import SessionRecord
from connecting_people.community.hsds.schedules import DAY_NAMES, sessions_in_words, times_in_words
from connecting_people.community.models import Opportunity
from connecting_people.core.sentences import joined


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
    """ "Paid: £12 a session"; the details alone when they start by saying the same ("Free", not "Free: Free")."""
    label, details = opportunity.get_cost_display(), opportunity.cost_details.strip()
    if not details:
        return label
    if details.casefold().startswith(label.casefold().split(" (")[0]):
        return details
    return f"{label}: {details}"


def distance_text(opportunity: Opportunity, centre: geo.Point | None) -> str:
    """ "0.4 miles away" from the search's place, or "" without one (or without coordinates)."""
    if centre is None or opportunity.latitude is None or opportunity.longitude is None:
        return ""
    miles = geo.haversine_miles(centre, geo.Point(opportunity.latitude, opportunity.longitude))
    if miles < 0.1:
        return "Less than 0.1 miles away"
    return f"{miles:.1f} miles away" if miles < 10 else f"{miles:.0f} miles away"


def miles_from_home(miles: float | None) -> str:
    """ "about 1.2 miles from home" (home being the middle of the person's postcode as far as the directory
    knows it, so "about"); "" when not known."""
    if miles is None:
        return ""
    if miles < 0.1:
        return "less than 0.1 miles from home"
    return f"about {miles:.1f} miles from home" if miles < 10 else f"about {miles:.0f} miles from home"


def suggestion_facts(
    opportunity: Opportunity, matched: list[str], miles: float | None
) -> list[dict[str, str]]:
    """Why, when, where (and how far) and what it costs, for a suggestion on a person's plan: the reasons to
    choose one over another, beyond the interests it shares."""
    where = ", ".join(part for part in (opportunity.address, opportunity.postcode) if part) or "Not known"
    distance = miles_from_home(miles)
    return [
        {"name": "Interests shared", "value": joined(matched) or "None"},
        {"name": "When", "value": opportunity.schedule or "Not known"},
        {"name": "Where", "value": f"{where} ({distance})" if distance else where},
        {"name": "Cost", "value": cost_text(opportunity)},
    ]


def source_text(opportunity: Opportunity) -> str:
    if not opportunity.source:
        return "Added by hand"
    return f"Imported from {opportunity.source} (its id there: {opportunity.source_id})"


def page_link(query: dict[str, str], page: int) -> str:
    """The search's own query string, on another page."""
    return "?" + urlencode({**{k: v for k, v in query.items() if v and k != "page"}, "page": page})
