"""The roles the tests sign in as: the users of the `org` fixture (conftest.py), one per role, in and out of
scope. Tests take their lists from here (core/tests/test_architecture.py fails on a copy)."""

ORG_ROLES: tuple[str, ...] = (
    "practitioner",
    "colleague",  # same team, a separate caseload
    "lead",
    "other_lead",  # leads another team of the same trust
    "implementation_lead",
    "researcher",
    "administrator",
    "no_role",  # signed in, no membership at all
)
# ... and someone not signed in.
ROLES: tuple[str, ...] = (*ORG_ROLES, "anonymous")
