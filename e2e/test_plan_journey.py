"""A practitioner works through the cycle with a person: records what matters to them, makes a plan with two
goals and their steps, links them to an opportunity imported from an Open Referral file, logs that they went,
holds a review with goal scores and a new connections map, and reads the review summary."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from connecting_people.accounts.models import User
from connecting_people.community.models import Opportunity
from connecting_people.connections import services as map_services
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans.models import Goal, Link, Review, Step
from e2e.journey import error_summary_items, sign_in

FIXTURE = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "fixtures"
    / "openreferral"
    / "hsds-3.0"
    / "service_full.json"
)


@pytest.mark.e2e
class TestPractitionerWorksThroughTheCycle:
    def test_assess_plan_do_review(self, tab, demo):
        if not FIXTURE.exists():
            pytest.skip(f"the Open Referral fixtures are not here ({FIXTURE})")
        self.tab, self.page = tab, tab.page
        self.today = timezone.localdate()
        worker = User.objects.get(username="practitioner.a")
        team = worker.memberships.get(role="practitioner").team
        self.person = PersonFactory(
            team=team,
            allocated_worker=worker,
            given_name="Robin",
            preferred_name="",
            practice_consent=True,
            opened_on=self.today - timedelta(days=120),
        )
        map_services.snapshot_start(
            user=worker, person_id=self.person.pk, taken_on=self.today - timedelta(days=100)
        )
        call_command("community", "import", str(FIXTURE), stdout=open("/dev/null", "w"))
        imported = Opportunity.objects.filter(source_id__gt="", active=True).exclude(
            source__startswith="synthetic"
        )
        self.opportunity = imported.order_by("pk").first()
        assert self.opportunity is not None, "the Open Referral example should import"
        sign_in(tab, username="practitioner.a", password=demo.password)

        self.given_the_persons_page_says_what_is_due()
        self.when_i_record_what_matters_to_them()
        self.and_i_set_a_goal_with_two_steps()
        self.and_i_set_a_second_goal_after_forgetting_a_level()
        self.and_i_find_the_imported_opportunity_in_the_directory_and_suggest_it()
        self.and_i_log_that_they_went()
        self.then_the_opportunity_is_on_their_map()
        self.when_i_hold_a_review()
        self.then_the_summary_shows_goals_map_and_measures_side_by_side()

    def given_the_persons_page_says_what_is_due(self):
        self.tab.goto(f"/people/{self.person.pk}/")
        prompts = self.page.locator(".app-prompts")
        expect(prompts).to_contain_text("Set a first goal together")
        expect(prompts).to_contain_text("Find a community opportunity to try")
        self.tab.check("person-with-prompts")
        self.page.get_by_role("link", name="Robin's plan", exact=False).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Plan, do and review")
        self.tab.check("plan-empty")

    def when_i_record_what_matters_to_them(self):
        self.page.get_by_role("link", name="Record what matters to them").click()
        self.tab.check("plan-assessment")
        self.page.get_by_label("Interests (optional)").fill("singing, walking")
        self.page.get_by_label("Strengths (optional)").fill("listening, cooking")
        self.page.get_by_label("What they would like, in their own words (optional)").fill(
            "To get out of the flat and meet people"
        )
        self.page.get_by_role("checkbox", name="Confidence or anxiety").check()
        self.page.get_by_role("button", name="Save").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Saved what matters")

    def _fill_levels(self, levels):
        for label, text in levels.items():
            self.page.get_by_label(label, exact=False).fill(text)

    def and_i_set_a_goal_with_two_steps(self):
        self.page.get_by_role("button", name="Set a goal").click()
        self.tab.check("plan-goal-new")
        self.page.get_by_label("The goal, in the person's words").fill("Meet people who like what I like")
        self._fill_levels(
            {
                "+2: much more": "Goes every week and has made a friend there",
                "+1: somewhat more": "Goes every week",
                "0: the expected": "Has been twice",
                "−1: somewhat less": "Has been once",
                "−2: much less": "Has not been",
            }
        )
        self.page.get_by_label("How important is it to them? (optional)").select_option("3")
        self.page.get_by_label("How hard will it be? (optional)").select_option("2")
        self.page.get_by_role("button", name="Set the goal").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Add a step")
        self.tab.check("plan-step-new")
        self.page.get_by_label("What is the step?").fill("Find out when the group meets")
        self.page.get_by_role("radio", name="The worker").check()
        self._date("due_on", self.today + timedelta(days=3))
        self.page.get_by_role("button", name="Add and add another").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Step added")
        self.page.get_by_label("What is the step?").fill("Go along together the first time")
        self.page.get_by_role("radio", name="Someone else").check()
        self.page.get_by_label("If someone else, who? (optional)").fill("Peer worker")
        self._date("due_on", self.today + timedelta(days=10))
        self.page.get_by_role("button", name="Add the step").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Plan, do and review")
        assert Step.objects.filter(goal__person=self.person).count() == 2

    def _date(self, name, when):
        self.page.locator(f"#id_{name}_day").fill(str(when.day))
        self.page.locator(f"#id_{name}_month").fill(str(when.month))
        self.page.locator(f"#id_{name}_year").fill(str(when.year))

    def and_i_set_a_second_goal_after_forgetting_a_level(self):
        self.page.get_by_role("button", name="Set a goal").click()
        self.page.get_by_label("The goal, in the person's words").fill("Walk to the park on my own")
        self._fill_levels(
            {
                "+2: much more": "Walks there most days",
                "+1: somewhat more": "Walks there twice a week",
                "0: the expected": "Walks there once a week",
                "−1: somewhat less": "Walks there with someone",
            }
        )
        self.page.get_by_role("button", name="Set the goal").click()
        items = error_summary_items(self.page)
        assert "Describe what much less than expected (−2) would look like" in items, items
        assert Goal.objects.filter(person=self.person).count() == 1
        self.tab.check("plan-goal-errors")
        self.page.get_by_label("−2: much less", exact=False).fill("Does not go out")
        self.page.get_by_role("button", name="Set the goal").click()
        self.page.get_by_label("What is the step?").fill("Plan a route with the person")
        self.page.get_by_role("radio", name="The person").check()
        self._date("due_on", self.today + timedelta(days=7))
        self.page.get_by_role("button", name="Add the step").click()
        expect(self.page.locator(".nhsuk-card")).to_have_count(2)
        self.tab.check("plan-two-goals")

    def and_i_find_the_imported_opportunity_in_the_directory_and_suggest_it(self):
        self.page.get_by_role("link", name="Search the community directory for Robin").click()
        expect(self.page.locator(".nhsuk-caption-l")).to_contain_text("Searching for Robin")
        self.page.get_by_label("Name or description").fill(self.opportunity.name)
        self.page.get_by_role("button", name="Search").click()
        self.tab.check("plan-directory-search")
        self.page.get_by_role("link", name=self.opportunity.name).first.click()
        self.tab.check("plan-directory-opportunity")
        self.page.get_by_role("button", name="Suggest this to Robin").click()
        self.tab.check("plan-link-choose")
        self.page.get_by_role("radio", name="Talked about together").check()
        self.page.get_by_role("button", name="Add to Robin's community links").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "added to the community links"
        )
        links = self.page.get_by_role("table", name="Opportunities Robin is linked to")
        expect(links).to_contain_text("Talked about")

    def and_i_log_that_they_went(self):
        self.page.get_by_role("button", name="Log what happened").first.click()
        self.tab.check("plan-activity-new")
        self.page.get_by_role("radio", name="Session attended").check()
        self.page.get_by_label("Where? (for a visit or a session)").select_option(str(self.opportunity.pk))
        self.page.get_by_label("Notes (optional)").fill("Went along with the peer worker; stayed for tea")
        self.page.get_by_role("button", name="Log it").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Activity logged")
        expect(self.page.get_by_role("table", name="Opportunities Robin is linked to")).to_contain_text(
            "Went along"
        )
        assert Link.objects.get(person=self.person).status == "attended"

    def then_the_opportunity_is_on_their_map(self):
        self.tab.goto(f"/people/{self.person.pk}/map/")
        label = self.opportunity.name[:30].rstrip()
        expect(self.page.get_by_role("table", name="closest first", exact=False)).to_contain_text(label)
        self.tab.goto(f"/people/{self.person.pk}/plan/")

    def when_i_hold_a_review(self):
        self.page.get_by_role("button", name="Hold a review").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hold a review")
        self.tab.check("plan-review-new")
        self.page.get_by_role("group", name="Meet people who like what I like").get_by_role(
            "radio", name="+1", exact=False
        ).check()
        self.page.get_by_role("group", name="Walk to the park on my own").get_by_role(
            "radio", name="0: the expected", exact=False
        ).check()
        self.page.get_by_role("radio", name="Carry on with the current goals").check()
        self._date("next_review_on", self.today + timedelta(days=90))
        self.page.get_by_role("button", name="Save the review").click()

    def then_the_summary_shows_goals_map_and_measures_side_by_side(self):
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Review of")
        review = Review.objects.get(person=self.person)
        assert review.snapshot is not None and review.snapshot.previous_id is not None
        expect(self.page.locator("#t-score")).to_contain_text("Goal attainment T-score")
        expect(self.page.get_by_role("table", name="Scored −2 to +2", exact=False)).to_contain_text("+1")
        expect(self.page.get_by_role("heading", name="Connections map")).to_be_visible()
        expect(self.page.get_by_role("heading", name="Outcome measures")).to_be_visible()
        self.tab.check("plan-review-summary")
        self.person.refresh_from_db()
        assert self.person.next_review_on == self.today + timedelta(days=90)
