"""A practitioner works with a person on their caseload: what is due (once, and each thing a link), a suggested
community opportunity introduced in two presses without a page reload (with the mouse, then with the keyboard),
the printouts in plain English, adding someone who already has a record, a bad NHS number, and a colleague's
person out of reach. Then the same pages on a 390 px phone: axe passes and nothing scrolls sideways, the header
included even when its script never runs."""

import re

import pytest
from playwright.sync_api import expect

from connecting_people.accounts.actor import as_actor
from connecting_people.connections.models import MapSnapshot
from connecting_people.core.tests.plain_english import problems
from connecting_people.people.models import Person
from connecting_people.plans.models import Link
from connecting_people.plans.selectors import suggestions_for
from e2e.journey import error_summary_items, sign_in

BAD_NHS_NUMBER = "1234567890"  # ten digits that fail the modulus-11 check
PHONE = {"width": 390, "height": 844}


@pytest.mark.e2e
class TestPractitionerWorksWithTheirCaseload:
    def test_caseload_person_links_printouts_duplicates_and_a_colleagues_person(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo
        self.visited: dict[str, str] = {}

        self.given_i_am_signed_in_as("practitioner.a")
        self.when_i_go_to_my_caseload()
        self.then_i_see_the_people_allocated_to_me_with_what_is_due_as_links()

        self.when_i_open_a_person_with_suggestions()
        self.then_their_page_lists_what_is_due_once()

        self.when_i_open_their_plan()
        self.then_each_suggestion_says_when_where_how_far_and_what_it_costs()
        self.when_i_suggest_one_and_mark_it_introduced_with_two_clicks()
        self.and_i_do_the_same_with_the_keyboard()
        self.then_neither_press_reloaded_the_page()

        self.when_i_open_the_printouts()
        self.then_every_sentence_is_plain_english()

        self.when_i_add_the_same_person_again()
        self.then_i_am_warned_and_can_open_their_record_or_add_them_deliberately()

        self.when_i_edit_the_record_with_nhs_number(BAD_NHS_NUMBER)
        self.then_the_error_summary_and_the_field_say_the_nhs_number_is_not_valid()
        self.and_the_record_is_unchanged()

        self.when_i_go_to_the_record_of_someone_on_my_colleagues_caseload()
        self.then_the_page_is_not_found()

        self.when_i_look_at_every_page_again_on_a_phone()
        self.then_the_header_fits_even_when_its_script_never_runs()

    # --- helpers ---------------------------------------------------------------------------------------------

    def check(self, name: str) -> None:
        """axe at this width, and the page noted to be seen again on a phone."""
        self.visited.setdefault(name, self.page.url)
        self.tab.check(name)

    def due_cells(self):
        return self.page.get_by_role("table", name="People allocated to you").locator(
            "tbody tr td:last-child"
        )

    # --- steps ---------------------------------------------------------------------------------------------

    def given_i_am_signed_in_as(self, username):
        sign_in(self.tab, username=username, password=self.demo.password)
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hello, Alex")
        self.check("practitioner-home")

    def when_i_go_to_my_caseload(self):
        self.page.get_by_role("navigation").get_by_role("link", name="My caseload").click()

    def then_i_see_the_people_allocated_to_me_with_what_is_due_as_links(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("My caseload")
        table = self.page.get_by_role("table", name="People allocated to you")
        mine = Person.objects.filter(
            allocated_worker__username="practitioner.a", status=Person.Status.OPEN
        ).count()
        assert mine > 0
        expect(table.locator("tbody tr")).to_have_count(mine)
        for cell in self.due_cells().all():
            assert cell.inner_text().count("Review overdue") <= 1, cell.inner_text()
            # Every due item is a link: outside the links there are only the column's label and the dates.
            loose = cell.evaluate(
                """cell => {
                    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                    const found = [];
                    while (walker.nextNode()) {
                        const node = walker.currentNode;
                        if (node.parentElement.closest("a, .nhsuk-table-responsive__heading, .app-caseload__date")) continue;
                        if (node.textContent.trim()) found.push(node.textContent.trim());
                    }
                    return found;
                }"""
            )
            assert loose in ([], ["Nothing due"]), loose
        self.check("caseload")

    def when_i_open_a_person_with_suggestions(self):
        self.person = next(
            person
            for person in Person.objects.filter(
                allocated_worker__username="practitioner.a", status="open", practice_consent=True
            ).order_by("pk")
            if len(suggestions_for(actor=as_actor(person.allocated_worker), person=person)) >= 2
            and person.postcode
        )
        self.page.get_by_role("link", name=self.person.full_name, exact=True).click()

    def then_their_page_lists_what_is_due_once(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self.person.full_name)
        expect(self.page.locator(".app-prompts")).to_have_count(1)
        expect(self.page.get_by_text("Due next")).to_have_count(0)
        expect(self.page.locator(".app-prompts li").first.get_by_role("link")).to_be_visible()
        self.check("person-overview")

    def when_i_open_their_plan(self):
        self.page.get_by_role("link", name=f"{self.person.known_as}'s plan", exact=False).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Plan, do and review")

    def then_each_suggestion_says_when_where_how_far_and_what_it_costs(self):
        first = self.page.locator(".app-suggestion").first
        for name in ("Interests shared", "When", "Where", "Cost"):
            expect(first.locator("dt", has_text=name)).to_have_count(1)
        expect(first.locator("dd").nth(2)).to_contain_text("miles from home")
        self.page.evaluate("window.samePage = true")  # gone if anything reloads the page
        self.check("plan-suggestions")

    def when_i_suggest_one_and_mark_it_introduced_with_two_clicks(self):
        name = self.page.locator(".app-suggestion h4").first.inner_text()
        self.page.locator(".app-suggestion").first.get_by_role("button").click()  # 1
        row = self.page.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("Suggested")
        row.get_by_role("button", name="Introduced").click()  # 2
        expect(self.page.get_by_role("status")).to_contain_text(f"{name}: introduced.")
        expect(row).to_contain_text("Introduced")
        assert Link.objects.get(person=self.person, opportunity__name=name).status == "introduced"
        self.check("plan-link-introduced")

    def and_i_do_the_same_with_the_keyboard(self):
        name = self.page.locator(".app-suggestion h4").first.inner_text()
        self.page.locator(".app-suggestion").first.get_by_role("button").focus()
        self.page.keyboard.press("Enter")
        # Focus goes to the new link's first button ("Talked about"); the next one is "Introduced".
        expect(self.page.locator(":focus")).to_have_text(re.compile(r"^Talked about"))
        self.page.keyboard.press("Tab")
        expect(self.page.locator(":focus")).to_have_text(re.compile(r"^Introduced"))
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("status")).to_contain_text(f"{name}: introduced.")
        link = Link.objects.get(person=self.person, opportunity__name=name)
        assert link.status == "introduced" and link.changes.count() == 2

    def then_neither_press_reloaded_the_page(self):
        assert self.page.evaluate("window.samePage === true")

    def when_i_open_the_printouts(self):
        self.page.get_by_role("button", name="Print the plan").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your plan")
        self.plan_lines = self.page.locator(
            ".app-printout p:not(.app-no-print), .app-printout li"
        ).all_inner_texts()
        self.check("plan-printout")
        snapshot = MapSnapshot.objects.filter(person=self.person).order_by("-taken_on", "-pk").first()
        self.tab.goto(f"/people/{self.person.pk}/map/{snapshot.pk}/print/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your connections map")
        self.map_lines = self.page.locator(".app-printout li").all_inner_texts()
        self.check("map-printout")

    def then_every_sentence_is_plain_english(self):
        lines = [" ".join(line.split()) for line in self.plan_lines + self.map_lines if line.strip()]
        assert len(lines) > 5
        bad = {line: problems(line) for line in lines}
        assert not {line: found for line, found in bad.items() if found}
        assert not any("good at good" in line or "Gives you emotional." in line for line in lines)

    def when_i_add_the_same_person_again(self):
        self.page.get_by_role("navigation").get_by_role("link", name="Add a person").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Add a person")
        self.check("add-person")
        self.fill_in_the_same_name_and_birth_date()

    def fill_in_the_same_name_and_birth_date(self):
        born = self.person.date_of_birth
        self.page.get_by_label("Given name").fill(self.person.given_name.upper())
        self.page.get_by_label("Family name").fill(self.person.family_name)
        self.page.locator("#id_date_of_birth_day").fill(str(born.day))
        self.page.locator("#id_date_of_birth_month").fill(str(born.month))
        self.page.locator("#id_date_of_birth_year").fill(str(born.year))
        self.people_before = Person.objects.count()
        self.page.get_by_role("button", name="Add person").click()

    def then_i_am_warned_and_can_open_their_record_or_add_them_deliberately(self):
        warning = self.page.locator("#possible-duplicates")
        expect(warning).to_contain_text("This person may already have a record")
        expect(self.page).to_have_title(re.compile(r"^Check for an existing record"))
        record = warning.get_by_role("link", name=f"Open {self.person.full_name}'s record")
        expect(record).to_have_attribute("href", f"/people/{self.person.pk}/")
        assert Person.objects.count() == self.people_before
        self.check("add-person-duplicate")
        warning.get_by_role("button", name="Add as a new person").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("has been added")
        assert Person.objects.count() == self.people_before + 1

    def when_i_edit_the_record_with_nhs_number(self, nhs_number):
        self.tab.goto(f"/people/{self.person.pk}/")
        self.page.get_by_role("button", name="Edit record").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Edit {self.person.full_name}")
        self.check("person-edit")
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
        self.check("not-found")

    def when_i_look_at_every_page_again_on_a_phone(self):
        self.page.set_viewport_size(PHONE)
        for name, url in self.visited.items():
            if name == "add-person-duplicate":  # a POST's answer: asked for again the same way
                self.tab.goto(url)
                self.fill_in_the_same_name_and_birth_date()
                expect(self.page.locator("#possible-duplicates")).to_be_visible()
            else:
                self.tab.goto(url)
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is {width} px wide at {PHONE['width']} px"
            self.tab.check(f"{name}-390")

    def then_the_header_fits_even_when_its_script_never_runs(self):
        self.page.route(re.compile(r".*\.m?js$"), lambda route: route.abort())
        for url in ("/", "/people/", "/people/new/"):
            self.tab.goto(url)
            expect(self.page.locator(".nhsuk-header")).not_to_have_attribute("data-nhsuk-header-init", "")
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{url} is {width} px wide without the header's script"
        self.page.unroute(re.compile(r".*\.m?js$"))
