"""The administration pages refuse values no row can have with a message, not a server error (each case was a
500, found by fuzzing every form: `core/tests/matrix/test_fuzz_forms.py`); and the third-party lists wrapped in
our audited admin (failed sign-ins, groups) audit their views like ours."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages

from connecting_people.accounts.admin_input import fits
from connecting_people.accounts.models import Membership, Trust, User
from connecting_people.audit.models import AuditEvent

NOT_IDS = ["x", "9223372036854775808", "9" * 400, "-9223372036854775809", "1.5", "a\x00b"]


@pytest.fixture
def superuser(org):
    org.administrator.is_superuser = True
    org.administrator.save()
    return org.administrator


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_list_action_on_ids_that_are_not_ids_changes_nothing(admin_client, org, value):
    response = admin_client.post(
        "/admin/accounts/trust/", {"action": "delete_selected", "index": "0", "_selected_action": [value]}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/accounts/trust/"
    assert Trust.objects.filter(pk=org.trust.pk).exists()
    (message,) = get_messages(response.wsgi_request)
    assert "No items have been changed" in str(message)


def test_a_list_action_on_real_ids_still_works(admin_client, org):
    trust = Trust.objects.create(name="Spare trust")
    response = admin_client.post(
        "/admin/accounts/trust/",
        {"action": "delete_selected", "_selected_action": [str(trust.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Trust.objects.filter(pk=trust.pk).exists()


@pytest.mark.parametrize("value", NOT_IDS)
@pytest.mark.parametrize("field", ["team", "trust"])
def test_an_autocomplete_field_holding_a_non_id_is_a_message(admin_client, org, field, value):
    data = {"user": str(org.no_role.pk), "role": "practitioner", "team": "", "trust": "", field: value}
    response = admin_client.post("/admin/accounts/membership/add/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not Membership.objects.filter(user=org.no_role).exists()


def test_an_autocomplete_field_in_the_roles_on_the_user_page_holding_a_non_id_is_a_message(admin_client, org):
    user = org.no_role
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    data = {
        "username": user.username,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-role": "practitioner",
        "memberships-0-team": "9223372036854775808",
        "memberships-0-user": str(user.pk),
    }
    assert page.status_code == 200
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("value", ["9223372036854775808", "x", "9" * 400])
def test_a_permission_id_past_64_bits_is_a_message(admin_client, value):
    response = admin_client.post("/admin/auth/group/add/", {"name": "Fuzz", "permissions": [value]})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["permissions"]
    assert not Group.objects.filter(name="Fuzz").exists()


def test_a_group_with_real_permissions_is_saved_and_audited(admin_client, superuser):
    permission = Permission.objects.get(codename="view_user")
    response = admin_client.post(
        "/admin/auth/group/add/", {"name": "Readers", "permissions": [permission.pk]}
    )
    assert response.status_code == 302
    group = Group.objects.get(name="Readers")
    assert list(group.permissions.all()) == [permission]
    assert AuditEvent.objects.filter(action="admin.group.added", object_id=str(group.pk)).exists()


@pytest.mark.parametrize(
    "query",
    [
        {"attempt_time__year": "2147483648"},
        {"attempt_time__year": "9" * 30},
        {"attempt_time__year": "2026", "attempt_time__month": "99999999999999999999"},
        {"attempt_time__year": "2026", "attempt_time__month": "1", "attempt_time__day": "2147483648"},
    ],
)
@pytest.mark.parametrize("path", ["/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/"])
def test_a_date_drill_down_past_any_date_goes_back_to_the_list(admin_client, path, query):
    response = admin_client.get(path, query)
    assert response.status_code == 302 and response["Location"] == f"{path}?e=1"


def test_a_date_drill_down_to_a_real_day_lists_that_day(admin_client):
    attempt = AccessAttempt.objects.create(username="someone", ip_address="192.0.2.1", failures_since_start=1)
    day = attempt.attempt_time
    response = admin_client.get(
        "/admin/axes/accessattempt/",
        {"attempt_time__year": day.year, "attempt_time__month": day.month, "attempt_time__day": day.day},
    )
    assert response.status_code == 200 and "someone" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/admin/accounts/user/", "/admin/accounts/membership/", "/admin/auth/group/"]
)
def test_a_search_with_control_characters_runs_and_is_audited_without_them(
    admin_client, superuser, org, path
):
    """Found by fuzzing on PostgreSQL: NUL in a list's search was a server error (its audit event, and the search
    itself, could not hold it)."""
    response = admin_client.get(path, {"q": "prac\x00ti\x07tioner"})
    assert response.status_code == 200
    (event,) = AuditEvent.objects.filter(actor_id=superuser.pk, action__endswith=".listed")
    assert event.summary == {"query": "practitioner"}
    if path == "/admin/accounts/user/":
        assert org.practitioner.username in response.content.decode()


def test_the_failed_sign_in_and_group_pages_are_audited(admin_client, superuser):
    failure = AccessFailureLog.objects.create(username="someone", ip_address="192.0.2.1")
    group = Group.objects.create(name="Readers")
    for path in [
        "/admin/axes/accessfailurelog/",
        f"/admin/axes/accessfailurelog/{failure.pk}/change/",
        "/admin/auth/group/",
        f"/admin/auth/group/{group.pk}/change/",
    ]:
        assert admin_client.get(path).status_code == 200, path
    events = AuditEvent.objects.filter(actor_id=superuser.pk).order_by("id")
    assert [(event.action, event.object_id) for event in events] == [
        ("admin.accessfailurelog.listed", ""),
        ("admin.accessfailurelog.viewed", str(failure.pk)),
        ("admin.group.listed", ""),
        ("admin.group.viewed", str(group.pk)),
    ]


@pytest.mark.parametrize(
    "value, fit",
    [
        ("1", True),
        (" 42 ", True),
        ("9223372036854775807", True),  # the largest id a 64-bit column holds
        ("9223372036854775808", False),
        ("-9223372036854775809", False),
        ("x", False),
        ("", False),
        ("1" * 5000, False),  # more digits than Python converts
    ],
)
def test_which_values_fit_an_id_column(db, value, fit):
    # User ids are 64-bit on both engines (BigAutoField); integer_field_range bounds other integer columns.
    assert fits(User._meta.pk, value) is fit


def test_text_with_nul_does_not_fit_a_text_column(db):
    username = User._meta.get_field("username")
    assert fits(username, "someone")
    assert not fits(username, "some\x00one")
