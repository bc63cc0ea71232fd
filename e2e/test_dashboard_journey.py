"""A team lead reads their team's dashboard, asks for a period the wrong way round and then a right one, and an
implementation lead compares the trust's teams side by side, with small numbers hidden, for a calendar period
chosen from a list."""

import pytest
from playwright.sync_api import expect

from e2e.journey import error_summary_items, sign_in


@pytest.mark.e2e
class TestDashboards:
    def test_team_lead_reads_the_team_dashboard(self, tab, demo):
        self.tab, self.page = tab, tab.page
        sign_in(tab, username="lead.a", password=demo.password)
        self.page.get_by_role("link", name="Where your team has got to", exact=False).click()
        self.tab.check("implementation-index-lead")
        self.page.get_by_role("link", name="team dashboard", exact=False).first.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Team dashboard")
        indicators = self.page.get_by_role("table", name="Practice indicators for the period")
        expect(indicators.locator("tbody tr")).to_have_count(8)
        expect(indicators).to_contain_text("Connections map within 28 days of allocation")
        expect(
            self.page.get_by_role("table", name="Each indicator month by month").locator("thead th")
        ).to_have_count(13)
        expect(self.page.locator("#overdue + dl")).to_contain_text("Open cases")
        self.tab.check("team-dashboard")

        for part, value in (("day", "1"), ("month", "3"), ("year", "2026")):
            self.page.locator(f"#id_start_{part}").fill(value)
        for part, value in (("day", "1"), ("month", "2"), ("year", "2026")):
            self.page.locator(f"#id_end_{part}").fill(value)
        self.page.get_by_role("button", name="Show this period").click()
        assert "The end of the period must be on or after its start" in error_summary_items(self.page)
        self.tab.check("team-dashboard-bad-period")
        self.page.locator("#id_end_month").fill("4")
        self.page.get_by_role("button", name="Show this period").click()
        expect(
            self.page.get_by_role("heading", name="Practice, 1 March 2026 to 1 April 2026")
        ).to_be_visible()

        with self.page.expect_download() as download:
            self.page.get_by_role("link", name="Download these numbers (CSV)").click()
        content = open(download.value.path(), encoding="utf-8").read()
        assert content.startswith("team_id,team,start,end,measure,value")
        assert "map_within_28_days" in content

    def test_implementation_lead_compares_teams(self, tab, demo):
        self.tab, self.page = tab, tab.page
        sign_in(tab, username="impl.lead", password=demo.password)
        self.page.get_by_role("link", name="Where each team has got to", exact=False).click()
        self.page.get_by_role("link", name="teams side by side", exact=False).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Teams side by side")
        table = self.page.get_by_role("table", name="Each team's indicators", exact=False)
        expect(table.locator("thead th")).to_have_count(3)  # the measure, then the demo's two teams
        expect(table).to_contain_text("Fewer than 5")  # the smaller team's counts are hidden
        self.tab.check("trust-dashboard")
        assert "/people/" not in self.page.content().split("<main")[1]

        # Only whole calendar periods that have ended can be chosen: no dates to type.
        expect(self.page.locator("#id_start_day")).to_have_count(0)
        choice = self.page.get_by_label("Period")
        options = choice.locator("option")
        expect(options.first).to_contain_text("(quarter)")
        month = next(text for text in options.all_inner_texts() if text.endswith("(month)"))
        choice.select_option(label=month)
        self.page.get_by_role("button", name="Show this period").click()
        expect(self.page.get_by_role("heading", level=2).first).to_contain_text(month.removesuffix(" (month)"))
        self.tab.check("trust-dashboard-month")
