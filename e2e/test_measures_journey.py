"""A practitioner records an outcome measure with a person, gets it wrong once, then sees it scored and charted;
and, holding a review, records the measure it lists as due and comes back to the review, where it is no longer
due."""

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
        self.and_i_save_without_answering_anything()
        self.then_i_am_told_what_is_missing_and_nothing_is_saved()

        self.when_i_answer_every_item_and_save()
        self.then_i_see_the_score_in_the_history_with_a_chart()

        self.when_i_hold_a_review_and_follow_a_measure_it_lists_as_due()
        self.then_i_am_back_at_the_review_and_it_is_no_longer_due()

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

    def and_i_save_without_answering_anything(self):
        # How it was completed and the date come filled in (together, today): only the answers are missing.
        # (Changed with issue 13: before, "how was it completed" had no default and was the error shown here.)
        expect(self.page.get_by_role("radio", name="Together, in person")).to_be_checked()
        self.page.get_by_role("button", name="Save answers").click()

    def then_i_am_told_what_is_missing_and_nothing_is_saved(self):
        items = error_summary_items(self.page)
        assert "Enter at least one answer" in items, items
        assert Administration.objects.filter(person=self.person).count() == self.recorded_before
        self.tab.check("measures-record-errors")

    def when_i_answer_every_item_and_save(self):
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

    def when_i_hold_a_review_and_follow_a_measure_it_lists_as_due(self):
        self.tab.goto(f"/people/{self.person.pk}/plan/reviews/new/")
        measures = self.page.locator("#measures ~ ul").first
        expect(measures).to_contain_text("Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS): recorded")
        self.tab.check("measures-review-due")
        self.page.get_by_role("link", name="Three-item loneliness scale (UCLA 3-item)").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("UCLA 3-item")
        expect(self.page.get_by_role("link", name="Back")).to_have_attribute(
            "href", f"/people/{self.person.pk}/plan/reviews/new/"
        )
        for fieldset in (
            self.page.locator("fieldset").filter(has=self.page.locator("input[name^='item_']")).all()
        ):
            fieldset.get_by_role("radio").first.click()
        self.page.get_by_role("button", name="Save answers").click()

    def then_i_am_back_at_the_review_and_it_is_no_longer_due(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hold a review")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "UCLA 3-item) recorded"
        )
        measures = self.page.locator("#measures ~ ul").first
        expect(measures).to_contain_text("(UCLA 3-item): recorded")
        expect(measures.get_by_role("link", name="Three-item loneliness scale (UCLA 3-item)")).to_have_count(
            0
        )
        assert Administration.objects.filter(person=self.person, instrument_id="ucla3").exists()
        self.tab.check("measures-review-back")
