"""With the person beside them, a practitioner builds a connections map in one place: eight entries (people, a
group, a place, a service) typed as names, two ties, one entry moved closer, one taken off and put back. Once by
keyboard alone, once with the mouse, counting every interaction as a person would (`Tab.count`); and once
adding an entry with JavaScript off. Then, at review, a second map from the first, changed and compared, and the
printout; the map downloaded as JSON and imported as another person's first map."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Route, expect

from connecting_people.accounts.models import User
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.people.tests.factories import PersonFactory
from e2e.journey import SCREENSHOT_DIR, Tab, sign_in

# The cycle's map: names only; relationship, kind and ring follow from the name (connections/lexicon.py).
ENTRIES = [
    ("Mum", "person", "family", "close"),
    ("Sam", "person", "friend", "middle"),
    ("Jo", "person", "friend", "middle"),
    ("Nan", "person", "family", "close"),
    ("Allotment society", "group", "community_group", "middle"),
    ("Library", "place", "community_group", "middle"),
    ("Care coordinator", "service", "services", "outer"),
    ("GP", "service", "services", "outer"),
]
TIES = [("Sam", "Jo"), ("Allotment society", "Library")]
MAP_BUDGET = 20  # 8 entries and 2 ties, the target for the map
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


def new_person(demo_worker: str = "practitioner.a"):
    worker = User.objects.get(username=demo_worker)
    team = worker.memberships.get(role="practitioner").team
    return PersonFactory(team=team, allocated_worker=worker, given_name="Robin", preferred_name="")


class MapSteps:
    """Steps on the map page both journeys take."""

    tab: Tab

    @property
    def page(self):
        return self.tab.page

    def entry(self, label):
        return self.page.locator(
            "svg.app-connections-map g.app-map-entry", has=self.page.locator(f"title:text-is('{label}')")
        )

    def notice(self):
        return self.page.locator("#map-notice")

    def announced(self):
        return self.page.locator("#map-announcer")

    def rows(self):
        return self.page.locator("table.app-map-table tbody tr")

    def check_both_widths(self, name):
        """axe at 1280 px and at 390 px, and nothing wider than the phone's screen."""
        self.tab.check(f"{name}-1280")
        self.page.set_viewport_size(PHONE)
        self.page.wait_for_timeout(250)  # the header folds its links into "More" once the resize settles
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        self.tab.check(f"{name}-390")
        self.page.set_viewport_size(LAPTOP)
        assert wide <= PHONE["width"], f"the page is {wide} px wide at 390 px: it scrolls sideways"

    def then_the_map_holds_the_eight_entries_and_two_ties(self, snapshot):
        expect(self.rows()).to_have_count(8)
        expect(self.page.locator("svg.app-connections-map line.app-map-tie")).to_have_count(2)
        stored = {
            row.label: (row.kind, row.category, row.ring)
            for row in MapEntry.objects.filter(snapshot=snapshot)
        }
        assert stored == {label: (kind, category, ring) for label, kind, category, ring in ENTRIES}
        assert MapTie.objects.filter(snapshot=snapshot).count() == 2
        snapshot.refresh_from_db()
        assert snapshot.measures["size"] == 8 and snapshot.measures["ties"] == 2


@pytest.mark.e2e
class TestBuildingTheMapByKeyboard(MapSteps):
    def test_keyboard_only(self, tab, demo):
        self.tab = tab
        self.person = new_person()
        sign_in(tab, username="practitioner.a", password=demo.password)
        self.tab.goto(f"/people/{self.person.pk}/map/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Connections map")
        self.check_both_widths("map-empty")

        self.tab.stage = "entries"
        self.when_i_type_each_name_and_press_enter()
        self.tab.stage = "ties"
        for a, b in TIES:
            self.when_i_tie_with_the_t_key(a, b)
        snapshot = MapSnapshot.objects.get(person=self.person)
        self.then_the_map_holds_the_eight_entries_and_two_ties(snapshot)
        self.check_both_widths("map-eight-entries")

        self.when_i_move_jo_closer_with_the_up_arrow()
        self.when_i_take_gp_off_with_delete_and_undo_with_enter()
        self.check_both_widths("map-undone")

        built = self.tab.counted("entries") + self.tab.counted("ties")
        print(f"\nmap by keyboard: {self.tab.tally()} (8 entries and 2 ties: {built})")
        assert self.tab.counted("entries") == 16  # a name and Enter each
        assert self.tab.counted("move") == 6 and self.tab.counted("remove and undo") == 2
        # Every Tab is counted too; moving between entries of the drawing is by Tab.
        assert built <= 30, self.tab.tally()

    def tab_to(self, selector: str, limit: int = 150) -> None:
        """Press Tab until `selector` has the focus, counting each press."""
        target = self.page.locator(selector).first
        expect(target).to_be_attached()
        for _ in range(limit):
            if target.evaluate("(element) => element === document.activeElement"):
                return
            self.tab.press("Tab")
        raise AssertionError(f"Tab never reached {selector}")

    def focused_entry(self) -> str:
        return self.page.evaluate("document.activeElement.querySelector('title')?.textContent || ''")

    def order(self) -> list[str]:
        """The entries' names in the drawing's order, which is their order for Tab."""
        return self.page.evaluate(
            "[...document.querySelectorAll('g.app-map-entry title')].map((title) => title.textContent)"
        )

    def tab_to_entry(self, label: str) -> None:
        """From wherever the focus is, Tab or Shift+Tab (each counted) to the entry `label` on the drawing. From
        the name box, Tab passes the Add button and the "Choose who or what" link, then reaches the drawing."""
        for _ in range(20):
            if self.focused_entry():
                break
            self.tab.press("Tab")
        order = self.order()
        key = "Tab" if order.index(label) > order.index(self.focused_entry()) else "Shift+Tab"
        for _ in range(len(order)):
            if self.focused_entry() == label:
                return
            self.tab.press(key)
        raise AssertionError(f"Tab never reached the entry {label}")

    def when_i_type_each_name_and_press_enter(self):
        box = self.page.locator("#id_label")
        box.focus()  # moving into the field is part of typing in it
        for number, (label, *_details) in enumerate(ENTRIES, start=1):
            expect(box).to_be_focused()
            self.tab.type(label)
            self.tab.press("Enter")
            expect(self.notice()).to_contain_text(f"{label} added to the map")
            expect(self.rows()).to_have_count(number)
            box = self.page.locator("#id_label")
        expect(box).to_be_focused()
        expect(box).to_have_value("")
        # Each entry got its relationship and ring from its name, and the last one's details are open.
        expect(self.page.locator("#entry-details-title")).to_have_text("GP")
        expect(self.page.locator("#entry_category")).to_have_value("services")

    def when_i_tie_with_the_t_key(self, a, b):
        self.tab_to_entry(a)
        self.tab.press("t")
        expect(self.announced()).to_contain_text(f"Tie {a} to")
        self.tab_to_entry(b)  # neighbours on the drawing (same ring and relationship): one Tab
        self.tab.press("t")
        expect(self.announced()).to_have_text(f"{a} and {b} tied.")
        expect(self.entry(a)).to_be_focused()

    def when_i_move_jo_closer_with_the_up_arrow(self):
        self.tab.stage = "getting around"
        self.tab_to_entry("Jo")
        self.tab.stage = "move"
        self.tab.press("ArrowUp")
        expect(self.announced()).to_have_text("Jo is now in the close ring, Friend.")
        expect(self.entry("Jo")).to_have_attribute("data-ring", "close")
        expect(self.entry("Jo")).to_be_focused()
        assert MapEntry.objects.get(label="Jo", snapshot__person=self.person).ring == "close"
        self.tab.press("ArrowDown")  # and back: the map stays as the cycle has it
        expect(self.entry("Jo")).to_have_attribute("data-ring", "middle")
        # Quick presses add up, each saved in turn (the second with the version the first produced).
        self.tab.press("ArrowRight", times=2)
        expect(self.entry("Jo")).to_have_attribute("data-sector", "work_education")
        expect(self.entry("Jo")).to_be_focused()
        self.tab.press("ArrowLeft", times=2)
        expect(self.entry("Jo")).to_have_attribute("data-sector", "friend")
        assert MapEntry.objects.get(label="Jo", snapshot__person=self.person).category == "friend"

    def when_i_take_gp_off_with_delete_and_undo_with_enter(self):
        self.tab.stage = "getting around"
        self.tab_to_entry("GP")
        self.tab.stage = "remove and undo"
        self.tab.press("Delete")
        expect(self.notice()).to_contain_text("GP taken off the map.")
        expect(self.page.get_by_role("button", name="Undo")).to_be_focused()
        assert not MapEntry.objects.filter(label="GP", snapshot__person=self.person).exists()
        self.tab.press("Enter")
        expect(self.notice()).to_contain_text("GP is back on the map.")
        expect(self.entry("GP")).to_be_focused()
        expect(self.rows()).to_have_count(8)


@pytest.mark.e2e
class TestBuildingTheMapWithTheMouse(MapSteps):
    def test_mouse_then_a_review(self, tab, demo, tmp_path):
        self.tab = tab
        self.person = new_person()
        self.first_date = timezone.localdate() - timedelta(days=91)
        sign_in(tab, username="practitioner.a", password=demo.password)
        self.tab.goto(f"/people/{self.person.pk}/map/")

        self.tab.stage = "start"
        self.when_i_start_the_map_three_months_ago()
        self.tab.stage = "entries"
        self.when_i_type_each_name()
        self.tab.stage = "ties"
        for a, b in TIES:
            self.when_i_drop(a, on=b)
            expect(self.notice()).to_have_text(f"Done: {a} and {b} tied.")
        snapshot = MapSnapshot.objects.get(person=self.person)
        self.then_the_map_holds_the_eight_entries_and_two_ties(snapshot)
        self.then_every_entry_has_a_touch_target()
        built = self.tab.counted("entries") + self.tab.counted("ties")
        print(f"\nmap with the mouse: {self.tab.tally()} (8 entries and 2 ties: {built})")
        assert built <= MAP_BUDGET, self.tab.tally()

        self.tab.stage = "untie and tie in the details"
        self.when_i_untie_and_tie_sam_and_jo_in_the_details()
        self.tab.stage = "move"
        self.when_i_drag_jo_into_the_close_ring()
        self.tab.stage = "change in place"
        self.when_i_make_nan_a_neighbour_in_the_details()
        self.tab.stage = "remove and undo"
        self.when_i_take_the_care_coordinator_off_and_undo()
        self.check_both_widths("map-mouse")
        self.tab.stage = "refused"
        self.when_a_name_is_refused_i_am_told_in_place()
        assert self.tab.counted("move") == 1 and self.tab.counted("remove and undo") == 2
        assert self.tab.counted("untie and tie in the details") == 3  # select, untick, tick

        self.tab.stage = ""
        self.when_i_start_a_new_map_today()
        self.and_change_it()
        self.then_the_compare_view_shows_what_was_kept_gained_and_lost()
        self.and_the_printout_reads_in_plain_english()

        self.downloads = tmp_path
        self.other = new_person()
        self.when_i_download_the_map_as_json()
        self.and_i_open_the_import_page_for_another_person()
        self.then_the_page_works_before_and_after_its_script_enhances_the_file_upload()
        self.when_i_choose_the_downloaded_file_and_import_it()
        self.then_the_import_is_reported_and_the_map_is_there()

    def when_i_start_the_map_three_months_ago(self):
        self.tab.click(self.page.get_by_text("Start the map on another date, or from a file"))
        for part, value in (
            ("day", self.first_date.day),
            ("month", self.first_date.month),
            ("year", self.first_date.year),
        ):
            self.tab.type_in(self.page.locator(f"#id_taken_on_{part}"), str(value))
        self.tab.click(self.page.get_by_role("button", name="Start the map"))
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("Map started")
        self.check_both_widths("map-started")

    def when_i_type_each_name(self):
        for number, (label, *_rest) in enumerate(ENTRIES, start=1):
            box = self.page.get_by_label("Name", exact=True).first
            if number == 1:
                self.tab.type_in(box, label)  # a click into the box and typing: one
            else:
                expect(box).to_be_focused()  # back in the box after each entry
                self.tab.type(label)
            self.tab.press("Enter")
            expect(self.notice()).to_contain_text(f"{label} added to the map")
            expect(self.rows()).to_have_count(number)

    def when_i_drop(self, a, *, on):
        self.tab.drag(self.entry(a), self.entry(on))

    def then_every_entry_has_a_touch_target(self):
        """The drawing's touch targets (render.py: 44 px where entries are that far apart, never overlapping) are
        what the pointer meets. On a laptop each passes WCAG 2.5.8 for the cycle's map: 24 px across, or its
        centre 24 px from every other's."""
        for size in (LAPTOP, PHONE):
            self.page.set_viewport_size(size)
            self.page.wait_for_timeout(100)
            targets = self.page.evaluate(
                """() => [...document.querySelectorAll('g.app-map-entry')].map((entry) => {
                    const shown = [...entry.querySelectorAll('.app-map-entry__target, .app-map-entry__hit')]
                        .find((target) => target.getClientRects().length > 0);
                    const box = shown.getBoundingClientRect();
                    return {x: box.x + box.width / 2, y: box.y + box.height / 2, px: Math.min(box.width, box.height)};
                })"""
            )
            print(
                f"\ntouch targets at {size['width']} px: {sorted(round(target['px']) for target in targets)}"
            )
            if size is LAPTOP:
                for target in targets:
                    apart = min(
                        ((other["x"] - target["x"]) ** 2 + (other["y"] - target["y"]) ** 2) ** 0.5
                        for other in targets
                        if other is not target
                    )
                    assert target["px"] >= 24 or apart >= 24, (target, apart)
        self.page.set_viewport_size(LAPTOP)

    def when_i_untie_and_tie_sam_and_jo_in_the_details(self):
        self.tab.click(self.entry("Sam"))
        expect(self.page.locator("#entry-details-title")).to_have_text("Sam")
        jo = self.page.locator("#entry-details").get_by_role("checkbox", name="Jo")
        expect(jo).to_be_checked()
        self.tab.click(jo)
        expect(self.notice()).to_have_text("Done: Sam and Jo no longer tied.")
        jo = self.page.locator("#entry-details").get_by_role("checkbox", name="Jo")
        expect(jo).not_to_be_checked()
        self.tab.click(jo)
        expect(self.notice()).to_have_text("Done: Sam and Jo tied.")

    def when_i_drag_jo_into_the_close_ring(self):
        self.tab.drag(
            self.entry("Jo"), self.page.locator(".app-map-zone[data-ring=close][data-sector=friend]")
        )
        expect(self.notice()).to_have_text("Done: Jo is now in the close ring, Friend.")
        expect(self.entry("Jo")).to_have_attribute("data-ring", "close")
        assert MapEntry.objects.get(label="Jo", snapshot__person=self.person).ring == "close"

    def when_i_make_nan_a_neighbour_in_the_details(self):
        self.tab.click(self.entry("Nan"))
        expect(self.page.locator("#entry-details-title")).to_have_text("Nan")
        self.tab.choose(self.page.locator("#entry_category"), "neighbour")
        expect(self.notice()).to_have_text("Done: Changes to Nan saved.")
        expect(self.entry("Nan")).to_have_attribute("data-sector", "neighbour")
        self.tab.choose(self.page.locator("#entry_category"), "family")  # as it was: the cycle's map
        expect(self.entry("Nan")).to_have_attribute("data-sector", "family")

    def when_i_take_the_care_coordinator_off_and_undo(self):
        self.tab.click(self.page.get_by_role("button", name="Remove Care coordinator"))
        expect(self.notice()).to_contain_text("Care coordinator taken off the map.")
        expect(self.rows()).to_have_count(7)
        assert "entry=" not in self.page.url  # reloading now would not ask for the entry taken off
        self.tab.click(self.page.get_by_role("button", name="Undo"))
        expect(self.notice()).to_have_text("Done: Care coordinator is back on the map.")
        expect(self.rows()).to_have_count(8)
        restored = MapEntry.objects.get(label="Care coordinator", snapshot__person=self.person)
        assert self.page.url.endswith(f"?entry={restored.pk}")

    def when_a_name_is_refused_i_am_told_in_place(self):
        box = self.page.get_by_label("Name", exact=True).first
        box.fill("Sam Jones")
        box.press("Enter")
        summary = self.page.locator(".nhsuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("For a person, enter a first name or initials, and at most the first letter")
        summary.get_by_role("link").click()
        box = self.page.get_by_label("Name", exact=True).first
        expect(box).to_be_focused()
        expect(box).to_have_value("Sam Jones")
        self.tab.check("map-refused-name")
        box.fill("")

    def when_i_start_a_new_map_today(self):
        self.page.get_by_role("link", name="Start a new map").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Start a new map")
        self.tab.check("map-new-snapshot")
        self.page.get_by_role("button").filter(has_text="Start").click()
        expect(self.page.locator(".nhsuk-notification-banner--success")).to_contain_text("New map started")
        expect(self.rows()).to_have_count(8)
        first, second = MapSnapshot.objects.filter(person=self.person).order_by("taken_on")
        assert set(first.entries.values_list("key", flat=True)) == set(
            second.entries.values_list("key", flat=True)
        )

    def and_change_it(self):
        self.page.get_by_role("button", name="Remove GP").click()
        expect(self.notice()).to_contain_text("GP taken off the map.")
        box = self.page.get_by_label("Name", exact=True).first
        box.fill("Choir")
        box.press("Enter")
        expect(self.notice()).to_contain_text(
            "Choir added to the map: group, the middle ring, Community group."
        )
        self.page.locator("#entry-details").get_by_role("checkbox", name="Companionship").click()
        expect(self.notice()).to_have_text("Done: Changes to Choir saved.")
        self.page.locator("#entry-details").get_by_role("checkbox", name="Companionship").is_checked()
        self.entry("Mum").focus()
        self.page.keyboard.press("ArrowDown")  # Mum a little further away now
        expect(self.announced()).to_have_text("Mum is now in the middle ring, Family.")

    def then_the_compare_view_shows_what_was_kept_gained_and_lost(self):
        self.page.get_by_role("link", name="Compare with").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("What changed between")
        expect(self.page.locator("#gained")).to_contain_text("Choir")
        expect(self.page.locator("#lost")).to_contain_text("GP")
        expect(self.page.locator("#kept")).to_contain_text("further: was close")
        measures = self.page.locator("#measure-changes")
        expect(
            measures.get_by_role("row", name="New community connections since the last map")
        ).to_contain_text("1")
        expect(measures.get_by_role("row", name="Services (category)")).to_contain_text("−1")
        self.tab.check("map-compare")

    def and_the_printout_reads_in_plain_english(self):
        self.page.get_by_role("link", name="Back to the map").click()
        self.page.get_by_role("link", name="Printable map").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your connections map")
        expect(self.page.locator("main")).to_contain_text(
            "Choir (community group). The group gives you companionship."
        )
        self.tab.check("map-printout")

    def when_i_download_the_map_as_json(self):
        self.page.get_by_role("link", name="Back to the map").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Connections map")
        with self.page.expect_download() as download:
            self.page.get_by_role("link", name="Download as JSON").click()
        self.map_file = self.downloads / download.value.suggested_filename
        download.value.save_as(self.map_file)
        assert self.map_file.suffix == ".json" and self.map_file.stat().st_size > 0

    def and_i_open_the_import_page_for_another_person(self):
        self.tab.goto(f"/people/{self.other.pk}/map/")
        self.page.get_by_text("Start the map on another date, or from a file").click()
        self.page.get_by_role("link", name="Import a map from a file").click()
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
            "Map imported: 8 entries and 2 ties."
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
            MapSnapshot.objects.filter(person=self.person)
            .latest("taken_on")
            .entries.values_list("label", flat=True)
        )
        self.tab.check("map-imported-map")


@pytest.mark.e2e
def test_adding_with_javascript_off(browser, live_server, demo):
    """Every step is a plain form: the first entry starts the map, the next reloads the page with it added, and
    taking one off offers an undo button that works the same way."""
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, java_script_enabled=False)
    tab = Tab(page=context.new_page())
    tab.listen()
    page = tab.page
    person = new_person()
    sign_in(tab, username="practitioner.a", password=demo.password)
    tab.goto(f"/people/{person.pk}/map/")
    tab.type_in(page.get_by_label("Name", exact=True), "Mum")
    tab.press("Enter")
    expect(page.locator("#map-notice")).to_have_text(
        "Done: Mum added to the map: person, the close ring, Family."
    )
    expect(page.locator("#entry-details-title")).to_have_text("Mum")
    tab.type_in(page.get_by_label("Name", exact=True).first, "Library")
    tab.press("Enter")
    expect(page.locator("#map-notice")).to_contain_text("Library added to the map: place")
    expect(page.locator("table.app-map-table tbody tr")).to_have_count(2)
    assert tab.counted() == 4  # two names, two Enters: no other step
    # The details panel saves with its own button when there is no script.
    page.locator("#entry_category").select_option("faith")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#map-notice")).to_have_text("Done: Changes to Library saved.")
    page.get_by_role("button", name="Remove Mum").click()
    expect(page.locator("#map-notice")).to_contain_text("Mum taken off the map.")
    shot(page, "map-no-script-undo-1280")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#map-notice")).to_have_text("Done: Mum is back on the map.")
    expect(page.locator("table.app-map-table tbody tr")).to_have_count(2)
    assert MapEntry.objects.get(label="Library", snapshot__person=person).category == "faith"
    page.set_viewport_size(PHONE)
    shot(page, "map-no-script-390")
    assert not tab.problems, tab.problems
    context.close()


def shot(page, name):
    """A screenshot (when E2E_SCREENSHOT_DIR is set). With scripts off axe cannot run in the page: these pages are
    the templates the journeys above check with axe, less the script's additions."""
    if SCREENSHOT_DIR:
        page.screenshot(path=f"{SCREENSHOT_DIR}/{name}.png", full_page=True)
