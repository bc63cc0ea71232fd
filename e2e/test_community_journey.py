"""A practitioner looks for a gardening group that meets on a Tuesday, reads about one, then adds a group they
know of to the directory, getting it wrong once (no name). Then the same pages on a 390 px phone: axe passes and
nothing scrolls sideways."""

from datetime import time

import pytest
from playwright.sync_api import expect

from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import User
from connecting_people.community import hsds, services
from connecting_people.community.models import Opportunity
from connecting_people.synthetic.community import generate_opportunities
from e2e.journey import error_summary_items, sign_in

KNOWN = "Abbey Lane Gardening Club"
PHONE = {"width": 390, "height": 844}


@pytest.mark.e2e
class TestPractitionerUsesTheDirectory:
    def test_search_read_and_add(self, tab, demo):
        self.tab, self.page = tab, tab.page
        self.visited: dict[str, str] = {}
        self.given_the_directory_holds_community_groups()
        sign_in(tab, username="practitioner.a", password=demo.password)

        self.when_i_open_the_directory_from_the_header()
        self.and_i_search_for_gardening_on_a_tuesday()
        self.then_i_see_groups_that_fit()

        self.when_i_open_one()
        self.then_i_read_when_where_and_what_it_costs()

        self.when_i_add_an_opportunity_without_a_name()
        self.then_i_am_told_to_enter_a_name_and_nothing_is_saved()
        self.when_i_give_it_a_name_and_save()
        self.then_its_page_shows_what_i_entered()

        self.when_i_look_at_the_directory_pages_again_on_a_phone()

    def check(self, name: str) -> None:
        """axe at this width, and the page noted to be seen again on a phone (pages a GET can show again)."""
        if name != "add-opportunity-errors":  # a POST's answer
            self.visited.setdefault(name, self.page.url)
        self.tab.check(name)

    def when_i_look_at_the_directory_pages_again_on_a_phone(self):
        self.page.set_viewport_size(PHONE)
        for name, url in self.visited.items():
            self.tab.goto(url)
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is {width} px wide at {PHONE['width']} px"
            self.tab.check(f"{name}-390")

    def given_the_directory_holds_community_groups(self):
        generate_opportunities(count=150, seed=11, log=lambda *args: None)
        lead = User.objects.get(username="lead.a")
        services.opportunity_create(
            actor=as_actor(lead),
            data=services.OpportunityData(
                name=KNOWN,
                organisation_name="Friends of Abbey Lane",
                description="Raised beds behind the library. Tools and gloves lent; tea at eleven.",
                category="nature",
                address="Abbey Lane Library, 4 Abbey Lane, Connecting Town",
                postcode="CP2 4AB",
                latitude=53.9612,
                longitude=-1.0790,
                cost="free",
                accessibility="Step-free paths to the beds.",
                interests=("gardening",),
                sessions=(hsds.SessionRecord(1, time(10), time(12)),),
            ),
        )
        self.opportunities_before = Opportunity.objects.count()

    def when_i_open_the_directory_from_the_header(self):
        self.page.get_by_role("navigation").get_by_role("link", name="Community directory").first.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Community directory")
        self.check("directory")

    def and_i_search_for_gardening_on_a_tuesday(self):
        self.page.get_by_label("Interest", exact=True).select_option("gardening")
        self.page.get_by_label("Day", exact=True).select_option("tuesday")
        self.page.get_by_role("button", name="Search").click()

    def then_i_see_groups_that_fit(self):
        expect(self.page.locator("#results")).to_contain_text("found")
        expect(self.page.get_by_role("link", name=KNOWN)).to_be_visible()
        expect(self.page.get_by_label("Interest", exact=True)).to_have_value("gardening")
        assert "interest=gardening" in self.page.url and "day=tuesday" in self.page.url
        self.check("directory-results")

    def when_i_open_one(self):
        self.page.get_by_role("link", name=KNOWN).click()

    def then_i_read_when_where_and_what_it_costs(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text(KNOWN)
        details = self.page.locator(".nhsuk-summary-list")
        expect(details).to_contain_text("Tuesdays, 10am to midday")
        expect(details).to_contain_text("4 Abbey Lane")
        expect(details).to_contain_text("Free")
        expect(details).to_contain_text("Step-free paths")
        self.check("opportunity")

    def when_i_add_an_opportunity_without_a_name(self):
        self.page.get_by_role("link", name="Back to the directory").click()
        self.page.get_by_role("link", name="Add an opportunity to the directory").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Add an opportunity")
        self.check("add-opportunity")
        self.page.get_by_label("Organisation (optional)").fill("Riverside Men's Shed Trust")
        self.page.get_by_label("Category").select_option("social")
        self.page.get_by_label("Interests it suits (optional)").fill("crafts, woodwork")
        self.page.get_by_role("checkbox", name="Wednesday").check()
        self.page.get_by_label("Starts at (optional)").fill("1:30pm")
        self.page.get_by_label("Finishes at (optional)").fill("16:00")
        self.page.get_by_role("radio", name="Free").check()
        self.page.get_by_role("button", name="Add opportunity").click()

    def then_i_am_told_to_enter_a_name_and_nothing_is_saved(self):
        assert error_summary_items(self.page) == ["Enter the opportunity's name"]
        assert Opportunity.objects.count() == self.opportunities_before
        # What was typed is still there.
        expect(self.page.get_by_label("Organisation (optional)")).to_have_value("Riverside Men's Shed Trust")
        expect(self.page.get_by_role("checkbox", name="Wednesday")).to_be_checked()
        self.check("add-opportunity-errors")

    def when_i_give_it_a_name_and_save(self):
        self.page.get_by_role("link", name="Enter the opportunity's name").click()
        expect(self.page.get_by_label("Name", exact=True)).to_be_focused()
        self.page.get_by_label("Name", exact=True).fill("Riverside Men's Shed")
        self.page.get_by_role("button", name="Add opportunity").click()

    def then_its_page_shows_what_i_entered(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("has been added")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Riverside Men's Shed")
        expect(self.page.locator(".nhsuk-summary-list")).to_contain_text("Wednesdays, 1:30pm to 4pm")
        added = Opportunity.objects.get(name="Riverside Men's Shed")
        assert added.organisation.name == "Riverside Men's Shed Trust"
        assert sorted(added.interests.values_list("name", flat=True)) == ["crafts", "woodwork"]
        assert list(added.sessions.values_list("weekday", "starts_at", "ends_at")) == [
            (2, time(13, 30), time(16))
        ]
        assert Opportunity.objects.count() == self.opportunities_before + 1
        self.check("opportunity-added")
