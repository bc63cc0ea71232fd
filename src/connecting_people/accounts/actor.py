"""Who is acting. Every service and selector is given an `Actor`, made once per request (or per command) from
the signed-in user: today always a member of staff; the person supported signing in to their own record, a
tablet syncing offline work and a system account running jobs are the kinds to come, each with its own reach.

Reach is decided in one place (`core.scoping.scoped`, with each app's rules in its `scopes.py`); an actor only
carries what those rules need: for staff, their `Scope` (memberships and cover), worked out once.

Callers that still hold a user pass it to `as_actor`, which makes (and caches on the user) the staff actor.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connecting_people.accounts.selectors import EMPTY_SCOPE, Scope, scope_for


class ActorKind(StrEnum):
    STAFF = "staff"
    PERSON = "person"  # the person supported, signed in to their own record (not yet built)
    DEVICE = "device"  # an enrolled tablet syncing work done offline (not yet built)
    SYSTEM = "system"  # a job or command acting for nobody in particular (not yet built)


@dataclass(frozen=True)
class Actor:
    """One actor: their kind, the user behind them (for staff), and their reach."""

    kind: ActorKind
    user: Any  # accounts.User, or None for an actor who is not a user
    scope: Scope

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    @property
    def audit_id(self) -> str:
        return f"{self.kind}:{self.user_id}"

    @property
    def is_staff_member(self) -> bool:
        return self.kind == ActorKind.STAFF and self.scope is not EMPTY_SCOPE


NOBODY = Actor(kind=ActorKind.STAFF, user=None, scope=EMPTY_SCOPE)


def actor_for(user) -> Actor:
    """The staff actor for a user (anonymous or inactive users reach nothing). Cached on the user object, so a
    request works out memberships and cover once."""
    if user is None:
        return NOBODY
    cached = getattr(user, "_connecting_people_actor", None)
    if cached is not None:
        return cached
    # A service account (a system using the API) is given reach the way staff are, by its memberships: it acts as
    # staff with one role; the audit trail tells its acts apart by the token they came with.
    actor = Actor(kind=ActorKind.STAFF, user=user, scope=scope_for(user=user))
    if getattr(user, "is_authenticated", False):
        user._connecting_people_actor = actor
    return actor


def as_actor(actor_or_user) -> Actor:
    """An Actor as it is; a user as their staff actor."""
    if isinstance(actor_or_user, Actor):
        return actor_or_user
    return actor_for(actor_or_user)
