"""The one place a read of personal data starts: `scoped(actor, Model)` is the queryset of that model the actor
may read. Each app that holds personal data registers one rule per model (in its `scopes.py`, imported by its
AppConfig.ready) and its selectors build on `scoped`; nothing else decides reach. A model listed in
`core.personal_data.PERSONAL_DATA_MODELS` without a rule cannot be read at all (a test checks every one has one).

Core knows nothing of who actors are (that is `accounts.actor`); a rule is given the actor and answers with a
queryset, empty when the actor may read none of it.
"""

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class ActorLike(Protocol):
    """What core needs of an actor: a kind ("staff", "person", "device", "system") and a stable id for audit."""

    @property
    def kind(self) -> str: ...

    @property
    def audit_id(self) -> str: ...


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
