"""The trust's data protection officer finds a person, downloads everything held about them, restricts
processing; their practitioner can still read the record but can no longer add to the map, and is told why; the
officer then erases a test record and sees the tombstone it left."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from connecting_people.accounts.models import User
from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from e2e.journey import SCREENSHOT_DIR, Tab, error_summary_items, sign_in


@pytest.mark.e2e
class TestDataProtectionOfficer:
    def test_subject_access_restriction_and_erasure(self, tab, demo, browser, live_server):
        self.tab, self.page, self.browser, self.live_server, self.demo = (
            tab,
            tab.page,
            browser,
            live_server,
            demo,
        )
        worker = User.objects.get(username="practitioner.a")
        self.person = (
            Person.objects.filter(allocated_worker=worker, status="open", map_snapshots__isnull=False)
            .distinct()
            .order_by("pk")
            .first()
        )
        self.test_record = PersonFactory(
            team=self.person.team,
            allocated_worker=worker,
            given_name="Testy",
            family_name="Recordmade-in-error",
        )
        sign_in(tab, username="dpo.a", password=demo.password)

        self.when_i_open_data_protection_from_the_home_page()
        self.and_i_look_for_a_number_that_is_not_a_number()
        self.then_i_am_told_to_use_numbers()
        self.when_i_find_the_person_by_nhs_number()
        self.and_i_open_everything_held_about_them()
        self.then_the_json_download_holds_their_record_maps_and_who_looked()

        self.when_i_restrict_processing_without_saying_why()
        self.then_i_am_asked_why_and_nothing_is_restricted()
        self.when_i_say_why()
        self.then_the_record_says_processing_is_restricted()

        self.given_their_practitioner_signs_in()
        self.then_the_person_is_not_on_the_caseload()
        self.when_the_practitioner_tries_to_add_to_the_map()
        self.then_they_are_told_why_and_nothing_is_added()

        self.when_i_erase_the_test_record_without_a_lawful_basis()
        self.then_i_am_asked_for_one()
        self.when_i_choose_one_and_do_not_confirm()
        self.then_i_am_asked_to_confirm_and_nothing_is_erased()
        self.when_i_confirm()
        self.then_the_record_is_gone_and_its_tombstone_is_listed()
        self.and_the_retention_and_restricted_pages_pass_their_checks()

    def shot(self, name: str, tab: Tab | None = None) -> None:
        """The axe check (and a 1280 px screenshot when asked for), then a 390 px screenshot too."""
        tab = tab or self.tab
        tab.check(name)
        if SCREENSHOT_DIR:
            size = tab.page.viewport_size
            tab.page.set_viewport_size({"width": 390, "height": 844})
            tab.page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name} (390).png"), full_page=True)
            tab.page.set_viewport_size(size)

    # --- find and subject access -----------------------------------------------------------------------------

    def when_i_open_data_protection_from_the_home_page(self):
        expect(self.page.get_by_role("heading", name="Data protection", level=2)).to_be_visible()
        self.shot("data protection officer home")
        self.page.get_by_role("link", name="Find a record: subject access, restriction and erasure").click()
        expect(self.page.get_by_role("heading", level=1, name="Data protection")).to_be_visible()
        self.shot("data protection")

    def and_i_look_for_a_number_that_is_not_a_number(self):
        self.page.get_by_label("Record number or NHS number").fill("Smith")
        self.page.get_by_role("button", name="Find the record").click()

    def then_i_am_told_to_use_numbers(self):
        assert error_summary_items(self.page) == [
            "Enter a record number or an NHS number, using numbers only"
        ]
        self.shot("find a record, with errors")

    def when_i_find_the_person_by_nhs_number(self):
        number = self.person.nhs_number
        self.page.get_by_label("Record number or NHS number").fill(f"{number[:3]} {number[3:6]} {number[6:]}")
        self.page.get_by_role("button", name="Find the record").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self.person.full_name)
        self.shot("person, data protection")

    def and_i_open_everything_held_about_them(self):
        self.page.get_by_role("link", name=f"See everything held about {self.person.full_name}").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            f"Everything held about {self.person.full_name}"
        )
        expect(
            self.page.get_by_role("heading", name="Who looked at or changed the record, and when")
        ).to_be_visible()
        self.shot("subject access")

    def then_the_json_download_holds_their_record_maps_and_who_looked(self):
        with self.page.expect_download() as download:
            self.page.get_by_role("link", name="Download as data (JSON)").click()
        document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert document["record"]["nhs_number"] == self.person.nhs_number
        assert document["connections_maps"] and document["connections_maps"][-1]["entries"]
        looked = [row for row in document["access_log"] if row["action"] == "person.viewed"]
        assert looked[-1]["username"] == "dpo.a" and "data-protection" in looked[-1]["what"]
        downloads = AuditEvent.objects.filter(
            action="privacy.subject_access_downloaded", person_id=self.person.pk
        )
        assert [event.summary["format"] for event in downloads] == ["json"]

    # --- restriction -------------------------------------------------------------------------------------------

    def when_i_restrict_processing_without_saying_why(self):
        self.page.get_by_role("link", name="Back").click()
        self.page.get_by_role("button", name="Restrict processing").click()
        expect(self.page.get_by_role("heading", level=1, name="Restrict processing")).to_be_visible()
        self.page.get_by_role("button", name="Restrict processing").click()

    def then_i_am_asked_why_and_nothing_is_restricted(self):
        assert error_summary_items(self.page) == ["Select an answer: why is processing being restricted"]
        self.shot("restrict processing, with errors")
        assert not Person.objects.get(pk=self.person.pk).processing_restricted

    def when_i_say_why(self):
        self.page.get_by_label("The person contests the accuracy of the record").check()
        self.page.get_by_label("Reference (optional)").fill("DPR-2026-014")
        self.page.get_by_role("button", name="Restrict processing").click()

    def then_the_record_says_processing_is_restricted(self):
        expect(self.page.get_by_text("is now restricted")).to_be_visible()
        expect(self.page.locator("#processing-restricted")).to_contain_text("Processing restricted")
        expect(self.page.get_by_role("button", name="Lift the restriction")).to_be_visible()
        self.shot("person, data protection, restricted")
        assert Person.objects.get(pk=self.person.pk).processing_restricted

    # --- the practitioner -------------------------------------------------------------------------------------

    def given_their_practitioner_signs_in(self):
        context = self.browser.new_context(
            base_url=self.live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        self.worker = Tab(page=context.new_page())
        self.worker.listen()
        sign_in(self.worker, username="practitioner.a", password=self.demo.password)

    def then_the_person_is_not_on_the_caseload(self):
        self.worker.goto("/people/")
        expect(self.worker.page.get_by_role("heading", level=1, name="My caseload")).to_be_visible()
        expect(self.worker.page.locator(f'a[href="/people/{self.person.pk}/"]')).to_have_count(0)

    def when_the_practitioner_tries_to_add_to_the_map(self):
        page = self.worker.page
        self.worker.goto(f"/people/{self.person.pk}/map/")
        expect(page.locator("#processing-restricted")).to_contain_text("nothing new can be recorded")
        self.shot("map, processing restricted", self.worker)
        self.entries = self.person.map_snapshots.order_by("-taken_on").first().entries.count()
        # The map's add form takes a name (the rest is guessed from it, and changed in place afterwards).
        page.get_by_label("Name", exact=True).fill("Ali")
        page.get_by_role("button", name="Add to the map").click()

    def then_they_are_told_why_and_nothing_is_added(self):
        [message] = error_summary_items(self.worker.page)
        assert message.startswith(
            "Processing of this person's record is restricted, so nothing new can be recorded"
        )
        self.shot("add to the map, refused: processing restricted", self.worker)
        assert self.person.map_snapshots.order_by("-taken_on").first().entries.count() == self.entries
        self.worker.page.context.close()

    # --- erasure -------------------------------------------------------------------------------------------------

    def when_i_erase_the_test_record_without_a_lawful_basis(self):
        self.page.goto("/data-protection/")
        self.page.get_by_label("Record number or NHS number").fill(str(self.test_record.pk))
        self.page.get_by_role("button", name="Find the record").click()
        self.page.get_by_role("link", name="Erase this record").click()
        expect(self.page.get_by_role("heading", level=1, name="Erase this record")).to_be_visible()
        self.shot("erase a record")
        self.page.get_by_role("button", name="Continue").click()

    def then_i_am_asked_for_one(self):
        assert error_summary_items(self.page) == [
            "Select an answer: what is the lawful basis for erasing this record"
        ]
        self.shot("erase a record, with errors")

    def when_i_choose_one_and_do_not_confirm(self):
        self.page.get_by_label(
            "It was made in error: a duplicate, the wrong person, or a test record"
        ).check()
        self.page.get_by_role("button", name="Continue").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Are you sure you want to erase")
        self.shot("erase a record, confirm")
        self.page.get_by_role("button", name="Erase this record").click()

    def then_i_am_asked_to_confirm_and_nothing_is_erased(self):
        assert error_summary_items(self.page) == ["Confirm that you want to erase this record"]
        self.shot("erase a record, confirm, with errors")
        assert Person.objects.filter(pk=self.test_record.pk).exists()

    def when_i_confirm(self):
        self.page.get_by_label(
            "I have checked that this is the right record and that erasing it is lawful"
        ).check()
        self.page.get_by_role("button", name="Erase this record").click()

    def then_the_record_is_gone_and_its_tombstone_is_listed(self):
        expect(self.page.get_by_role("heading", level=1, name="Erased records")).to_be_visible()
        expect(self.page.get_by_text(f"Record {self.test_record.pk} has been erased")).to_be_visible()
        row = self.page.locator("tbody tr").first
        expect(row.locator("td").first).to_have_text(str(self.test_record.pk))
        expect(row).to_contain_text("made in error")
        expect(self.page.get_by_text("Recordmade-in-error")).to_have_count(0)
        self.shot("erased records")
        assert not Person.objects.filter(pk=self.test_record.pk).exists()
        tombstone = AuditEvent.objects.get(action="person.erased")
        assert tombstone.person_id == self.test_record.pk and tombstone.actor_username == "dpo.a"

    def and_the_retention_and_restricted_pages_pass_their_checks(self):
        self.page.goto("/data-protection/retention/")
        expect(self.page.get_by_role("heading", level=1, name="Retention")).to_be_visible()
        self.shot("retention")
        self.page.goto("/data-protection/restricted/")
        expect(
            self.page.get_by_role("link", name=f"{self.person.full_name}, record {self.person.pk}")
        ).to_be_visible()
        self.shot("restricted records")
        self.page.goto(f"/data-protection/people/{self.person.pk}/lift/")
        expect(self.page.get_by_role("heading", level=1, name="Lift the restriction")).to_be_visible()
        self.shot("lift the restriction")
