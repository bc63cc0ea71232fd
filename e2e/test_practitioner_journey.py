"""A practitioner signs in, works with a person on their caseload, and cannot reach a colleague's person."""

import re

import pytest
from playwright.sync_api import expect

from connecting_people.people.models import Person
from e2e.journey import error_summary_items, sign_in

BAD_NHS_NUMBER = "1234567890"  # ten digits that fail the modulus-11 check


@pytest.mark.e2e
class TestPractitionerWorksWithTheirCaseload:
    def test_caseload_person_bad_nhs_number_and_a_colleagues_person(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo

        self.given_i_am_signed_in_as("practitioner.a")
        self.when_i_go_to_my_caseload()
        self.then_i_see_the_people_allocated_to_me()

        self.when_i_open_the_first_person()
        self.then_i_see_their_record()

        self.when_i_edit_the_record_with_nhs_number(BAD_NHS_NUMBER)
        self.then_the_error_summary_and_the_field_say_the_nhs_number_is_not_valid()
        self.and_the_record_is_unchanged()

        self.when_i_go_to_the_record_of_someone_on_my_colleagues_caseload()
        self.then_the_page_is_not_found()

    def given_i_am_signed_in_as(self, username):
        sign_in(self.tab, username=username, password=self.demo.password)
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hello, Alex")
        self.tab.check("practitioner-home")

    def when_i_go_to_my_caseload(self):
        self.page.get_by_role("navigation").get_by_role("link", name="My caseload").click()

    def then_i_see_the_people_allocated_to_me(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("My caseload")
        table = self.page.get_by_role("table", name="People allocated to you")
        mine = Person.objects.filter(
            allocated_worker__username="practitioner.a", status=Person.Status.OPEN
        ).count()
        assert mine > 0
        expect(table.locator("tbody tr")).to_have_count(mine)
        self.tab.check("caseload")

    def when_i_open_the_first_person(self):
        link = self.page.get_by_role("table", name="People allocated to you").locator("tbody tr a").first
        self.person_name = link.inner_text().strip()
        link.click()

    def then_i_see_their_record(self):
        expect(self.page).to_have_url(re.compile(r"/people/\d+/$"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self.person_name)
        expect(self.page.locator(".nhsuk-inset-text p")).to_contain_text(re.compile(r"^Due next: \S"))
        self.person = Person.objects.get(pk=int(self.page.url.rstrip("/").rsplit("/", 1)[1]))
        assert self.person.allocated_worker.username == "practitioner.a"
        self.tab.check("person-overview")

    def when_i_edit_the_record_with_nhs_number(self, nhs_number):
        self.page.get_by_role("button", name="Edit record").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Edit {self.person_name}")
        self.tab.check("person-edit")
        self.page.get_by_label("NHS number (optional)").fill(nhs_number)
        self.page.get_by_role("button", name="Save changes").click()

    def then_the_error_summary_and_the_field_say_the_nhs_number_is_not_valid(self):
        message = "Enter a valid NHS number. Check the digits: the last one is a check digit."
        expect(self.page).to_have_title(re.compile(r"^Error: "))
        assert error_summary_items(self.page) == [message]
        summary_link = self.page.locator(".nhsuk-error-summary").get_by_role("link", name=message)
        expect(summary_link).to_have_attribute("href", "#id_nhs_number")
        field = self.page.get_by_label("NHS number (optional)")
        expect(field).to_have_value(BAD_NHS_NUMBER)
        expect(field).to_have_class(re.compile(r"\bnhsuk-input--error\b"))
        expect(self.page.locator("#id_nhs_number-error")).to_contain_text(message)
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        self.tab.check("person-edit-error")

    def and_the_record_is_unchanged(self):
        saved = Person.objects.get(pk=self.person.pk)
        assert (saved.nhs_number, saved.version) == (self.person.nhs_number, self.person.version)

    def when_i_go_to_the_record_of_someone_on_my_colleagues_caseload(self):
        theirs = Person.objects.filter(allocated_worker__username="practitioner.b").order_by("pk").first()
        assert theirs is not None and theirs.team_id == self.person.team_id  # same team, not my caseload
        self.response = self.tab.goto(f"/people/{theirs.pk}/")

    def then_the_page_is_not_found(self):
        assert self.response.status == 404
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(self.page).to_have_title(re.compile(r"^Page not found"))
        self.tab.check("not-found")
