"""The invitation pages as everyone who might reach them: only someone with the researcher role in the invited
trust sees and answers an invitation; everyone else gets 404 (anonymous users are sent to sign in), and their
posts change nothing."""

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.roles import ORG_ROLES as ROLES
from connecting_people.study import selectors, services
from connecting_people.study.models import StudySite

from .conftest import START


@pytest.fixture
def invited(org):
    """A study led by `org.researcher` (trust one) that invites the other trust."""
    study = services.study_create(
        actor=org.researcher,
        data=services.StudyData(code="inv", title="Invitation study", starts_on=START, consent_version="v1"),
    )
    access = selectors.study_access(actor=org.researcher, study_id=study.pk)
    return services.site_add(actor=org.researcher, access=access, trust_id=org.other_trust_team.trust_id)


@pytest.mark.parametrize("role", ROLES)
def test_nobody_outside_the_invited_trust_reaches_the_invitation(client, org, invited, role):
    user = getattr(org, role)
    client.force_login(user)
    url = f"/study/invitations/{invited.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "accept"}).status_code == 404
    listing = client.get("/study/invitations/")
    if role == "researcher":  # a researcher, of another trust: their own (empty) list
        assert listing.status_code == 200 and url not in listing.content.decode()
    else:
        assert listing.status_code == 404
    invited.refresh_from_db()
    assert invited.status == StudySite.Status.INVITED
    assert (
        not AuditEvent.objects.filter(action__startswith="study.site_")
        .exclude(action="study.site_invited")
        .exists()
    )


def test_anonymous_users_are_sent_to_sign_in(client, invited):
    for url in ("/study/invitations/", f"/study/invitations/{invited.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_a_researcher_of_the_invited_trust_reaches_it(client, org, invited):
    theirs = UserFactory(username="their_researcher")
    member(theirs, Role.RESEARCHER, trust=org.other_trust_team.trust)
    client.force_login(theirs)
    assert client.get(f"/study/invitations/{invited.pk}/").status_code == 200
    assert client.get("/study/invitations/999999/").status_code == 404
    assert client.get("/study/invitations/abc/").status_code == 404
