"""Object permissions on a person's record, as `rules` predicates.

Reaching a record at all is the selectors' job (out of scope is 404); these decide what a user who can reach it
may do with it. Checked with `rules.test_rule("allocate_person", user, person)`.
"""

import rules

from connecting_people.accounts.selectors import scope_for


@rules.predicate
def leads_the_persons_team(user, person) -> bool:
    return person is not None and person.team_id in scope_for(user=user).lead_team_ids


@rules.predicate
def administers_the_persons_trust(user, person) -> bool:
    """A global administrator, or one whose administrator membership is for the person's trust."""
    from connecting_people.accounts.selectors import administrator_trust_ids

    trust_ids = administrator_trust_ids(user=user)
    return trust_ids is None or (person is not None and person.trust_id in trust_ids)


# Checked with rules.test_rule rather than user.has_perm: has_perm lets every superuser through, and being a
# superuser must not give anyone a team lead's powers over records.
rules.add_rule("allocate_person", leads_the_persons_team)
rules.add_rule("view_person_audit", leads_the_persons_team | administers_the_persons_trust)
