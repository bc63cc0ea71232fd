"""Context every page gets: the signed-in user's navigation and the CSP nonce."""

import rules
from django.urls import reverse
from django.utils import timezone

from connecting_people.accounts.selectors import role_labels, scope_for


def navigation_for(request) -> list[dict]:
    user = _user(request)
    if user is None:
        return []
    scope = scope_for(user=user)
    items = [("core:home", "Home")]
    if scope.is_practitioner:
        items.append(("people:caseload", "My caseload"))
    if scope.team_wide_ids:
        items.append(("people:team", "Team caseload"))
    if scope.works_with_people:
        items.append(("people:new", "Add a person"))
    if scope.is_team_lead:
        items.append(("accounts:cover", "Cover"))
    if rules.test_rule("search_directory", user):
        items.append(("community:search", "Community directory"))
    if scope.is_data_protection_officer:
        items.append(("privacy:index", "Data protection"))
    if scope.is_administrator:
        items.append(("audit:lookup", "Audit trail"))
        if user.is_staff:
            items.append(("admin:index", "Administration"))
    path = request.path
    result = []
    for name, text in items:
        href = reverse(name)
        current = (
            path == href
            if href == "/"
            else path.startswith(href)
            and not any(
                other != href and other.startswith(href) and path.startswith(other)
                for other in (reverse(n) for n, _ in items)
            )
        )
        result.append({"href": href, "text": text, "current": current})
    return result


def account_label(user) -> str:
    """The signed-in user and where they work: "Alex Morgan, Practitioner, Riverside CMHT"."""
    roles = role_labels(user=user)
    return f"{user.display_name} ({'; '.join(roles)})" if roles else user.display_name


def _user(request):
    """The signed-in user, or None: also for an error page answered before the sign-in middleware ran (a
    request for a host this service does not answer to is refused first, and has no user)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def page_context(request) -> dict:
    user = _user(request)
    account = []
    if user is not None:
        account = [
            {"text": account_label(user), "icon": True},
            {"href": reverse("api:tokens"), "text": "API tokens"},
            {"href": reverse("accounts:logout"), "text": "Sign out"},
        ]
    return {
        "nav_items": navigation_for(request),
        "account_items": account,
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "today": timezone.localdate(),
    }
