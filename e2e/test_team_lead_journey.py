"""A team lead sees the team's caseload and allocates a person to a practitioner."""

import re

import pytest
from playwright.sync_api import expect

from connecting_people.people.models import Person
from e2e.journey import sign_in


@pytest.mark.e2e
class TestTeamLeadAllocatesAPerson:
    def test_team_caseload_and_allocation(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo

        self.given_i_am_signed_in_as("lead.a")
        self.when_i_go_to_the_team_caseload()
        self.then_i_see_everyone_open_in_my_team_with_their_worker()

        self.when_i_open_someone_who_is_not_allocated()
        self.and_i_allocate_them_to("Bea Okafor")
        self.then_i_see_that_they_are_allocated_to("Bea Okafor")
        self.and_they_are_on_the_caseload_of("practitioner.b")

    def given_i_am_signed_in_as(self, username):
        sign_in(self.tab, username=username, password=self.demo.password)
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hello, Lee")
        self.tab.check("lead-home")

    def when_i_go_to_the_team_caseload(self):
        self.page.get_by_role("navigation").get_by_role("link", name="Team caseload").click()

    def then_i_see_everyone_open_in_my_team_with_their_worker(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Team caseload")
        table = self.page.get_by_role("table", name="People in the team")
        expect(table.get_by_role("columnheader", name="Worker")).to_be_visible()
        team_open = Person.objects.filter(
            team__name="Riverside Community Mental Health Team", status=Person.Status.OPEN
        ).count()
        expect(table.locator("tbody tr")).to_have_count(team_open)
        self.tab.check("team-caseload")

    def when_i_open_someone_who_is_not_allocated(self):
        row = (
            self.page.get_by_role("table", name="People in the team")
            .locator("tbody tr")
            .filter(has_text="Not allocated")
            .first
        )
        link = row.get_by_role("link").first  # the name; prompts follow it
        self.person_name = link.inner_text().strip()
        link.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self.person_name)
        self.person_id = int(self.page.url.rstrip("/").rsplit("/", 1)[1])
        self.tab.check("lead-person-overview")

    def and_i_allocate_them_to(self, worker_name):
        self.page.get_by_role("button", name="Allocate").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Allocate to a worker")
        self.tab.check("allocate")
        self.page.get_by_role("radio", name=worker_name).check()
        self.page.get_by_role("button", name="Allocate").click()

    def then_i_see_that_they_are_allocated_to(self, worker_name):
        expect(self.page).to_have_url(re.compile(rf"/people/{self.person_id}/$"))
        banner = self.page.locator(".nhsuk-notification-banner--success")
        expect(banner).to_contain_text("Success")
        expect(banner).to_contain_text(f"{self.person_name} is now allocated.")
        worker_row = self.page.locator(".nhsuk-summary-list__row").filter(
            has=self.page.locator(".nhsuk-summary-list__key", has_text="Worker")
        )
        expect(worker_row.locator(".nhsuk-summary-list__value")).to_have_text(worker_name)
        self.tab.check("allocated")

    def and_they_are_on_the_caseload_of(self, username):
        assert Person.objects.get(pk=self.person_id).allocated_worker.username == username
