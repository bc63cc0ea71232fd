"""Who may use the community directory, as `rules` predicates.

The directory is public information, not personal data: everyone who works with people or runs the service
(practitioners, team leads, implementation leads, administrators) may search and read it; practitioners, team
leads and administrators may add and change opportunities by hand. Researchers and people without a role get
"Page not found", like any page outside their reach. Checked with `rules.test_rule("search_directory", user)`.
"""

import rules

from connecting_people.accounts.selectors import scope_for


@rules.predicate
def works_with_people(user) -> bool:
    return scope_for(user=user).works_with_people


@rules.predicate
def leads_implementation(user) -> bool:
    return scope_for(user=user).is_implementation_lead


@rules.predicate
def administers(user) -> bool:
    return scope_for(user=user).is_administrator


rules.add_rule("search_directory", works_with_people | leads_implementation | administers)
rules.add_rule("edit_directory", works_with_people | administers)
