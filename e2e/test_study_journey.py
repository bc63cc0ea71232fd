"""A researcher sets up a study, enrols a participant, records their baseline and six-month interviews, makes
a pseudonymised export, and reads the analysis report of a simulated study large enough to analyse."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from connecting_people.accounts.models import Membership, Role, Team, Trust, User
from connecting_people.measures import registry
from connecting_people.people.models import Person
from connecting_people.study.models import Study
from e2e.journey import Tab, error_summary_items, sign_in

TODAY = timezone.localdate()
STARTS = TODAY - timedelta(days=260)
ENROLLED = TODAY - timedelta(days=250)
BASELINE = TODAY - timedelta(days=248)
FOLLOW_UP = BASELINE + timedelta(days=185)  # day 185: inside the six-month window (day 154 to 238)
PRIMARY, LONELINESS = "resource_generator_example", "ucla3"


def fill_date(page, name: str, when) -> None:
    page.locator(f"#id_{name}_day").fill(str(when.day))
    page.locator(f"#id_{name}_month").fill(str(when.month))
    page.locator(f"#id_{name}_year").fill(str(when.year))


@pytest.mark.e2e
class TestResearcherRunsAStudy:
    def test_set_up_enrol_record_export_and_report(self, tab, demo, tmp_path, settings):
        settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
        self.tab, self.page, self.demo = tab, tab.page, demo
        sign_in(tab, username="researcher.a", password=demo.password)

        self.when_i_open_my_studies_from_the_home_page()
        self.and_i_set_up_a_study_leaving_the_form_empty_first()
        self.and_i_add_the_trust_as_a_site_and_allocate_its_two_teams()
        self.then_a_team_cannot_be_put_in_the_other_arm_too()
        self.when_i_invite_another_trust_its_teams_are_not_offered()
        self.then_a_researcher_there_accepts_and_its_team_is_offered()
        self.when_i_open_the_study_for_recruitment()
        self.then_a_status_saved_from_an_older_page_is_refused()

        self.and_i_enrol_a_participant()
        self.and_i_record_their_baseline_interview()
        self.and_i_record_their_six_month_interview()
        self.then_their_page_shows_both_timepoints_done_in_window()
        self.and_the_completeness_page_counts_them()

        self.when_i_ask_for_an_export_without_saying_why()
        self.then_i_am_asked_why_and_nothing_is_made()
        self.when_i_say_why()
        self.then_the_export_is_ready_and_holds_no_names()

        self.given_a_simulated_study_that_i_lead()
        self.when_i_ask_for_its_report()
        self.then_the_report_shows_the_primary_result_with_its_interval()
        self.and_i_can_download_it()

    # --- set-up ----------------------------------------------------------------------------------------

    def when_i_open_my_studies_from_the_home_page(self):
        self.page.get_by_role("link", name="Your studies").click()
        expect(self.page.get_by_role("heading", level=1, name="Your studies")).to_be_visible()
        self.tab.check("study list")

    def and_i_set_up_a_study_leaving_the_form_empty_first(self):
        self.page.get_by_role("button", name="Set up a new study").click()
        self.page.get_by_role("button", name="Set up the study").click()
        assert any("code" in item.lower() for item in error_summary_items(self.page))
        self.tab.check("new study, with errors")
        self.page.get_by_label("Study code").fill("walkthrough")
        self.page.get_by_label("Title").fill("Walkthrough evaluation of Connecting People")
        fill_date(self.page, "starts_on", STARTS)
        self.page.get_by_label("Consent form version").fill("v1.0")
        self.page.get_by_role("button", name="Set up the study").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Walkthrough evaluation")
        self.study = Study.objects.get(code="walkthrough")
        self.tab.check("study overview")

    def and_i_add_the_trust_as_a_site_and_allocate_its_two_teams(self):
        self.page.get_by_role("link", name="Add or invite a site").click()
        self.page.get_by_label("Trust").select_option(
            label="Northshire Community Health NHS Foundation Trust (demo)"
        )
        self.tab.check("add a site")
        self.page.get_by_role("button", name="Add or invite the trust").click()
        # researcher.a has the researcher role in this trust: it takes part at once.
        expect(self.page.get_by_text("added as site01")).to_be_visible()
        # A second tab opens the allocation form while both teams are still free, as a colleague might.
        self.stale = self.page.context.new_page()
        self.stale.goto(f"/study/{self.study.pk}/teams/allocate/")
        self.allocate(self.page, "Riverside", "Intervention")
        expect(self.page.get_by_role("heading", level=1)).not_to_have_text("Allocate a team to an arm")
        self.allocate(self.page, "Hillside", "Control")
        expect(self.page.get_by_role("heading", level=1)).not_to_have_text("Allocate a team to an arm")
        teams = {row.team.name.split()[0]: row.arm for row in self.study.teams.select_related("team")}
        assert teams == {"Riverside": "intervention", "Hillside": "control"}

    def allocate(self, page, team: str, arm: str):
        if "/teams/allocate/" not in page.url:
            page.get_by_role("link", name="Allocate a team to an arm").click()
        options = page.get_by_label("Team").locator("option").all_inner_texts()
        page.get_by_label("Team").select_option(label=next(o for o in options if o.startswith(team)))
        page.get_by_label(arm, exact=True).check()
        page.get_by_role("button", name="Allocate the team").click()
        page.wait_for_load_state()

    def then_a_team_cannot_be_put_in_the_other_arm_too(self):
        self.allocate(self.stale, "Riverside", "Control")
        errors = error_summary_items(self.stale)
        assert any("already allocated to the intervention arm" in error for error in errors), errors
        assert self.study.teams.get(team__name__startswith="Riverside").arm == "intervention"
        self.stale.close()
        self.page.goto(f"/study/{self.study.pk}/teams/allocate/")
        expect(self.page.get_by_text("Every team")).to_be_visible()
        self.tab.check("nothing left to allocate")

    # --- another trust joins only when someone there accepts -------------------------------------------

    def when_i_invite_another_trust_its_teams_are_not_offered(self):
        trust = Trust.objects.create(name="Westmoor Partnership NHS Trust (journey)", ods_code="JRN01")
        self.westmoor_team = Team.objects.create(trust=trust, name="Westmoor Recovery Team")
        their_researcher = User.objects.create_user(
            username="researcher.west", password=self.demo.password, first_name="Wendy", last_name="Marsh"
        )
        Membership.objects.create(user=their_researcher, role=Role.RESEARCHER, trust=trust)
        self.page.goto(f"/study/{self.study.pk}/")
        self.page.get_by_role("link", name="Add or invite a site").click()
        self.page.get_by_label("Trust").select_option(label="Westmoor Partnership NHS Trust (journey)")
        self.page.get_by_role("button", name="Add or invite the trust").click()
        expect(self.page.get_by_text("invited as site02")).to_be_visible()
        expect(self.page.locator("#invited")).to_contain_text("Invited, waiting for the trust to accept")
        self.tab.check("study overview with an invited trust")
        self.page.goto(f"/study/{self.study.pk}/teams/allocate/")
        expect(self.page.get_by_text("Every team")).to_be_visible()  # Westmoor's team is not offered

    def then_a_researcher_there_accepts_and_its_team_is_offered(self):
        context = self.page.context.browser.new_context(
            base_url=self.page.url.split("/study/")[0], viewport={"width": 1280, "height": 900}
        )
        theirs = Tab(page=context.new_page())
        theirs.listen()
        sign_in(theirs, username="researcher.west", password=self.demo.password)
        theirs.page.get_by_role("link", name="Your studies").click()
        theirs.page.get_by_role("link", name="1 invitation for your trust").click()
        expect(theirs.page.get_by_role("heading", level=1)).to_have_text(
            "Invitations to take part in studies"
        )
        theirs.check("invitations for a trust")
        theirs.page.get_by_role("link", name="WALKTHROUGH").click()
        expect(theirs.page.get_by_role("heading", level=1)).to_have_text(
            "Invitation to take part in WALKTHROUGH"
        )
        theirs.page.get_by_role("button", name="Send your answer").click()
        assert error_summary_items(theirs.page) == ["Choose whether your trust takes part"]
        theirs.check("invitation, with errors")
        theirs.page.get_by_label("Yes, accept: the trust takes part").check()
        theirs.page.get_by_role("button", name="Send your answer").click()
        expect(theirs.page.get_by_text("takes part in WALKTHROUGH as site02")).to_be_visible()
        theirs.check("invitations, one answered")
        context.close()
        self.page.goto(f"/study/{self.study.pk}/teams/allocate/")
        options = self.page.get_by_label("Team").locator("option").all_inner_texts()
        assert any(option.startswith("Westmoor Recovery Team") for option in options), options

    def when_i_open_the_study_for_recruitment(self):
        self.page.goto(f"/study/{self.study.pk}/")
        # A colleague's tab has the status page open from before the change.
        self.stale = self.page.context.new_page()
        self.stale.goto(f"/study/{self.study.pk}/status/")
        self.page.get_by_role("link", name="Change status").click()
        self.page.get_by_label("Recruiting").check()
        self.page.get_by_role("button", name="Save the status").click()
        self.study.refresh_from_db()
        assert self.study.status == "recruiting"

    def then_a_status_saved_from_an_older_page_is_refused(self):
        self.stale.get_by_label("Closed").check()
        self.stale.get_by_role("button", name="Save the status").click()
        expect(self.stale.locator(".nhsuk-notification-banner")).to_contain_text(
            "Someone else saved changes here while you were editing"
        )
        self.study.refresh_from_db()
        assert self.study.status == "recruiting"
        stale = Tab(page=self.stale)
        stale.check("status refused: someone else saved first")
        self.stale.close()

    # --- a participant ---------------------------------------------------------------------------------

    def and_i_enrol_a_participant(self):
        self.page.get_by_role("navigation", name="Study sections").get_by_role(
            "link", name="Participants"
        ).click()
        self.page.get_by_role("button", name="Enrol a participant").click()
        self.page.get_by_label("T01", exact=False).check()
        fill_date(self.page, "enrolled_on", ENROLLED)
        fill_date(self.page, "consented_on", ENROLLED)
        self.page.get_by_label("Eligibility notes (optional)").fill(
            "Referred by the team; met every criterion."
        )
        self.tab.check("enrol a participant")
        self.page.get_by_role("button", name="Enrol").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("WALKTHROUGH-0001")
        self.tab.check("participant page")

    def record(self, timepoint: str, instrument_id: str, when, choice: int):
        instrument = registry.instrument(instrument_id)
        self.page.get_by_role("link", name=f"Record {instrument.title} at {timepoint}").click()
        for item in instrument.items:
            answers = self.page.locator(f"[name='item_{item.id}']")
            if answers.first.get_attribute("type") == "radio":
                answers.nth(min(choice, answers.count() - 1)).check()
            else:
                answers.fill(str(choice))
        fill_date(self.page, "administered_on", when)
        self.tab.check(f"record {instrument_id} at {timepoint}")
        self.page.get_by_role("button", name="Save answers").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("WALKTHROUGH-0001")

    def and_i_record_their_baseline_interview(self):
        self.record("Baseline", PRIMARY, BASELINE, choice=0)
        self.record("Baseline", LONELINESS, BASELINE, choice=2)

    def and_i_record_their_six_month_interview(self):
        self.record("6 months", PRIMARY, FOLLOW_UP, choice=1)
        self.record("6 months", LONELINESS, FOLLOW_UP, choice=1)

    def then_their_page_shows_both_timepoints_done_in_window(self):
        participant = self.study.participants.get()
        assert participant.baseline_on == BASELINE
        days = sorted(participant.assessments.values_list("timepoint__code", "day", "in_window"))
        assert days == [("baseline", 0, True), ("baseline", 0, True), ("m6", 185, True), ("m6", 185, True)]
        expect(self.page.get_by_text("Outside window")).to_have_count(0)

    def and_the_completeness_page_counts_them(self):
        self.page.get_by_role("navigation", name="Study sections").get_by_role(
            "link", name="Completeness"
        ).click()
        expect(self.page.get_by_role("heading", level=1)).to_be_visible()
        expect(self.page.locator("svg").first).to_be_visible()
        self.tab.check("completeness")

    # --- export ----------------------------------------------------------------------------------------

    def when_i_ask_for_an_export_without_saying_why(self):
        self.page.get_by_role("navigation", name="Study sections").get_by_role("link", name="Exports").click()
        self.page.get_by_role("button", name="Make the export").click()

    def then_i_am_asked_why_and_nothing_is_made(self):
        assert error_summary_items(self.page)
        assert not self.study.jobs.exists()
        self.tab.check("export, with errors")

    def when_i_say_why(self):
        self.page.get_by_label("Statistical analysis").check()
        self.page.get_by_label("Why do you need this export?").fill(
            "Checking the data before the steering group"
        )
        self.page.get_by_role("button", name="Make the export").click()

    def then_the_export_is_ready_and_holds_no_names(self):
        expect(self.page.get_by_role("button", name="Download the export (zip)")).to_be_visible()
        self.tab.check("export ready")
        with self.page.expect_download() as download:
            self.page.get_by_role("button", name="Download the export (zip)").click()
        archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
        names = archive.namelist()
        participants = next(name for name in names if name.endswith("/participants.csv"))
        assert archive.read(participants).decode().count("\n") == 2  # the header and one participant
        text = b"".join(archive.read(name) for name in names if name.endswith(".csv")).decode()
        assert "WALKTHROUGH-0001" not in text and "met every criterion" not in text
        for family_name in Person.objects.values_list("family_name", flat=True):
            assert f",{family_name}," not in text

    # --- report ----------------------------------------------------------------------------------------

    def given_a_simulated_study_that_i_lead(self):
        out = io.StringIO()
        call_command(
            "study",
            "simulate",
            "--sites",
            "3",
            "--teams-per-site",
            "2",
            "--participants-per-team",
            "12",
            "--effect",
            "1.5",
            "--seed",
            "7",
            "--code",
            "simulated",
            "--user",
            "researcher.a",
            stdout=out,
        )
        self.simulated = Study.objects.get(pk=json.loads(out.getvalue().strip().splitlines()[-1])["study"])

    def when_i_ask_for_its_report(self):
        self.page.goto("/study/")
        self.page.get_by_role("link", name="simulated", exact=False).first.click()
        self.page.get_by_role("navigation", name="Study sections").get_by_role("link", name="Reports").click()
        self.page.get_by_label("Statistical analysis").check()
        self.page.get_by_label("Bootstrap replicates").fill("200")
        self.tab.check("reports")
        self.page.get_by_role("button", name="Make the report").click()

    def then_the_report_shows_the_primary_result_with_its_interval(self):
        expect(self.page.get_by_role("button", name="Download the report (HTML)")).to_be_visible()
        job = self.simulated.jobs.get(kind="report")
        result = json.loads(
            job.result_path and open(job.result_path.replace("report.html", "analysis.json")).read()
        )
        estimate = result["primary"]["estimate"]
        expect(self.page.locator("main")).to_contain_text(f"{estimate:.2f}")
        expect(self.page.locator("main svg").first).to_be_visible()
        self.tab.check("report")

    def and_i_can_download_it(self):
        with self.page.expect_download() as download:
            self.page.get_by_role("button", name="Download the report (HTML)").click()
        html = open(download.value.path(), encoding="utf-8").read()
        assert html.startswith("<!DOCTYPE html>") and "<script" not in html
        assert html.count("<svg") >= 3
