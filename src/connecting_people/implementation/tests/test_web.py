"""The pages: the rating form built from the definition, refusals shown in the error summary with nothing
saved, histories, training, the guidance pages and their admin, and the home page's links."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from markupsafe import escape

from connecting_people.audit.models import AuditEvent
from connecting_people.implementation import views
from connecting_people.implementation.guidance import STEPS, text_blocks
from connecting_people.implementation.models import (
    FidelityRating,
    GuidancePage,
    GuidanceSection,
    TrainingSession,
)
from connecting_people.implementation.presenters import guidance_link
from connecting_people.implementation.registry import scale
from connecting_people.implementation.tests.conftest import ANSWERS, EXPECTED_TOTAL, TODAY


def shown(user) -> str:
    """A member of staff's name as the page shows it (escaped: "O'Brien" is "O&#39;Brien" in the HTML)."""
    return str(escape(user.display_name))


def date_fields(name, day):
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def rating_post(answers=ANSWERS, **extra):
    items = scale("cp_practice_fidelity").items
    data = {
        f"item_{item.id}": str(value) for item, value in zip(items, answers, strict=True) if value is not None
    }
    data |= (
        date_fields("rated_on", TODAY)
        | date_fields("period_start", TODAY.replace(day=1))
        | date_fields("period_end", TODAY)
    )
    return data | extra


def worker_rate_url(org):
    return f"/implementation/teams/{org.team.pk}/workers/{org.practitioner.pk}/rate/cp_practice_fidelity/"


def test_the_rating_form_is_built_from_the_definition(client, org):
    client.force_login(org.lead)
    page = client.get(worker_rate_url(org)).content.decode()
    assert page.count('type="radio"') == 16 * 5
    for heading in ("The individual", "The worker", "The practice", "The agency"):
        assert f"<h2>{heading}</h2>" in page
    assert "1. Starting from strengths and interests" in page
    assert "0: Strengths and interests are not asked about" in page
    assert "not the published research scale" in page


def test_an_item_left_out_is_shown_in_the_error_summary_and_nothing_is_saved(client, org):
    client.force_login(org.lead)
    events = AuditEvent.objects.count()
    response = client.post(worker_rate_url(org), rating_post(answers=[None, *ANSWERS[1:]]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#id_item_strengths_interests_0"' in page
    assert "Choose a score for “Starting from strengths and interests”" in page
    assert not FidelityRating.objects.exists() and AuditEvent.objects.count() == events


def test_an_answer_out_of_range_is_refused_with_a_clear_message(client, org):
    client.force_login(org.lead)
    response = client.post(worker_rate_url(org), rating_post(item_barriers="7"))
    assert "Choose a score from 0, 1, 2, 3 or 4 for “Tackling barriers”" in response.content.decode()
    assert not FidelityRating.objects.exists()


def test_dates_out_of_order_are_shown_against_the_field(client, org):
    client.force_login(org.lead)
    data = (
        rating_post()
        | date_fields("period_start", TODAY)
        | date_fields("period_end", TODAY.replace(year=2000))
    )
    page = client.post(worker_rate_url(org), data).content.decode()
    assert "The end of the period must be on or after its start" in page
    assert 'href="#id_period_end_day"' in page
    assert not FidelityRating.objects.exists()


def test_a_saved_rating_appears_in_the_workers_history_with_its_items(client, org):
    client.force_login(org.lead)
    response = client.post(worker_rate_url(org), rating_post())
    assert response.status_code == 302
    rating = FidelityRating.objects.get()
    assert rating.total == EXPECTED_TOTAL and rating.kind == "supervisor"
    history = client.get(response["Location"]).content.decode()
    assert f"Rating saved: total {EXPECTED_TOTAL}." in history
    assert "Supervisor ratings: Connecting People practice fidelity checklist" in history
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in history
    detail = client.get(reverse("implementation:rating", args=[rating.pk])).content.decode()
    assert "34 out of 64" in detail
    assert "Builds on existing relationships" not in detail  # labels come from the definition, as written
    assert "Building on existing relationships" in detail


def test_a_practitioner_in_two_teams_chooses_the_team_of_a_self_rating(client, org):
    from connecting_people.accounts.models import Role
    from connecting_people.accounts.tests.factories import member

    member(org.practitioner, Role.PRACTITIONER, team=org.other_team)
    client.force_login(org.practitioner)
    url = "/implementation/me/rate/cp_practice_fidelity/"
    assert "Which team is this rating for?" in client.get(url).content.decode()
    response = client.post(url, rating_post(team=str(org.other_team.pk)))
    assert response.status_code == 302 and response["Location"] == "/implementation/me/"
    assert FidelityRating.objects.get().team == org.other_team


def test_a_lead_records_a_training_session_with_attendance(client, org):
    client.force_login(org.lead)
    page = client.get("/implementation/training/new/").content.decode()
    assert shown(org.practitioner) in page and shown(org.other_lead) not in page
    data = {
        "title": "Connecting People day 1",
        "level": "worker",
        "trainer": "Trainer from the trust",
        "audience": f"team:{org.team.pk}",
        "attendees": [str(org.practitioner.pk), str(org.colleague.pk)],
    } | date_fields("held_on", TODAY)
    response = client.post("/implementation/training/new/", data)
    session = TrainingSession.objects.get()
    assert response["Location"] == f"/implementation/training/{session.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert shown(org.practitioner) in detail and shown(org.colleague) in detail


def test_a_training_session_with_missing_details_is_refused(client, org):
    client.force_login(org.lead)
    page = client.post("/implementation/training/new/", {"audience": f"team:{org.team.pk}"}).content.decode()
    assert "There is a problem" in page
    assert "Enter title" in page and "Enter date held" in page
    assert not TrainingSession.objects.exists()


def test_a_community_link_needs_an_organisation_or_a_name(client, org):
    client.force_login(org.lead)
    url = f"/implementation/teams/{org.team.pk}/community-links/new/"
    page = client.post(url, date_fields("since", TODAY)).content.decode()
    assert "Choose an organisation from the directory, or enter its name" in page


# --- guidance -------------------------------------------------------------------------------------------


def test_every_step_has_a_seeded_guidance_page(db):
    assert set(GuidancePage.objects.values_list("step", flat=True)) == set(STEPS)
    for page in GuidancePage.objects.all():
        assert page.slug == STEPS[page.step]
    for step in ("assess", "plan", "do", "review", "moving_on"):
        headings = list(GuidanceSection.objects.filter(page__step=step).values_list("heading", flat=True))
        assert headings == ["What good looks like", "Common barriers", "Ideas"]


def test_a_guidance_page_shows_its_sections_as_paragraphs_and_lists(client, org):
    client.force_login(org.researcher)  # public to every signed-in member of staff
    page = client.get("/guidance/assess/").content.decode()
    assert "<h1>Assessing connections</h1>" in page
    assert "<h2>What good looks like</h2>" in page
    assert "<li>The connections map is started within four weeks of the person being allocated.</li>" in page
    guide = client.get("/guidance/your-guide/print/").content.decode()
    assert "Connecting People: a guide for you" in guide and "app-printout" in guide


def test_text_blocks_split_paragraphs_and_lists():
    blocks = text_blocks("First line\ncarries on.\n\n- one\n- two\n  wrapped\nAfter the list.")
    assert [(b.kind, b.lines) for b in blocks] == [
        ("paragraph", ("First line carries on.",)),
        ("list", ("one", "two wrapped")),
        ("paragraph", ("After the list.",)),
    ]


def test_guidance_link_renders_a_small_link_for_a_step():
    html = str(guidance_link("moving_on"))
    assert 'href="/guidance/moving-on/"' in html
    assert "Guidance: what good looks like" in html
    assert '<span class="nhsuk-u-visually-hidden"> for moving on</span>' in html
    with pytest.raises(ValueError):
        guidance_link("nonsense")


def test_guidance_link_is_a_jinja_global(rf, org):
    from django.template import engines

    template = engines["jinja2"].from_string("{{ guidance_link('plan') }}")
    assert 'href="/guidance/plan/"' in template.render({})


def test_an_administrator_edits_guidance_in_the_admin_and_it_is_audited(client, org):
    page = GuidancePage.objects.get(step="assess")
    sections = list(page.sections.all())
    client.force_login(org.administrator)
    org.administrator.is_superuser = True
    org.administrator.save()
    data = {
        "title": "Assessing connections together",
        "summary": page.summary,
        "order": page.order,
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": str(len(sections)),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    for index, section in enumerate(sections):
        data |= {
            f"sections-{index}-id": str(section.pk),
            f"sections-{index}-page": str(page.pk),
            f"sections-{index}-order": str(section.order),
            f"sections-{index}-heading": section.heading,
            f"sections-{index}-text": section.text if index else "Changed text.",
        }
    response = client.post(f"/admin/implementation/guidancepage/{page.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert page.title == "Assessing connections together"
    event = AuditEvent.objects.get(action="admin.guidancepage.changed")
    assert event.summary["detail"] == (
        "changed fields: Title; changed guidance section: What good looks like; changed fields: Text"
    )
    assert client.get("/admin/implementation/guidancepage/add/").status_code == 403


def test_guidance_page_steps_and_addresses_cannot_be_changed_in_the_admin(client, org):
    org.administrator.is_superuser = True
    org.administrator.save()
    client.force_login(org.administrator)
    page = GuidancePage.objects.get(step="plan")
    form = client.get(f"/admin/implementation/guidancepage/{page.pk}/change/").content.decode()
    assert 'name="slug"' not in form and 'name="step"' not in form


# --- home page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("lead", "/implementation/training/"),
        ("implementation_lead", "/implementation/training/"),
        ("practitioner", "/implementation/me/"),
    ],
)
def test_the_home_page_links_to_the_implementation_pages(client, org, role, expected):
    client.force_login(getattr(org, role))
    page = client.get("/").content.decode()
    assert f'href="{expected}"' in page and 'href="/guidance/"' in page


@pytest.mark.parametrize("role", ["researcher", "no_role"])
def test_the_home_page_has_no_implementation_links_for_other_roles(client, org, role):
    client.force_login(getattr(org, role))
    assert "/implementation/" not in client.get("/").content.decode()


# --- layering -------------------------------------------------------------------------------------------


def test_views_never_query_implementation_models_directly():
    """Staff data is read through the selectors only, like personal data (see core/tests/test_layering.py)."""
    from django.apps import apps

    ours = {model.__name__ for model in apps.get_app_config("implementation").get_models()}
    tree = ast.parse(Path(views.__file__).read_text())
    used = [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"objects", "_default_manager", "_base_manager"}
        and isinstance(node.value, ast.Name)
        and node.value.id in ours
    ]
    assert used == []
