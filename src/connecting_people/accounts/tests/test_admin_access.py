"""Administrators: security-code secrets never shown, roles and privileges changed only by someone else and
audited with before and after, page views audited, and the privileged-access review."""

import base64
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.accounts import services
from connecting_people.accounts.models import AccessReview, CoverAssignment, Membership, Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent

REVIEW = "/accounts/access-review/"


class _FormReader(HTMLParser):
    """The fields a browser would send for the first form with method=post (other than the admin's sign-out)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = self.done = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and attrs.get("method", "").lower() == "post" and attrs.get("id") != "logout-form":
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind in {"submit", "button", "image", "file"}:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][0] += data


def form_data(client: Client, path: str) -> dict[str, list[str]]:
    reader = _FormReader()
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    reader.feed(response.content.decode())
    return reader.data


@pytest.fixture
def superuser(org):
    """The organisation's administrator, with every permission in the administration pages."""
    org.administrator.is_superuser = True
    org.administrator.save()
    return org.administrator


@pytest.fixture
def second_admin(db):
    admin = UserFactory(username="second_admin", is_staff=True, is_superuser=True)
    member(admin, Role.ADMINISTRATOR)
    return admin


def actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


# --- security-code devices ------------------------------------------------------------------------------------


@pytest.fixture
def device(org):
    return TOTPDevice.objects.create(user=org.practitioner, name="Authenticator app", confirmed=True)


def test_no_admin_page_shows_a_security_code_secret(client, superuser, device):
    client.force_login(superuser)
    secret_hex = device.key
    secret_base32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    base = f"/admin/otp_totp/totpdevice/{device.pk}"
    for path in ["/admin/otp_totp/totpdevice/", f"{base}/change/", f"{base}/config/", f"{base}/qrcode/"]:
        response = client.get(path, follow=True)
        body = response.content.decode(errors="replace")
        assert secret_hex not in body and secret_hex.upper() not in body, path
        assert secret_base32 not in body, path
        assert response["Content-Type"].startswith("text/html"), path  # no QR image
        assert "otpauth://" not in body, path
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403


def test_resetting_a_device_is_audited_and_needs_a_new_set_up_code(client, org, superuser, device, settings):
    client.force_login(superuser)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=org.practitioner).exists()
    (reset,) = AuditEvent.objects.filter(action="mfa.reset")
    assert reset.actor_id == superuser.pk and reset.object_id == str(org.practitioner.pk)
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
    practitioner = Client()
    practitioner.force_login(org.practitioner)
    html = practitioner.get("/accounts/security-code/").content.decode()
    assert "Set-up code" in html and "app-qr" not in html


def test_looking_at_admin_pages_is_audited(client, org, superuser, device):
    client.force_login(superuser)
    membership = Membership.objects.get(user=org.lead)
    client.get(f"/admin/accounts/user/{org.practitioner.pk}/change/")
    client.get(f"/admin/accounts/membership/{membership.pk}/change/")
    client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    client.get("/admin/accounts/user/?q=prac")
    events = AuditEvent.objects.filter(actor_id=superuser.pk).order_by("id")
    assert [(e.action, e.object_id) for e in events] == [
        ("admin.user.viewed", str(org.practitioner.pk)),
        ("admin.membership.viewed", str(membership.pk)),
        ("admin.totpdevice.viewed", str(device.pk)),
        ("admin.user.listed", ""),
    ]
    assert events.last().summary == {"query": "prac"}


# --- roles and privileges -----------------------------------------------------------------------------------


def test_a_role_given_on_the_membership_page_is_stamped_and_audited(client, org, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/membership/add/",
        {"user": org.colleague.pk, "role": Role.TEAM_LEAD, "team": org.team.pk, "trust": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    granted = Membership.objects.get(user=org.colleague, role=Role.TEAM_LEAD)
    assert granted.granted_by == superuser and granted.granted_at is not None
    event = AuditEvent.objects.get(action="membership.granted")
    assert event.actor_id == superuser.pk and event.object_id == str(org.colleague.pk)
    assert event.summary == {
        "user_id": org.colleague.pk,
        "membership_id": granted.pk,
        "role": "team_lead",
        "team_id": org.team.pk,
        "team": org.team.name,
        "trust_id": org.trust.pk,
        "trust": org.trust.name,
    }


def test_a_role_changed_in_the_inline_on_the_user_page_is_audited_before_and_after(client, org, superuser):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{org.practitioner.pk}/change/"
    data = form_data(client, path)
    (row,) = [key for key, value in data.items() if key.endswith("-role") and value == [Role.PRACTITIONER]]
    prefix = row.removesuffix("-role")
    data[f"{prefix}-role"] = [Role.TEAM_LEAD]
    data[f"{prefix}-team"] = [str(org.other_team.pk)]
    data[f"{prefix}-trust"] = [""]
    response = client.post(path, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="membership.changed")
    assert event.object_id == str(org.practitioner.pk)
    assert (
        event.summary["before"]["role"] == "practitioner" and event.summary["before"]["team"] == org.team.name
    )
    assert (
        event.summary["after"]["role"] == "team_lead"
        and event.summary["after"]["team"] == org.other_team.name
    )


def test_a_role_removed_in_the_inline_is_audited(client, org, superuser):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{org.researcher.pk}/change/"
    data = form_data(client, path)
    (row,) = [key for key, value in data.items() if key.endswith("-role") and value == [Role.RESEARCHER]]
    data[row.removesuffix("-role") + "-DELETE"] = ["on"]
    assert client.post(path, data).status_code == 302
    assert not Membership.objects.filter(user=org.researcher).exists()
    event = AuditEvent.objects.get(action="membership.removed")
    assert event.summary["role"] == "researcher" and event.summary["trust"] == org.trust.name


def test_staff_and_superuser_flags_are_audited_before_and_after(client, org, superuser):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{org.colleague.pk}/change/"
    data = form_data(client, path)
    data["is_staff"] = ["on"]
    assert client.post(path, data).status_code == 302
    org.colleague.refresh_from_db()
    assert org.colleague.is_staff
    event = AuditEvent.objects.get(action="user.access_changed")
    assert event.summary == {
        "before": {"is_active": True, "is_staff": False, "is_superuser": False},
        "after": {"is_active": True, "is_staff": True, "is_superuser": False},
    }


def test_an_administrator_cannot_give_themselves_a_role_on_their_own_page(client, org, superuser):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{superuser.pk}/change/"
    html = client.get(path).content.decode()
    data = form_data(client, path)
    # The memberships inline offers no empty row to fill in; posting one anyway changes nothing.
    assert not any(key.endswith("-role") and value == [""] for key, value in data.items())
    data |= {
        "memberships-TOTAL_FORMS": ["2"],
        "memberships-1-role": [Role.TEAM_LEAD],
        "memberships-1-team": [str(org.team.pk)],
        "memberships-1-user": [str(superuser.pk)],
    }
    client.post(path, data)
    assert list(Membership.objects.filter(user=superuser).values_list("role", flat=True)) == ["administrator"]
    assert "is_superuser" not in data and "is_staff" not in data  # shown, not editable
    assert "Superuser status" in html


def test_an_administrator_cannot_add_a_role_for_themselves_on_the_membership_page(client, org, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/membership/add/",
        {"user": superuser.pk, "role": Role.TEAM_LEAD, "team": org.team.pk, "trust": ""},
    )
    assert response.status_code == 200
    assert "You cannot change your own roles" in response.content.decode()
    assert not Membership.objects.filter(user=superuser, role=Role.TEAM_LEAD).exists()
    own = Membership.objects.get(user=superuser)
    assert client.post(f"/admin/accounts/membership/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=own.pk).exists()


def test_an_administrator_cannot_switch_off_their_own_flags_or_delete_themselves(client, superuser):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{superuser.pk}/change/"
    data = form_data(client, path)
    data["is_active"] = []
    client.post(path, data)
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.is_superuser
    assert client.post(f"/admin/accounts/user/{superuser.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_service_refuses_ones_own_roles_whatever_calls_it(org):
    from connecting_people.core.errors import NotAllowedError

    membership = Membership(user=org.administrator, role=Role.TEAM_LEAD, team=org.team, trust=org.trust)
    with pytest.raises(NotAllowedError):
        services.membership_save(actor=org.administrator, membership=membership)
    assert not Membership.objects.filter(user=org.administrator, role=Role.TEAM_LEAD).exists()


# --- the privileged-access review ---------------------------------------------------------------------------


@pytest.fixture
def access(org, second_admin):
    member(org.colleague, Role.DATA_PROTECTION, trust=org.trust)
    CoverAssignment.objects.create(
        team=org.team,
        practitioner=org.practitioner,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=7),
        reason="Leave",
        granted_by=org.lead,
    )
    CoverAssignment.objects.create(
        team=org.team,
        practitioner=org.colleague,
        starts_on=timezone.localdate() - timedelta(days=20),
        ends_on=timezone.localdate() - timedelta(days=10),
        reason="Over",
        granted_by=org.lead,
    )
    return org


@pytest.mark.parametrize("who", ["practitioner", "lead", "implementation_lead", "researcher", "no_role"])
def test_only_administrators_see_the_review(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(REVIEW).status_code == 404
    assert client.post(REVIEW, {"fingerprint": "x"}).status_code == 404
    assert not AccessReview.objects.exists()


def section(html: str, kind: str) -> str:
    start = html.index(f'id="access-{kind}"')
    end = html.find('<h2 id="access-', start + 10)
    return html[start : end if end != -1 else len(html)]


def test_the_review_lists_who_holds_which_access(client, access, second_admin):
    org = access
    client.force_login(second_admin)
    html = client.get(REVIEW).content.decode()
    assert "second_admin" in section(html, "superuser") and "second_admin" in section(html, "staff")
    assert "(administrator)" in section(html, "staff")
    assert "(administrator)" in section(html, "administrator")
    assert "(lead)" in section(html, "team_lead") and org.team.name in section(html, "team_lead")
    assert "(other_lead)" in section(html, "team_lead")
    assert "(implementation_lead)" in section(html, "implementation_lead")
    assert "(researcher)" in section(html, "researcher")
    assert "(colleague)" in section(html, "data_protection")
    cover = section(html, "cover")
    assert "(practitioner)" in cover and "until" in cover
    assert "(colleague)" not in cover, "ended cover is not current access"
    assert "(practitioner)" not in section(html, "team_lead")  # practitioners' own caseloads are not listed
    assert "Never reviewed" in html


def test_inactive_accounts_are_not_listed(client, access, second_admin):
    access.lead.is_active = False
    access.lead.save()
    client.force_login(second_admin)
    assert "(lead)" not in client.get(REVIEW).content.decode()


def test_a_grant_shows_when_and_by_whom(client, org, superuser, second_admin):
    services.membership_save(
        actor=second_admin, membership=Membership(user=org.colleague, role=Role.RESEARCHER, trust=org.trust)
    )
    client.force_login(superuser)
    researchers = section(client.get(REVIEW).content.decode(), "researcher")
    assert second_admin.display_name in researchers
    assert "Not recorded" in researchers  # the fixture's researcher predates grant records


def test_a_second_administrator_records_a_review(client, access, second_admin):
    client.force_login(second_admin)
    data = form_data(client, REVIEW)
    data["note"] = ["Checked with team leads"]
    response = client.post(REVIEW, data)
    assert response.status_code == 302
    review = AccessReview.objects.get()
    assert review.reviewed_by == second_admin and review.note == "Checked with team leads"
    event = AuditEvent.objects.get(action="access_review.recorded")
    assert event.actor_id == second_admin.pk
    assert event.summary == {"entries": review.entries, "fingerprint": review.fingerprint, "with_note": True}
    assert "Checked with team leads" not in str(event.summary)
    html = client.get(REVIEW).content.decode()
    assert "No change since" in html and "Your review is recorded" in html


def test_you_cannot_review_access_you_granted_since_the_last_review(client, org, superuser, second_admin):
    services.membership_save(
        actor=superuser, membership=Membership(user=org.colleague, role=Role.RESEARCHER, trust=org.trust)
    )
    client.force_login(superuser)
    response = client.post(REVIEW, form_data(client, REVIEW))
    html = response.content.decode()
    assert response.status_code == 200
    assert "You granted some of this access yourself since the last review" in html
    assert not AccessReview.objects.exists()
    other = Client()
    other.force_login(second_admin)
    assert other.post(REVIEW, form_data(other, REVIEW)).status_code == 302
    # After that review, a new grant shows as new, and the list as changed.
    services.membership_save(
        actor=second_admin,
        membership=Membership(user=org.colleague, role=Role.TEAM_LEAD, team=org.other_team),
    )
    html = client.get(REVIEW).content.decode()
    assert "Changed since the last review" in html
    assert "New" in section(html, "team_lead")


def test_a_review_of_a_list_that_changed_meanwhile_is_refused(client, org, second_admin, superuser):
    client.force_login(second_admin)
    data = form_data(client, REVIEW)
    services.membership_save(
        actor=superuser, membership=Membership(user=org.colleague, role=Role.RESEARCHER, trust=org.trust)
    )
    html = client.post(REVIEW, data).content.decode()
    assert "The list changed while you were looking at it" in html
    assert not AccessReview.objects.exists()
    # The page now shows the new list, and reviewing it works.
    assert client.post(REVIEW, form_data(client, REVIEW)).status_code == 302


def test_staff_flag_grant_time_comes_from_the_audit_trail(client, org, superuser, second_admin):
    client.force_login(superuser)
    path = f"/admin/accounts/user/{org.colleague.pk}/change/"
    data = form_data(client, path)
    data["is_staff"] = ["on"]
    client.post(path, data)
    other = Client()
    other.force_login(second_admin)
    staff = section(other.get(REVIEW).content.decode(), "staff")
    row = staff[staff.index("(colleague)") :]
    assert superuser.display_name in row.split("</tr>")[0]


def test_an_administrator_lifts_a_network_pause_early_and_it_is_audited(client, superuser, settings):
    from connecting_people.accounts.models import SignInFailure

    settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT = 2
    for n in range(2):
        Client(REMOTE_ADDR="203.0.113.50").post(
            "/accounts/sign-in/", {"username": f"x{n}", "password": "wrong-one"}
        )
    paused = Client(REMOTE_ADDR="203.0.113.50")
    assert paused.post("/accounts/sign-in/", {"username": "x", "password": "y"}).status_code == 429
    client.force_login(superuser)
    ids = [str(pk) for pk in SignInFailure.objects.values_list("pk", flat=True)]
    response = client.post(
        "/admin/accounts/signinfailure/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not SignInFailure.objects.exists()
    assert AuditEvent.objects.filter(action="admin.signinfailure.deleted").count() == 2
    assert paused.post("/accounts/sign-in/", {"username": "x", "password": "y"}).status_code == 200


def test_deleting_an_account_audits_each_role_it_held(client, org, superuser):
    client.force_login(superuser)
    assert client.post(f"/admin/accounts/user/{org.no_role.pk}/delete/", {"post": "yes"}).status_code == 302
    member(org.researcher, Role.DATA_PROTECTION, trust=org.trust)
    assert (
        client.post(f"/admin/accounts/user/{org.researcher.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    removed = AuditEvent.objects.filter(action="membership.removed").order_by("id")
    assert sorted(event.summary["role"] for event in removed) == ["data_protection", "researcher"]
    assert {event.object_id for event in removed} == {str(org.researcher.pk)}


def test_adding_an_ordinary_account_is_not_a_privilege_change(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newstarter",
            "password1": "Tr4in-Sofa-Lantern",
            "password2": "Tr4in-Sofa-Lantern",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not AuditEvent.objects.filter(action="user.access_changed").exists()
    assert AuditEvent.objects.filter(action="admin.user.added").exists()
