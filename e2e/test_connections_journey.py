"""With the person beside them, a practitioner builds a connections map of eight entries using the keyboard
alone, records a tie, then at review starts a second map, changes it and reads what changed. Then the map,
downloaded as JSON, is imported as the first map of another person on the caseload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Route, expect

from connecting_people.accounts.models import User
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.people.tests.factories import PersonFactory
from e2e.journey import sign_in

# (name, kind, relationship, ring, supports ticked): the relationship is reached by pressing the down arrow on
# the select, so the order of CATEGORY_CHOICES decides how many presses.
CATEGORY_ORDER = [
    "family",
    "partner",
    "friend",
    "neighbour",
    "work_education",
    "community_group",
    "faith",
    "peer_support",
    "online",
    "services",
]
KIND_ORDER = ["person", "group", "place", "service"]
RING_ORDER = ["close", "middle", "outer"]
SUPPORT_ORDER = ["emotional", "practical", "information", "companionship", "advice"]
ENTRIES = [
    ("Mum", "person", "family", "close", {"emotional", "practical"}),
    ("Sam", "person", "friend", "close", {"companionship"}),
    ("Jo", "person", "friend", "middle", set()),
    ("K.P.", "person", "neighbour", "outer", {"practical"}),
    ("Allotment club", "group", "community_group", "middle", {"companionship"}),
    ("St Anne's", "place", "faith", "outer", set()),
    ("GP surgery", "service", "services", "outer", {"advice"}),
    ("Hearing Voices group", "group", "peer_support", "middle", {"emotional", "information"}),
]


@pytest.mark.e2e
class TestPractitionerBuildsAMapByKeyboard:
    def test_build_review_and_compare(self, tab, demo, tmp_path):
        self.tab, self.page = tab, tab.page
        worker = User.objects.get(username="practitioner.a")
        team = worker.memberships.get(role="practitioner").team
        self.person = PersonFactory(team=team, allocated_worker=worker, given_name="Robin", preferred_name="")
        self.other = PersonFactory(team=team, allocated_worker=worker, given_name="Alex", preferred_name="")
        self.downloads = tmp_path
        self.first_date = timezone.localdate() - timedelta(days=91)
        sign_in(tab, username="practitioner.a", password=demo.password)

        self.given_there_is_no_map_yet()
        self.when_i_start_the_map_dated_three_months_ago()
        for entry in ENTRIES:
            self.and_i_add(*entry)
        self.then_the_map_table_and_measures_show_eight_entries()
        self.when_i_record_that_sam_and_jo_know_each_other()
        self.then_the_tie_is_counted()

        self.when_i_start_a_new_map_today()
        self.then_it_starts_as_a_copy_of_the_first()
        self.when_i_take_gp_surgery_off_the_map()
        self.and_i_add("Choir", "group", "community_group", "middle", {"companionship"})
        self.and_i_move_jo_closer()
        self.then_the_compare_view_shows_what_was_kept_gained_and_lost()
        self.and_the_printout_reads_in_plain_english()

        self.when_i_download_the_map_as_json()
        self.and_i_open_the_import_page_for_another_person()
        self.then_the_page_works_before_and_after_its_script_enhances_the_file_upload()
        self.when_i_choose_the_downloaded_file_and_import_it()
        self.then_the_import_is_reported_and_the_map_is_there()

    # -- keyboard helpers -------------------------------------------------------------------------------

    def tab_to(self, selector: str, limit: int = 120) -> None:
        """Press Tab until the element `selector` finds (a Playwright selector) has the focus."""
        target = self.page.locator(selector).first
        expect(target).to_be_attached()
        for _ in range(limit):
            if target.evaluate("(element) => element === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {selector}")

    def arrow_to(self, index: int, *, checked_first: bool) -> None:
        """In a radio group the focus has just entered: select the option at `index` with arrow keys."""
        if not checked_first:
            self.page.keyboard.press("Space")
        for _ in range(index):
            self.page.keyboard.press("ArrowDown")

    # -- steps ------------------------------------------------------------------------------------------

    def given_there_is_no_map_yet(self):
        self.tab.goto(f"/people/{self.person.pk}/")
        self.tab_to("a[href$='/map/']")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Connections map")
        self.tab.check("map-empty")

    def when_i_start_the_map_dated_three_months_ago(self):
        for part, value in (
            ("day", self.first_date.day),
            ("month", self.first_date.month),
            ("year", self.first_date.year),
        ):
            self.tab_to(f"#id_taken_on_{part}")
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.type(str(value))
        self.tab_to("button[type=submit], input[type=submit]")
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Map started")
        self.tab.check("map-started")

    def and_i_add(self, label, kind, category, ring, supports):
        self.tab_to("#id_label")
        self.page.keyboard.type(label)
        self.page.keyboard.press("Tab")  # into the kind radios, on "Person", which is ticked already
        self.arrow_to(KIND_ORDER.index(kind), checked_first=True)
        self.page.keyboard.press("Tab")  # the relationship select
        for _ in range(CATEGORY_ORDER.index(category) + 1):  # past "Choose a relationship"
            self.page.keyboard.press("ArrowDown")
        expect(self.page.locator("#id_category")).to_have_value(category)
        self.page.keyboard.press("Tab")  # the ring radios, none ticked yet
        self.arrow_to(RING_ORDER.index(ring), checked_first=False)
        for support in sorted(supports, key=SUPPORT_ORDER.index):
            self.tab_to(f"#id_supports_{SUPPORT_ORDER.index(support)}")
            self.page.keyboard.press("Space")
        self.tab_to("form[action$='/add/'] button")
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(f"{label} added")
        expect(self.page.locator("#id_label")).to_be_focused()  # ready for the next entry

    def then_the_map_table_and_measures_show_eight_entries(self):
        expect(self.page.locator("svg.app-connections-map .app-map-entry")).to_have_count(8)
        table = self.page.get_by_role("table", name="8 entries, closest first")
        expect(table.locator("tbody tr")).to_have_count(8)
        expect(table.get_by_role("row", name="K.P.", exact=False)).to_contain_text("Outer")
        expect(self.page.locator(".nhsuk-summary-list")).to_contain_text("Entries on the map")
        snapshot = MapSnapshot.objects.get(person=self.person)
        assert snapshot.measures["size"] == 8
        assert snapshot.measures["categories_present"] == 7
        assert snapshot.measures["supports_covered"] == 5
        self.tab.check("map-eight-entries")

    def when_i_record_that_sam_and_jo_know_each_other(self):
        self.tab_to("a[href$='/ties/']:has-text('of Sam')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Ties of Sam")
        self.tab.check("map-ties")
        jo = MapEntry.objects.get(snapshot__person=self.person, label="Jo")
        self.tab_to(f"input[name=ties][value='{jo.pk}']")
        self.page.keyboard.press("Space")
        self.tab_to("button[type=submit], form button")
        self.page.keyboard.press("Enter")

    def then_the_tie_is_counted(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Ties for Sam saved")
        row = self.page.locator(".nhsuk-summary-list__row", has_text="Ties recorded between entries")
        expect(row).to_contain_text("1")
        expect(self.page.locator("svg.app-connections-map .app-connections-map__ties line")).to_have_count(1)

    def when_i_start_a_new_map_today(self):
        self.tab_to("a:has-text('Start a new map')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Start a new map")
        self.tab.check("map-new-snapshot")
        self.tab_to("form button")
        self.page.keyboard.press("Enter")

    def then_it_starts_as_a_copy_of_the_first(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("New map started")
        expect(
            self.page.get_by_role("table", name="8 entries, closest first").locator("tbody tr")
        ).to_have_count(8)
        first, second = MapSnapshot.objects.filter(person=self.person).order_by("taken_on")
        assert set(first.entries.values_list("key", flat=True)) == set(
            second.entries.values_list("key", flat=True)
        )
        self.tab.check("map-second-snapshot")

    def when_i_take_gp_surgery_off_the_map(self):
        self.tab_to("a:has-text('Remove GP surgery')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Take GP surgery off the map?")
        self.tab.check("map-remove")
        self.tab_to("button.nhsuk-button--warning")
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "GP surgery taken off"
        )

    def and_i_move_jo_closer(self):
        self.tab_to("a:has-text('Change Jo')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Change Jo")
        self.tab.check("map-change-entry")
        self.tab_to("#id_ring_1")  # "Middle", ticked: move up to "Close"
        self.page.keyboard.press("ArrowUp")
        expect(self.page.locator("#id_ring_0")).to_be_checked()
        self.tab_to("form button")
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Entry updated")

    def then_the_compare_view_shows_what_was_kept_gained_and_lost(self):
        self.tab_to("a:has-text('Compare with')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("What changed between")
        expect(self.page.locator("#gained")).to_contain_text("Choir")
        expect(self.page.locator("#lost")).to_contain_text("GP surgery")
        expect(self.page.locator("#kept")).to_contain_text("closer: was middle")
        measures = self.page.locator("#measure-changes")
        expect(
            measures.get_by_role("row", name="New community connections since the last map")
        ).to_contain_text("1")
        expect(measures.get_by_role("row", name="Services (category)")).to_contain_text("−1")
        self.tab.check("map-compare")

    def and_the_printout_reads_in_plain_english(self):
        self.tab_to("a:has-text('Back to the map')")
        self.page.keyboard.press("Enter")
        self.tab_to("a:has-text('Printable map')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your connections map")
        expect(self.page.locator("main")).to_contain_text(
            "Choir (community group). The group gives you companionship."
        )
        self.tab.check("map-printout")

    def when_i_download_the_map_as_json(self):
        self.tab_to("a:has-text('Back to the map')")
        self.page.keyboard.press("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Connections map")
        with self.page.expect_download() as download:
            self.page.get_by_role("link", name="Download as JSON").click()
        self.map_file = self.downloads / download.value.suggested_filename
        download.value.save_as(self.map_file)
        assert self.map_file.suffix == ".json" and self.map_file.stat().st_size > 0

    def and_i_open_the_import_page_for_another_person(self):
        self.tab.goto(f"/people/{self.other.pk}/map/")
        self.page.get_by_role("link", name="Or import a map from a file").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Import a connections map")

    def then_the_page_works_before_and_after_its_script_enhances_the_file_upload(self):
        # Before: the page as it comes from the server, the NHS.UK scripts kept from loading (as when they
        # fail to arrive): a plain file input with its label.
        def no_scripts(route: Route) -> None:
            route.abort()

        self.page.route("**/*.mjs", no_scripts)
        self.page.reload()
        expect(self.page.locator("input[type=file]#id_files")).to_be_visible()
        expect(self.page.locator(".nhsuk-file-upload__drop-button")).to_have_count(0)
        self.tab.check("map-import-before-script")
        # After: the component replaces the input with its button, which says what it does.
        self.page.unroute("**/*.mjs", no_scripts)
        self.page.reload()
        self.chooser = self.page.locator("button.nhsuk-file-upload__drop-button")
        expect(self.chooser).to_be_visible()
        self.tab.check("map-import")

    def when_i_choose_the_downloaded_file_and_import_it(self):
        with self.page.expect_file_chooser() as chooser:
            self.chooser.focus()
            self.page.keyboard.press("Enter")
        chooser.value.set_files(self.map_file)
        expect(self.chooser).to_contain_text(self.map_file.name)
        self.tab.check("map-import-file-chosen")
        self.page.get_by_role("button", name="Import", exact=True).click()

    def then_the_import_is_reported_and_the_map_is_there(self):
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text(
            "Map imported: 8 entries and 1 tie."
        )
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("imported")
        self.tab.check("map-imported")
        self.page.get_by_role("button", name="Go to the map").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Connections map")
        table = self.page.get_by_role("table", name="8 entries, closest first")
        expect(table.locator("tbody tr")).to_have_count(8)
        expect(table).to_contain_text("Choir")
        imported = MapSnapshot.objects.get(person=self.other)
        assert sorted(imported.entries.values_list("label", flat=True)) == sorted(
            MapSnapshot.objects.filter(person=self.person).latest("taken_on").entries.values_list(
                "label", flat=True
            )
        )
        self.tab.check("map-imported-map")
