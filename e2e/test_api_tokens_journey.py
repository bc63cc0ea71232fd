"""A practitioner makes an API token on their tokens page, a program uses it to read their caseload, and they
revoke it; the API's interactive documents load from our own files with no complaint from the browser."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from e2e.journey import check_both_widths, sign_in


@pytest.mark.e2e
class TestApiToken:
    def test_make_use_and_revoke_a_token(self, tab, demo, live_server):
        self.tab, self.page, self.demo, self.base = tab, tab.page, demo, live_server.url

        self.given_i_am_signed_in_as_a_practitioner()
        self.when_i_open_api_tokens_from_the_account_menu()
        self.and_i_make_a_token_that_reads_my_caseload()
        self.then_it_is_shown_once_with_an_example_call()
        self.and_a_program_reads_my_caseload_with_it()
        self.when_i_revoke_it()
        self.then_the_program_is_refused()
        self.and_the_api_documents_load_from_our_own_files()

    def given_i_am_signed_in_as_a_practitioner(self):
        sign_in(self.tab, username="practitioner.a", password=self.demo.password)

    def when_i_open_api_tokens_from_the_account_menu(self):
        self.page.get_by_role("link", name="API tokens").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("API tokens")
        expect(self.page.get_by_text("You have no tokens.")).to_be_visible()
        check_both_widths(self.tab, "api-tokens")

    def and_i_make_a_token_that_reads_my_caseload(self):
        self.page.get_by_label("What is the token for?").fill("Weekly caseload report")
        self.page.get_by_label("Read the records of people in your caseloads").check()
        self.page.get_by_role("button", name="Make a token").click()

    def then_it_is_shown_once_with_an_example_call(self):
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Weekly caseload report")
        self.token = self.page.locator("#new-token").inner_text().strip()
        assert re.fullmatch(r"cp_[0-9a-f]{10}_[A-Za-z0-9_-]{40,}", self.token)
        expect(self.page.locator("pre code")).to_contain_text(f"Bearer {self.token}")
        expect(self.page.get_by_role("cell", name=re.compile(r"^Weekly caseload report \(cp_"))).to_be_visible()
        check_both_widths(self.tab, "api-token-made")

    def _call(self, path: str):
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the test's own server
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def and_a_program_reads_my_caseload_with_it(self):
        status, body = self._call("/api/v1/people?limit=5")
        assert status == 200 and 1 <= len(body["items"]) <= 5
        assert all({"id", "given_name", "version"} <= set(person) for person in body["items"])

    def when_i_revoke_it(self):
        self.page.goto(self.base + "/accounts/tokens/")
        self.page.get_by_role("button", name=re.compile("Revoke")).click()
        expect(self.page.get_by_text(re.compile("revoked: it no longer works"))).to_be_visible()
        expect(self.page.get_by_role("cell", name=re.compile("^Revoked"))).to_be_visible()
        check_both_widths(self.tab, "api-token-revoked")

    def then_the_program_is_refused(self):
        status, body = self._call("/api/v1/people")
        assert status == 401 and body["code"] == "token_required"

    def and_the_api_documents_load_from_our_own_files(self):
        outside = []
        self.page.on(
            "request", lambda request: outside.append(request.url) if not request.url.startswith(self.base) else None
        )
        self.page.goto(self.base + "/api/v1/docs")
        expect(self.page.locator(".swagger-ui .info .title")).to_contain_text("Connecting People API")
        expect(self.page.get_by_text("/api/v1/people").first).to_be_visible()
        assert outside == []
        assert self.tab.problems == []
