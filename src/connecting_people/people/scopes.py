"""Who may read people's records (core.scoping). Imported by PeopleConfig.ready.

A practitioner reaches the people allocated to them in their teams, plus a team's whole caseload under current
cover; a team lead reaches their teams' people. Nobody else reaches identifiable records this way (a data
protection officer reaches their trusts' people only through `selectors.people_for_data_protection`, for the
data-protection pages). The audit trail about a person follows reach to the person, so its rule is here too: the
audit app sits below people and cannot say who reaches whom.
"""

from django.db.models import Q, QuerySet

from connecting_people.audit.models import AuditEvent
from connecting_people.core.scoping import scope_rule, scoped
from connecting_people.people.models import Person, Tag


@scope_rule("people.Person")
def people_in_reach(actor) -> QuerySet[Person]:
    scope = actor.scope
    if actor.kind != "staff" or not scope.works_with_people:
        return Person.objects.none()
    reach = Q(team_id__in=scope.team_wide_ids)
    if scope.is_practitioner:
        reach |= Q(allocated_worker_id=actor.user_id, team_id__in=scope.practitioner_team_ids)
    return Person.objects.filter(reach)


@scope_rule("people.Tag")
def tags_in_reach(actor) -> QuerySet[Tag]:
    """The strengths and interests of the people the actor reaches."""
    return Tag.objects.filter(people__in=scoped(actor, Person)).distinct()


@scope_rule("audit.AuditEvent")
def audit_events_in_reach(actor) -> QuerySet[AuditEvent]:
    """Events about people whose trail the actor may see (the `view_person_audit` rule): every event for a global
    administrator (the trail holds no clinical free text), those about the people recorded in their trusts for an
    administrator limited to trusts, those about their teams' people for a team lead; none for anyone else."""
    scope = actor.scope
    if actor.kind != "staff":
        return AuditEvent.objects.none()
    admin_trust_ids = scope.administrator_trust_ids
    if admin_trust_ids is None:
        return AuditEvent.objects.all()
    if not admin_trust_ids and not scope.lead_team_ids:
        return AuditEvent.objects.none()
    about = Q(trust_id__in=admin_trust_ids) | Q(team_id__in=scope.lead_team_ids)
    return AuditEvent.objects.filter(person_id__in=Person.objects.filter(about).values("pk"))
