"""A practitioner works through the cycle with a person.

The first journey walks stages a, c, e, f and g of the burden benchmark (issue 13) keyboard-first, counting
every interaction as a person would, and holds each stage to its budget: what matters (a), two goals each
with its scale and a first step (c), logging the first visit (e), SWEMWBS (f), and the review with both goals
scored and the next map started from the last one and changed (g). Stages b (the map) and d (the community
link) belong to other pages; their results are set up through the services here. Every page is checked with
axe at 1280 px and at 390 px, where it must not scroll sideways.

The second journey uses the mouse and the longer way round: records what matters, sets a goal with its whole
scale and a second one after forgetting the expected outcome, adds steps, links the person to an opportunity
imported from an Open Referral file, logs that they went, holds a review and reads its summary."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import User
from connecting_people.community.models import Opportunity
from connecting_people.connections import services as map_services
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.measures.models import Administration
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services as plan_services
from connecting_people.plans.models import Activity, Goal, Link, Review, Step
from e2e.journey import (
    check_both_widths,
    enter,
    error_summary_items,
    follow,
    sign_in,
    tick,
    type_in,
)

FIXTURE = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "fixtures"
    / "openreferral"
    / "hsds-3.0"
    / "service_full.json"
)
# Issue 13: the budget of each stage this journey walks (interactions, counted as a person would).
BUDGETS = {"a": 5, "c": 10, "e": 3, "f": 9, "g": 8}
@pytest.mark.e2e
class TestTheCycleKeyboardFirstWithinBudget:
    def test_stages_a_c_e_f_g(self, tab, demo):
        self.tab, self.page = tab, tab.page
        self.today = timezone.localdate()
        self.worker = User.objects.get(username="practitioner.a")
        team = self.worker.memberships.get(role="practitioner").team
        self.person = PersonFactory(
            team=team,
            allocated_worker=self.worker,
            given_name="Robin",
            preferred_name="",
            practice_consent=True,
            opened_on=self.today - timedelta(days=120),
        )
        self.given_their_map_from_stage_b()
        self.opportunity = Opportunity.objects.filter(active=True).order_by("pk").first()
        sign_in(tab, username="practitioner.a", password=demo.password)
        self.tab.goto(f"/people/{self.person.pk}/")
        check_both_widths(tab, "cycle-person")

        self.stage_a_what_matters()
        self.stage_c_two_goals_each_with_a_scale_and_a_first_step()
        self.given_stage_d_introduced_them_to_an_opportunity()
        self.stage_e_the_first_visit()
        self.stage_f_swemwbs()
        self.stage_g_the_review()
        self.then_each_stage_is_within_its_budget()

    def given_their_map_from_stage_b(self):
        snapshot = map_services.snapshot_start(
            actor=as_actor(self.worker), person_id=self.person.pk, taken_on=self.today - timedelta(days=100)
        )
        for label, kind, category, ring in (
            ("Mum", "person", "family", "close"),
            ("Sam", "person", "friend", "middle"),
            ("GP surgery", "service", "services", "outer"),
        ):
            map_services.entry_add(
                actor=as_actor(self.worker),
                person_id=self.person.pk,
                snapshot_id=snapshot.pk,
                data=map_services.EntryData(label=label, kind=kind, category=category, ring=ring),
            )
        self.last_map = snapshot

    def stage_a_what_matters(self):
        self.tab.stage = "a"
        follow(self.tab, self.page.get_by_role("link", name="Talk about what matters to them"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("What matters to Robin")
        check_both_widths(self.tab, "cycle-a-what-matters")
        type_in(self.tab, self.page.get_by_label("Strengths (optional)"), "listening, cooking")
        type_in(self.tab, self.page.get_by_label("Interests (optional)"), "walking, cooking, music")
        tick(self.tab, self.page.get_by_role("checkbox", name="Confidence or anxiety"))
        follow(self.tab, self.page.get_by_role("button", name="Save"))
        # The map is drawn already, so what is due next is a first goal: the save goes straight there.
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Set a goal")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Next: set a first goal together"
        )
        interests = self.person.tags.filter(kind="interest").values_list("name", flat=True)
        assert sorted(interests) == ["cooking", "music", "walking"]

    def stage_c_two_goals_each_with_a_scale_and_a_first_step(self):
        self.tab.stage = "c"
        check_both_widths(self.tab, "cycle-c-goal")
        self._goal(
            "Meet people who like what I like",
            "Has been to the walking group twice",
            "Find out when the group meets",
        )
        follow(self.tab, self.page.get_by_role("button", name="Set the goal and add another"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Set another goal")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Goal set with its first step"
        )
        check_both_widths(self.tab, "cycle-c-another-goal")
        self._goal(
            "Cook a meal with someone", "Has cooked with a friend once", "Ask Sam about cooking together"
        )
        follow(self.tab, self.page.get_by_role("button", name="Set the goal", exact=True))
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Goal set")
        goals = list(Goal.objects.filter(person=self.person).order_by("pk"))
        assert len(goals) == 2
        for goal in goals:
            assert goal.level_0 and goal.levels_to_complete == 4  # the other levels: to complete
            [step] = goal.steps.all()
            assert (step.owner, step.due_on) == ("person", self.today + timedelta(weeks=2))

    def _goal(self, text, expected, step):
        type_in(self.tab, self.page.get_by_label("The goal, in the person's words"), text)
        type_in(self.tab, self.page.get_by_label("What do you both expect by the next review?"), expected)
        type_in(self.tab, self.page.get_by_label("What is the first step? (optional)"), step)

    def given_stage_d_introduced_them_to_an_opportunity(self):
        link = plan_services.link_create(
            actor=as_actor(self.worker), person_id=self.person.pk, opportunity_id=self.opportunity.pk
        )
        plan_services.link_status_set(
            actor=as_actor(self.worker),
            person_id=self.person.pk,
            link_id=link.pk,
            expected_version=link.version,
            status=Link.Status.INTRODUCED,
        )
        self.tab.goto(f"/people/{self.person.pk}/plan/")  # where stage d leaves the practitioner
        check_both_widths(self.tab, "cycle-plan")

    def stage_e_the_first_visit(self):
        self.tab.stage = "e"
        follow(
            self.tab, self.page.get_by_role("link", name=f"Log the first visit to {self.opportunity.name}")
        )
        expect(self.page.get_by_role("radio", name="First visit, went along together")).to_be_checked()
        check_both_widths(self.tab, "cycle-e-activity")
        follow(self.tab, self.page.get_by_role("button", name="Log it"))
        # Next due: the measures never recorded for Robin; the save opens the first of them.
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Warwick-Edinburgh")
        activity = Activity.objects.get(person=self.person)
        assert (activity.kind, activity.opportunity_id, activity.occurred_on) == (
            "accompanied",
            self.opportunity.pk,
            self.today,
        )

    def stage_f_swemwbs(self):
        self.tab.stage = "f"
        check_both_widths(self.tab, "cycle-f-swemwbs")
        questions = self.page.locator("fieldset").filter(has=self.page.locator("input[name^='item_']"))
        for question in questions.all():
            tick(self.tab, question.get_by_role("radio").nth(3))
        follow(self.tab, self.page.get_by_role("button", name="Save answers"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Plan, do and review"
        )  # back where it began
        recorded = Administration.objects.get(person=self.person, instrument_id="swemwbs")
        assert (recorded.total, recorded.administered_on, recorded.mode) == (28, self.today, "with_person")

    def stage_g_the_review(self):
        self.tab.stage = "g"
        follow(self.tab, self.page.get_by_role("button", name="Hold a review"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hold a review")
        measures = self.page.locator("#measures ~ ul").first
        expect(measures).to_contain_text("(SWEMWBS): recorded")  # done this morning: not due again
        expect(
            self.page.get_by_role("link", name="Three-item loneliness scale (UCLA 3-item)")
        ).to_be_visible()
        expect(self.page.locator("svg.app-connections-map")).to_be_visible()
        expect(self.page.get_by_text("First visit, went along together")).to_be_visible()
        check_both_widths(self.tab, "cycle-g-review")
        # The next map, started from the last one and changed, inside the review: a name and Enter.
        type_in(self.tab, self.page.get_by_label("Name", exact=True), "Jo")
        enter(self.tab)
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Jo added to the new map"
        )
        expect(self.page.locator(".app-map-changes")).to_contain_text("New: Jo")
        tick(
            self.tab,
            self.page.get_by_role("group", name="Meet people who like what I like").get_by_role(
                "radio", name="+1", exact=False
            ),
        )
        tick(
            self.tab,
            self.page.get_by_role("group", name="Cook a meal with someone").get_by_role(
                "radio", name="0: the expected", exact=False
            ),
        )
        tick(self.tab, self.page.get_by_role("radio", name="Carry on with the current goals"))
        check_both_widths(self.tab, "cycle-g-review-scored")
        follow(self.tab, self.page.get_by_role("button", name="Save the review"))
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Review of")
        review = Review.objects.get(person=self.person)
        assert review.snapshot.previous_id == self.last_map.pk and review.snapshot.taken_on == self.today
        assert "Jo" in MapEntry.objects.filter(snapshot=review.snapshot).values_list("label", flat=True)
        assert sorted(review.scores.values_list("level", flat=True)) == [0, 1]
        self.person.refresh_from_db()
        assert self.person.next_review_on == self.today + timedelta(weeks=12)  # filled in, not typed
        expect(self.page.locator(".app-map-changes")).to_contain_text("New: Jo")
        expect(self.page.get_by_role("link", name=f"The map of {self.today:%-d %B %Y}")).to_be_visible()
        check_both_widths(self.tab, "cycle-g-summary")

    def then_each_stage_is_within_its_budget(self):
        counts = {stage: self.tab.counted(stage) for stage in BUDGETS}
        print(
            "\ninteractions per stage (budget): "
            + ", ".join(f"{s} {counts[s]} ({BUDGETS[s]})" for s in BUDGETS)
        )
        over = {stage: count for stage, count in counts.items() if count > BUDGETS[stage]}
        assert not over, f"over budget: {over} (budgets {BUDGETS})"
        assert MapSnapshot.objects.filter(person=self.person).count() == 2


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
            actor=as_actor(worker), person_id=self.person.pk, taken_on=self.today - timedelta(days=100)
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
        self.and_i_set_a_goal_with_its_whole_scale_and_add_a_second_step()
        self.and_i_set_a_second_goal_after_forgetting_the_expected_outcome()
        self.and_i_find_the_imported_opportunity_in_the_directory_and_suggest_it()
        self.and_i_log_that_they_went()
        self.then_the_opportunity_is_on_their_map()
        self.when_i_hold_a_review()
        self.then_the_summary_shows_goals_map_and_measures_side_by_side()

    def given_the_persons_page_says_what_is_due(self):
        self.tab.goto(f"/people/{self.person.pk}/")
        prompts = self.page.locator(".app-prompts")
        expect(prompts).to_contain_text("Talk about what matters to them")
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
        # Straight on to what is due next: a first goal (the map is drawn already).
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Saved what matters")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Set a goal")

    def _fill_levels(self, levels):
        self.page.get_by_text("The other four levels of the scale").click()
        for label, text in levels.items():
            self.page.get_by_label(label, exact=False).fill(text)

    def and_i_set_a_goal_with_its_whole_scale_and_add_a_second_step(self):
        self.tab.check("plan-goal-new")
        self.page.get_by_label("The goal, in the person's words").fill("Meet people who like what I like")
        self.page.get_by_label("What do you both expect by the next review?").fill("Has been twice")
        self._fill_levels(
            {
                "+2: much more": "Goes every week and has made a friend there",
                "+1: somewhat more": "Goes every week",
                "−1: somewhat less": "Has been once",
                "−2: much less": "Has not been",
            }
        )
        self.page.get_by_text("Weight, and who or what it is about (optional)").click()
        self.page.get_by_label("How important is it to them? (optional)").select_option("3")
        self.page.get_by_label("How hard will it be? (optional)").select_option("2")
        self.page.get_by_label("What is the first step? (optional)").fill("Find out when the group meets")
        self.page.get_by_role("radio", name="The worker").check()
        self._date("step_due_on", self.today + timedelta(days=3))
        self.tab.check("plan-goal-filled")
        self.page.get_by_role("button", name="Set the goal", exact=True).click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Goal set with its first step"
        )
        goal = Goal.objects.get(person=self.person)
        assert goal.levels_to_complete == 0 and goal.weight == 6
        self.tab.goto(f"/people/{self.person.pk}/plan/")
        self.page.get_by_role("link", name="Add a step to “Meet people who like what I like”").click()
        check_both_widths(self.tab, "plan-step-new")
        self.page.get_by_label("What is the step?").fill("Go along together the first time")
        self.page.get_by_role("radio", name="Someone else").check()
        self.page.get_by_label("If someone else, who? (optional)").fill("Peer worker")
        self.page.get_by_role("button", name="Add the step").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Plan, do and review")
        steps = Step.objects.filter(goal__person=self.person).order_by("pk")
        assert [(s.owner, s.due_on) for s in steps] == [
            ("worker", self.today + timedelta(days=3)),
            ("other", self.today + timedelta(weeks=2)),  # the date it came with
        ]

    def _date(self, name, when):
        self.page.locator(f"#id_{name}_day").fill(str(when.day))
        self.page.locator(f"#id_{name}_month").fill(str(when.month))
        self.page.locator(f"#id_{name}_year").fill(str(when.year))

    def and_i_set_a_second_goal_after_forgetting_the_expected_outcome(self):
        self.page.get_by_role("button", name="Add another goal").click()
        self.page.get_by_label("The goal, in the person's words").fill("Walk to the park on my own")
        self.page.get_by_label("What is the first step? (optional)").fill("Plan a route with the person")
        self.page.get_by_role("button", name="Set the goal", exact=True).click()
        items = error_summary_items(self.page)
        assert "Describe what the expected outcome (0) would look like" in items, items
        assert Goal.objects.filter(person=self.person).count() == 1
        self.tab.check("plan-goal-errors")
        self.page.get_by_label("What do you both expect by the next review?").fill("Walks there once a week")
        self.page.get_by_role("button", name="Set the goal", exact=True).click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Goal set")
        self.tab.goto(f"/people/{self.person.pk}/plan/")
        expect(self.page.locator(".nhsuk-card")).to_have_count(2)
        expect(self.page.locator(".nhsuk-card").nth(1)).to_contain_text("4 to complete")
        self.tab.check("plan-two-goals")
        # Completing the scale later, before the review: the levels to write are open on the goal's page.
        self.page.locator(".nhsuk-card").nth(1).get_by_text("What each score would look like").click()
        self.page.get_by_role("link", name="Complete the scale of “Walk to the park on my own”").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Change the goal")
        check_both_widths(self.tab, "plan-goal-edit")
        self.page.get_by_label("+1: somewhat more", exact=False).fill("Walks there twice a week")
        self.page.get_by_role("button", name="Save the goal").click()
        expect(self.page.locator(".nhsuk-card").nth(1)).to_contain_text("3 to complete")
        self.page.locator(".nhsuk-card").nth(0).get_by_role("link", name="Change the goal").click()
        expect(self.page.get_by_text("The other four levels of the scale")).to_be_visible()
        self.tab.goto(f"/people/{self.person.pk}/plan/")

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
        # Next due: the measures Robin has never done, the first of them opened straight away.
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Activity logged")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Warwick-Edinburgh")
        self.page.get_by_role("link", name="Back").click()
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
        # Nobody changed the new map: the summary says so, not "0 gained, 0 lost", and links to it.
        expect(self.page.get_by_text("Nothing has changed on the map yet.")).to_be_visible()
        expect(self.page.get_by_role("link", name="Change the map together")).to_be_visible()
        expect(self.page.get_by_role("heading", name="Outcome measures")).to_be_visible()
        self.tab.check("plan-review-summary")
        self.person.refresh_from_db()
        assert self.person.next_review_on == self.today + timedelta(days=90)
