"""Who may read restrictions of processing (core.scoping). Imported by PrivacyConfig.ready.

A data protection officer reads the restrictions of the people of the trusts where they hold that role; nobody
else reads them (everyone else sees only that a record is restricted, from the person's own record)."""

from django.db.models import QuerySet

from connecting_people.core.scoping import scope_rule
from connecting_people.privacy.models import Restriction


@scope_rule("privacy.Restriction")
def restrictions_in_reach(actor) -> QuerySet[Restriction]:
    if actor.kind != "staff" or not actor.scope.data_protection_trust_ids:
        return Restriction.objects.none()
    return Restriction.objects.filter(person__trust_id__in=actor.scope.data_protection_trust_ids)
