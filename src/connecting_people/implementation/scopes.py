"""Who reaches which implementation records about staff: the scope rules `core.scoping.scoped(actor, Model)`
answers with (registered from `ImplementationConfig.ready`). The selectors start from these.

* **Fidelity ratings**: a practitioner's own self-ratings; every rating in a team they lead; team ratings of
  the teams of an implementation lead's trusts (never an individual worker's rating: those reach them only as
  aggregates, through the summary selectors).
* **Supervision records**: those about the actor; every record of a team they lead.
* **Training sessions**: any in an implementation lead's trusts; for a team lead, those held for the teams
  they lead and those open to their teams' whole trust.

Teams themselves (`accounts.Team`) are not personal data: which teams an actor reaches at team level, and how
(`selectors.TeamAccess`: as lead, or as the implementation lead of its trust), comes from the actor's scope.
"""

from django.db.models import Q, QuerySet

from connecting_people.accounts.models import Team
from connecting_people.core.scoping import scope_rule
from connecting_people.implementation.models import FidelityRating, SupervisionRecord, TrainingSession


def _staff_scope(actor):
    """The scope of a staff actor who is a user (None for any other kind, or nobody)."""
    if getattr(actor, "kind", None) != "staff" or actor.scope.user_id is None:
        return None
    return actor.scope


@scope_rule("implementation.FidelityRating")
def ratings_in_reach(actor) -> QuerySet[FidelityRating]:
    scope = _staff_scope(actor)
    if scope is None:
        return FidelityRating.objects.none()
    reach = Q(team_id__in=scope.lead_team_ids) | Q(
        kind=FidelityRating.Kind.TEAM, team__trust_id__in=scope.implementation_trust_ids
    )
    if scope.is_practitioner:
        reach |= Q(kind=FidelityRating.Kind.SELF, worker_id=scope.user_id)
    return FidelityRating.objects.filter(reach)


@scope_rule("implementation.SupervisionRecord")
def supervision_in_reach(actor) -> QuerySet[SupervisionRecord]:
    scope = _staff_scope(actor)
    if scope is None:
        return SupervisionRecord.objects.none()
    return SupervisionRecord.objects.filter(Q(worker_id=scope.user_id) | Q(team_id__in=scope.lead_team_ids))


@scope_rule("implementation.TrainingSession")
def training_sessions_in_reach(actor) -> QuerySet[TrainingSession]:
    scope = _staff_scope(actor)
    if scope is None or not (scope.is_team_lead or scope.is_implementation_lead):
        return TrainingSession.objects.none()
    led_trusts = Team.objects.filter(pk__in=scope.lead_team_ids).values("trust_id")
    return TrainingSession.objects.filter(
        Q(trust_id__in=scope.implementation_trust_ids)
        | Q(team_id__in=scope.lead_team_ids)
        | Q(team__isnull=True, trust_id__in=led_trusts)
    )
