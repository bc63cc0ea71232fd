"""A team lead rates a worker's practice with the fidelity checklist, leaves an item out once, sees the rating in
the worker's history, then records a training session with who attended."""

import re

import pytest
from playwright.sync_api import expect

from connecting_people.implementation.models import FidelityRating, TrainingSession
from e2e.journey import error_summary_items, sign_in

RIVERSIDE = "Riverside Community Mental Health Team"


@pytest.mark.e2e
class TestLeadRatesFidelityAndRecordsTraining:
    def test_rate_a_worker_and_record_training(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo
        # Counted rather than assumed empty, so the journey holds if the demo gains synthetic ratings.
        self.ratings_before = FidelityRating.objects.count()

        self.given_i_am_signed_in_as_a_team_lead()
        self.when_i_open_my_teams_implementation_page()
        self.and_i_choose_to_rate("Alex Morgan")
        self.and_i_save_the_rating_with_the_first_item_left_out()
        self.then_i_am_told_which_item_is_missing_and_nothing_is_saved()

        self.when_i_score_the_missing_item_and_save()
        self.then_i_see_the_rating_in_the_workers_history()

        self.when_i_record_a_training_session_attended_by("Alex Morgan", "Bea Okafor")
        self.then_i_see_the_session_with_who_attended("Alex Morgan", "Bea Okafor")

    def given_i_am_signed_in_as_a_team_lead(self):
        sign_in(self.tab, username="lead.a", password=self.demo.password)
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hello, Lee")
        self.tab.check("fidelity-lead-home")

    def when_i_open_my_teams_implementation_page(self):
        self.page.get_by_role("link", name="Where your team has got to", exact=False).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Implementation and fidelity")
        self.tab.check("implementation-index")
        self.page.get_by_role("link", name=RIVERSIDE, exact=True).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(RIVERSIDE)
        self.tab.check("implementation-team")

    def and_i_choose_to_rate(self, worker_name):
        self.page.get_by_role("table", name="Practitioners in the team").get_by_role(
            "link", name=worker_name
        ).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(worker_name)
        self.tab.check("implementation-worker")
        self.page.get_by_role("button", name="Rate their practice").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Rate {worker_name}'s practice")
        self.tab.check("fidelity-rate")

    def _item_fieldsets(self):
        return self.page.locator("fieldset").filter(has=self.page.locator("input[name^='item_']")).all()

    def and_i_save_the_rating_with_the_first_item_left_out(self):
        fieldsets = self._item_fieldsets()
        assert len(fieldsets) == 16
        for fieldset in fieldsets[1:]:
            fieldset.get_by_role("radio").nth(3).check()  # score 3
        self.page.get_by_role("button", name="Save rating").click()

    def then_i_am_told_which_item_is_missing_and_nothing_is_saved(self):
        items = error_summary_items(self.page)
        assert items == ["Choose a score for “Starting from strengths and interests”"], items
        assert FidelityRating.objects.count() == self.ratings_before
        self.tab.check("fidelity-rate-errors")

    def when_i_score_the_missing_item_and_save(self):
        self.page.get_by_role(
            "link", name="Choose a score for “Starting from strengths and interests”"
        ).click()
        self._item_fieldsets()[0].get_by_role("radio").nth(2).check()  # score 2
        self.page.get_by_role("button", name="Save rating").click()

    def then_i_see_the_rating_in_the_workers_history(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Rating saved: total 47."
        )
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Alex Morgan")
        expect(self.page.locator(".app-score-chart-wrapper svg").first).to_be_visible()
        table = self.page.get_by_role("table", name="every rating, newest first", exact=False)
        row = table.locator("tbody tr").first
        expect(row).to_contain_text("47")  # 15 items at 3 and one at 2
        expect(row).to_contain_text("Lee Adebayo")
        assert FidelityRating.objects.count() == self.ratings_before + 1
        rating = FidelityRating.objects.latest("id")
        assert (rating.kind, rating.worker.username, rating.total) == ("supervisor", "practitioner.a", 47)
        assert rating.subscales == {"individual": 8, "worker": 12, "practice": 18, "agency": 9}
        self.tab.check("fidelity-history")

    def when_i_record_a_training_session_attended_by(self, *names):
        self.page.get_by_role("link", name="Back to the team").click()
        self.page.get_by_role("link", name="Implementation and fidelity").click()
        self.page.get_by_role("link", name="Training sessions and who attended").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Training")
        self.tab.check("training")
        self.page.get_by_role("button", name="Record a training session").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Record a training session")
        self.tab.check("training-new")
        self.page.get_by_label("Title").fill("Connecting People: worker training day 1")
        self.page.get_by_role("radio", name="Worker training").check()
        self.page.get_by_label("Who ran it").fill("Trust training team")
        expect(self.page.get_by_role("radio", name=RIVERSIDE)).to_be_checked()
        for name in names:
            self.page.get_by_role("checkbox", name=re.compile(rf"^{name} ")).check()
        self.page.get_by_role("button", name="Save session").click()

    def then_i_see_the_session_with_who_attended(self, *names):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Training session recorded."
        )
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Connecting People: worker training day 1"
        )
        attendees = self.page.get_by_role("list", name="Attendees")
        for name in names:
            expect(attendees).to_contain_text(name)
        session = TrainingSession.objects.get(title="Connecting People: worker training day 1")
        assert session.team.name == RIVERSIDE and session.level == "worker"
        assert sorted(session.attendance.values_list("attendee__username", flat=True)) == [
            "practitioner.a",
            "practitioner.b",
        ]
        self.tab.check("training-session")


@pytest.mark.e2e
class TestEveryImplementationPagePassesAccessibilityChecks:
    """The pages the journey above does not reach, each checked with axe as the role that uses it."""

    def test_pages_as_each_role(self, tab, demo):
        import importlib
        from datetime import date, timedelta

        from django.apps import apps

        from connecting_people.accounts.actor import as_actor
        from connecting_people.accounts.models import Team, User
        from connecting_people.implementation import services

        # The guidance pages come from a data migration, which the flush after an earlier journey empties.
        importlib.import_module("connecting_people.implementation.migrations.0002_guidance_pages").seed(
            apps, None
        )

        lead = User.objects.get(username="lead.a")
        team = Team.objects.get(name=RIVERSIDE)
        today = date.today()
        rating = services.fidelity_rating_record(
            actor=as_actor(lead),
            kind="team",
            scale_id="cp_practice_fidelity",
            answers=[2] * 16,
            rated_on=today,
            period_start=today - timedelta(days=90),
            period_end=today,
            team_id=team.pk,
        )
        services.community_link_create(
            actor=as_actor(lead),
            team_id=team.pk,
            data=services.CommunityLinkData(since=today, name="Riverside Allotments"),
        )
        base = f"/implementation/teams/{team.pk}/"
        pages = {
            "lead.a": [
                f"{base}fidelity/",
                f"/implementation/ratings/{rating.pk}/",
                f"{base}fidelity/rate/cp_practice_fidelity/",
                f"{base}champion/",
                f"{base}supervision/new/",
                f"{base}community-links/new/",
                f"{base}checklist/",
                f"{base}checklist/protected_time/",
                "/guidance/",
                "/guidance/assess/",
                "/guidance/your-guide/print/",
            ],
            "impl.lead": [
                "/implementation/",
                base,
                f"{base}fidelity/",
                f"{base}checklist/",
                "/implementation/training/",
            ],
            "practitioner.a": ["/implementation/me/", "/implementation/me/rate/cp_practice_fidelity/"],
        }
        for username, paths in pages.items():
            tab.page.context.clear_cookies()
            sign_in(tab, username=username, password=demo.password)
            expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Hello")
            for path in paths:
                response = tab.goto(path)
                assert response is not None and response.status == 200, f"{username} {path}"
                tab.check(f"{username}-{path.strip('/').replace('/', '-')}")
