"""Reads about users and organisations. `scope_for` is the one place that turns memberships into reach."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from connecting_people.accounts.client_address import client_address, parse_networks
from connecting_people.accounts.models import (
    AccessReview,
    CoverAssignment,
    EnrolmentCode,
    Membership,
    Role,
    SignInFailure,
    Team,
    Trust,
    User,
)


@dataclass(frozen=True)
class Scope:
    """What one user may reach, worked out once per request from their memberships and cover."""

    user_id: int | None
    practitioner_team_ids: frozenset[int] = field(default_factory=frozenset)
    lead_team_ids: frozenset[int] = field(default_factory=frozenset)
    cover_team_ids: frozenset[int] = field(default_factory=frozenset)
    implementation_trust_ids: frozenset[int] = field(default_factory=frozenset)
    researcher_trust_ids: frozenset[int] = field(default_factory=frozenset)
    data_protection_trust_ids: frozenset[int] = field(default_factory=frozenset)
    is_administrator: bool = False
    # The trusts an administrator's reach is limited to; None for a global administrator (a superuser, or an
    # administrator membership without a trust); empty for someone who is no administrator.
    administrator_trust_ids: frozenset[int] | None = field(default_factory=frozenset)

    @property
    def is_practitioner(self) -> bool:
        return bool(self.practitioner_team_ids)

    @property
    def is_team_lead(self) -> bool:
        return bool(self.lead_team_ids)

    @property
    def is_implementation_lead(self) -> bool:
        return bool(self.implementation_trust_ids)

    @property
    def is_researcher(self) -> bool:
        return bool(self.researcher_trust_ids)

    @property
    def is_data_protection_officer(self) -> bool:
        return bool(self.data_protection_trust_ids)

    @property
    def works_with_people(self) -> bool:
        return self.is_practitioner or self.is_team_lead

    @property
    def team_wide_ids(self) -> frozenset[int]:
        """Teams whose whole caseload this user reaches: as lead, or under current cover."""
        return self.lead_team_ids | self.cover_team_ids


EMPTY_SCOPE = Scope(user_id=None)


def scope_for(*, user: User, today: date | None = None) -> Scope:
    """The user's reach. Cached on the user object, so one request costs two queries at most."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_connecting_people_scope", None)
    if cached is not None:
        return cached
    today = today or timezone.localdate()
    by_role: dict[str, set[int]] = {role: set() for role in Role.values}
    is_admin = False
    admin_trust_ids: set[int] | None = set()
    for role, team_id, trust_id in Membership.objects.filter(user=user).values_list(
        "role", "team_id", "trust_id"
    ):
        if role == Role.ADMINISTRATOR:
            is_admin = True
            if trust_id is None:
                admin_trust_ids = None
            elif admin_trust_ids is not None:
                admin_trust_ids.add(trust_id)
        elif role in (Role.PRACTITIONER, Role.TEAM_LEAD):
            by_role[role].add(team_id)
        else:
            by_role[role].add(trust_id)
    cover = set()
    if by_role[Role.PRACTITIONER]:
        cover = set(
            CoverAssignment.objects.filter(
                practitioner=user,
                team_id__in=by_role[Role.PRACTITIONER],
                starts_on__lte=today,
                ends_on__gte=today,
                ended_early_at__isnull=True,
            ).values_list("team_id", flat=True)
        )
    scope = Scope(
        user_id=user.pk,
        practitioner_team_ids=frozenset(by_role[Role.PRACTITIONER]),
        lead_team_ids=frozenset(by_role[Role.TEAM_LEAD]),
        cover_team_ids=frozenset(cover),
        implementation_trust_ids=frozenset(by_role[Role.IMPLEMENTATION_LEAD]),
        researcher_trust_ids=frozenset(by_role[Role.RESEARCHER]),
        data_protection_trust_ids=frozenset(by_role[Role.DATA_PROTECTION]),
        is_administrator=is_admin or user.is_superuser,
        administrator_trust_ids=(
            None if user.is_superuser or admin_trust_ids is None else frozenset(admin_trust_ids)
        ),
    )
    user._connecting_people_scope = scope
    return scope


def administrator_trust_ids(*, user: User) -> frozenset[int] | None:
    """The trusts an administrator's reach is limited to (empty for someone who is no administrator), or None
    for a global administrator: a superuser, or an administrator membership without a trust."""
    return scope_for(user=user).administrator_trust_ids


def teams_led_by(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=scope_for(user=user).lead_team_ids).select_related("trust")


def teams_of(*, user: User) -> QuerySet[Team]:
    """Every team the user belongs to, in any team role."""
    scope = scope_for(user=user)
    return Team.objects.filter(pk__in=scope.lead_team_ids | scope.practitioner_team_ids).select_related(
        "trust"
    )


def trusts_for_implementation(*, user: User) -> QuerySet[Trust]:
    return Trust.objects.filter(pk__in=scope_for(user=user).implementation_trust_ids)


def practitioners_in_team(*, team: Team | int) -> QuerySet[User]:
    """Active practitioners of a team (a Team or its id)."""
    team_id = team.pk if isinstance(team, Team) else team
    return (
        User.objects.filter(memberships__team_id=team_id, memberships__role=Role.PRACTITIONER, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def is_practitioner_in_team(*, user_id: int, team: Team | int) -> bool:
    return practitioners_in_team(team=team).filter(pk=user_id).exists()


def cover_for_teams(*, user: User) -> QuerySet[CoverAssignment]:
    """Cover assignments in the teams this user leads, newest first."""
    return (
        CoverAssignment.objects.filter(team_id__in=scope_for(user=user).lead_team_ids)
        .select_related("practitioner", "team", "granted_by")
        .order_by("-ends_on", "-starts_on")
    )


def cover_get_for_lead(*, user: User, cover_id: int) -> CoverAssignment:
    """One cover assignment of the lead's teams; NotFoundError for any other."""
    from connecting_people.core.errors import NotFoundError

    cover = cover_for_teams(user=user).filter(pk=cover_id).first()
    if cover is None:
        raise NotFoundError("No such cover", params={"cover_id": cover_id})
    return cover


def role_labels(*, user: User) -> list[str]:
    """Human descriptions of the user's roles, for the header ("Team lead, North CMHT")."""
    labels = []
    for membership in Membership.objects.filter(user=user).select_related("team", "trust"):
        where = membership.team or membership.trust
        labels.append(f"{membership.get_role_display()}, {where}" if where else membership.get_role_display())
    return labels


# --- sign-in: the client's address and the per-address limit -----------------------------------------------


def request_client_address(request) -> str | None:
    """The address a request came from, believing X-Forwarded-For only from CONNECTING_PEOPLE_TRUSTED_PROXIES
    (see client_address.py). django-axes calls this too (AXES_CLIENT_IP_CALLABLE), so lockout, the per-address
    limit and the audit trail all count the same address. Worked out once per request."""
    if hasattr(request, "_connecting_people_client_address"):
        return request._connecting_people_client_address
    address = client_address(
        remote_addr=request.META.get("REMOTE_ADDR"),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxies=parse_networks(settings.CONNECTING_PEOPLE_TRUSTED_PROXIES),
    )
    request._connecting_people_client_address = address
    return address


def address_failure_window() -> timedelta:
    return timedelta(minutes=settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES)


def address_failures_recent(*, address: str, now: datetime | None = None) -> int:
    """Failed sign-ins from `address` within the window, all usernames together."""
    since = (now or timezone.now()) - address_failure_window()
    return SignInFailure.objects.filter(address=address, occurred_at__gte=since).count()


def address_blocked_until(*, address: str | None, now: datetime | None = None) -> datetime | None:
    """When sign-in from `address` opens again, or None when it is open now. An unknown address is never
    blocked: blocking it would block every client whose address is unknown."""
    if address is None:
        return None
    now = now or timezone.now()
    limit = settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT
    recent = SignInFailure.objects.filter(
        address=address, occurred_at__gte=now - address_failure_window()
    ).order_by("-occurred_at")
    times = list(recent.values_list("occurred_at", flat=True)[:limit])
    if len(times) < limit:
        return None
    # Open again once the oldest of the newest `limit` failures leaves the window.
    return times[-1] + address_failure_window()


# --- set-up codes for MFA ----------------------------------------------------------------------------------


def user_by_username(*, username: str) -> User:
    """The account with this username; ServiceError (a message for the form) when there is none."""
    from connecting_people.core.errors import ServiceError

    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise ServiceError(
            f"There is no account with the username {username.strip()}.",
            field="username",
            code="no_such_account",
            params={"username": username.strip()},
        )
    return user


def enrolment_codes_recent(*, user: User, days: int = 14) -> list[EnrolmentCode]:
    """Set-up codes made in the last `days` days, newest first, for administrators only (empty otherwise)."""
    if not scope_for(user=user).is_administrator:
        return []
    since = timezone.now() - timedelta(days=days)
    return list(
        EnrolmentCode.objects.filter(issued_at__gte=since)
        .select_related("user", "issued_by")
        .order_by("-issued_at")
    )


# --- the privileged-access review --------------------------------------------------------------------------

# Access worth a second look, in the order the review page lists it. Practitioners' own caseloads are not.
ACCESS_KINDS = {
    "superuser": "Superuser (every permission in the administration pages)",
    "staff": "Staff status (can open the administration pages)",
    "administrator": "Administrator",
    "team_lead": "Team lead",
    "implementation_lead": "Implementation lead",
    "researcher": "Researcher",
    "data_protection": "Data protection officer",
    "cover": "Cover (a practitioner reaching the whole team's caseload)",
}


@dataclass(frozen=True)
class AccessEntry:
    kind: str
    person: User
    where: str = ""
    where_id: int | None = None
    until: date | None = None
    granted_at: datetime | None = None
    granted_by_id: int | None = None
    granted_by_name: str = ""

    @property
    def kind_label(self) -> str:
        return ACCESS_KINDS[self.kind]

    @property
    def identity(self) -> str:
        """What the access is, without when it was given: the review's fingerprint is made of these."""
        return f"{self.kind}|{self.person.pk}|{self.where_id or ''}|{self.until or ''}"


@dataclass(frozen=True)
class PrivilegedAccess:
    entries: list[AccessEntry]
    fingerprint: str
    last_review: AccessReview | None
    reviews: list[AccessReview]

    @property
    def changed_since_last_review(self) -> bool:
        return self.last_review is None or self.last_review.fingerprint != self.fingerprint

    @property
    def since_last_review(self) -> list[AccessEntry]:
        """Entries granted after the last review (all of them before the first one). Access from before grant
        times were kept counts as reviewed once a review has been recorded."""
        if self.last_review is None:
            return list(self.entries)
        return [
            e
            for e in self.entries
            if e.granted_at is not None and e.granted_at > self.last_review.reviewed_at
        ]

    def of_kind(self, kind: str) -> list[AccessEntry]:
        return [entry for entry in self.entries if entry.kind == kind]


def _flag_grants(user_ids: set[int]) -> dict[tuple[int, str], tuple[datetime, int | None, str]]:
    """When each user's staff or superuser flag was last switched on, and by whom, from the audit trail."""
    from connecting_people.audit.selectors import user_access_changes

    found: dict[tuple[int, str], tuple[datetime, int | None, str]] = {}
    for event in user_access_changes(user_ids=user_ids).only(
        "object_id", "summary", "occurred_at", "actor_id", "actor_username"
    ):
        before, after = event.summary.get("before", {}), event.summary.get("after", {})
        for flag, kind in (("is_staff", "staff"), ("is_superuser", "superuser")):
            key = (int(event.object_id), kind)
            if key not in found and after.get(flag) and not before.get(flag):
                found[key] = (event.occurred_at, event.actor_id, event.actor_username)
    return found


def privileged_access(*, user: User, today: date | None = None) -> PrivilegedAccess:
    """Everyone who holds access worth reviewing, with when and by whom it was granted where that is known,
    and the reviews recorded so far. Administrators only: anyone else gets an empty list."""
    if not scope_for(user=user).is_administrator:
        return PrivilegedAccess(entries=[], fingerprint="", last_review=None, reviews=[])
    today = today or timezone.localdate()
    entries: list[AccessEntry] = []
    flagged = list(User.objects.filter(Q(is_superuser=True) | Q(is_staff=True), is_active=True))
    grants = _flag_grants({person.pk for person in flagged})
    granters = User.objects.in_bulk({by_id for _, by_id, _ in grants.values() if by_id is not None})
    for person in flagged:
        for kind, holds in (("superuser", person.is_superuser), ("staff", person.is_staff)):
            if holds:
                when, by_id, by_name = grants.get((person.pk, kind), (None, None, ""))
                by_name = granters[by_id].display_name if by_id in granters else by_name
                entries.append(
                    AccessEntry(
                        kind=kind,
                        person=person,
                        granted_at=when,
                        granted_by_id=by_id,
                        granted_by_name=by_name,
                    )
                )
    memberships = (
        Membership.objects.filter(user__is_active=True)
        .exclude(role=Role.PRACTITIONER)
        .select_related("user", "team", "trust", "granted_by")
    )
    for membership in memberships:
        place = membership.team or membership.trust
        entries.append(
            AccessEntry(
                kind=membership.role,
                person=membership.user,
                where=str(place) if place else "All organisations",
                where_id=place.pk if place else None,
                granted_at=membership.granted_at,
                granted_by_id=membership.granted_by_id,
                granted_by_name=membership.granted_by.display_name if membership.granted_by else "",
            )
        )
    covers = CoverAssignment.objects.filter(
        starts_on__lte=today, ends_on__gte=today, ended_early_at__isnull=True, practitioner__is_active=True
    ).select_related("practitioner", "team", "granted_by")
    for cover in covers:
        entries.append(
            AccessEntry(
                kind="cover",
                person=cover.practitioner,
                where=cover.team.name,
                where_id=cover.team_id,
                until=cover.ends_on,
                granted_at=cover.created_at,
                granted_by_id=cover.granted_by_id,
                granted_by_name=cover.granted_by.display_name,
            )
        )
    order = list(ACCESS_KINDS)
    entries.sort(key=lambda e: (order.index(e.kind), e.person.display_name.lower(), e.person.pk, e.where))
    fingerprint = hashlib.sha256("\n".join(sorted(e.identity for e in entries)).encode()).hexdigest()
    reviews = list(AccessReview.objects.select_related("reviewed_by").order_by("-reviewed_at", "-id")[:10])
    return PrivilegedAccess(
        entries=entries, fingerprint=fingerprint, last_review=reviews[0] if reviews else None, reviews=reviews
    )
