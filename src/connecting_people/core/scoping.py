"""The one place a read of personal data starts: `scoped(actor, Model)` is the queryset of that model the actor
may read. Each app that holds personal data registers one rule per model (in its `scopes.py`, imported by its
AppConfig.ready) and its selectors build on `scoped`; nothing else decides reach. A model listed in
`core.personal_data.PERSONAL_DATA_MODELS` without a rule cannot be read at all (a test checks every one has one).

Core knows nothing of who actors are (that is `accounts.actor`); a rule is given the actor and answers with a
queryset, empty when the actor may read none of it.
"""

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@runtime_checkable
class ActorLike(Protocol):
    """What core needs of an actor: a kind ("staff", "person", "device", "system"), a stable id for audit, and
    the user behind it (None for an actor who is no user)."""

    @property
    def kind(self) -> str: ...

    @property
    def audit_id(self) -> str: ...

    @property
    def user(self) -> Any: ...


ScopeRule = Callable[[Any], QuerySet]

_RULES: dict[str, ScopeRule] = {}


def scope_rule(label: str) -> Callable[[ScopeRule], ScopeRule]:
    """Register the rule giving an actor's reach into the model `label` ("people.Person")."""

    def register(rule: ScopeRule) -> ScopeRule:
        if label in _RULES and _RULES[label] is not rule:
            raise ImproperlyConfigured(f"Two scope rules for {label}")
        _RULES[label] = rule
        return rule

    return register


def scoped(actor: ActorLike, model: type[M]) -> QuerySet[M]:
    """Every row of `model` the actor may read (no rows for an actor who may read none)."""
    try:
        rule = _RULES[model._meta.label]
    except KeyError as error:
        raise ImproperlyConfigured(f"No scope rule for {model._meta.label}") from error
    return rule(actor)


def registered_labels() -> frozenset[str]:
    return frozenset(_RULES)


R = TypeVar("R")


def takes_actor(function: Callable[..., R]) -> Callable[..., R]:
    """For a selector or service that now takes `actor=`: a caller not yet changed may still pass `user=` (taken
    as the actor; `accounts.actor.as_actor` makes a staff actor of a user). Only while the other apps' calls are
    changed over: `grep -rn "@takes_actor"` lists what still allows it."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> R:
        if "user" in kwargs and "actor" not in kwargs:
            kwargs["actor"] = kwargs.pop("user")
        return function(*args, **kwargs)

    return call


def acting_user(actor: Any) -> Any:
    """The user behind an actor (None for one who is no user); a user passed instead of an actor, as it is."""
    return actor.user if isinstance(actor, ActorLike) else actor
