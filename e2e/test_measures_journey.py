"""A practitioner records an outcome measure with a person, gets it wrong once, then sees it scored and charted."""

import pytest
from playwright.sync_api import expect

from connecting_people.measures.models import Administration
from connecting_people.people.models import Person
from e2e.journey import error_summary_items, sign_in


@pytest.mark.e2e
class TestPractitionerRecordsAMeasure:
    def test_record_and_review_swemwbs(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo
        self.person = Person.objects.filter(
            allocated_worker__username="practitioner.a", status="open"
        ).first()
        self.recorded_before = Administration.objects.filter(person=self.person).count()

        self.given_i_am_on_the_persons_measures_page()
        self.when_i_choose_the_instrument("Short Warwick-Edinburgh Mental Wellbeing Scale")
        self.and_i_save_without_saying_how_it_was_completed()
        self.then_i_am_told_what_is_missing_and_nothing_is_saved()

        self.when_i_answer_every_item_and_save()
        self.then_i_see_the_score_in_the_history_with_a_chart()

    def given_i_am_on_the_persons_measures_page(self):
        sign_in(self.tab, username="practitioner.a", password=self.demo.password)
        self.tab.goto(f"/people/{self.person.pk}/")
        self.page.get_by_role("link", name="See outcome measures and record a new one").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Outcome measures")
        self.tab.check("measures-page")

    def when_i_choose_the_instrument(self, title):
        self.page.get_by_role("button", name="Record an outcome measure").click()
        self.tab.check("measures-choose")
        self.page.get_by_role("link", name=title, exact=False).first.click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Warwick-Edinburgh")
        self.tab.check("measures-record")

    def and_i_save_without_saying_how_it_was_completed(self):
        self.page.get_by_role("button", name="Save answers").click()

    def then_i_am_told_what_is_missing_and_nothing_is_saved(self):
        items = error_summary_items(self.page)
        assert "Select an answer: how was it completed" in items, items
        assert Administration.objects.filter(person=self.person).count() == self.recorded_before
        self.tab.check("measures-record-errors")

    def when_i_answer_every_item_and_save(self):
        self.page.get_by_role("radio", name="Together, in person").check()
        for fieldset in (
            self.page.locator("fieldset").filter(has=self.page.locator("input[name^='item_']")).all()
        ):
            fieldset.get_by_role("radio").nth(3).check()
        self.page.get_by_role("button", name="Save answers").click()

    def then_i_see_the_score_in_the_history_with_a_chart(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("recorded")
        expect(
            self.page.locator("#swemwbs ~ .app-score-chart-wrapper svg.app-score-chart").first
        ).to_be_visible()
        table = self.page.get_by_role(
            "table", name="Short Warwick-Edinburgh Mental Wellbeing Scale", exact=False
        )
        expect(table.locator("tbody tr").first).to_contain_text(
            "25.03"
        )  # all seven answered 4: raw 28, metric 25.03
        administration = Administration.objects.filter(person=self.person).latest("id")
        assert (administration.total, administration.derived["metric"]) == (28, 25.03)
        self.tab.check("measures-history")
