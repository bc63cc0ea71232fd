"""Signing in with the wrong password."""

import re

import pytest
from playwright.sync_api import expect

from e2e.journey import error_summary_items, sign_in


@pytest.mark.e2e
class TestWrongPassword:
    def test_wrong_password_shows_the_error_summary(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo

        self.given_i_am_on_the_sign_in_page()
        self.when_i_sign_in_as_with_the_wrong_password("practitioner.a")
        self.then_the_error_summary_says_the_username_or_password_is_wrong()
        self.and_i_am_not_signed_in()

    def given_i_am_on_the_sign_in_page(self):
        self.tab.goto("/")  # anyone signed out is sent to sign in
        expect(self.page).to_have_url(re.compile(r"/accounts/sign-in/"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")
        self.tab.check("sign-in")

    def when_i_sign_in_as_with_the_wrong_password(self, username):
        sign_in(self.tab, username=username, password=self.demo.password + "-wrong")

    def then_the_error_summary_says_the_username_or_password_is_wrong(self):
        expect(self.page).to_have_title(re.compile(r"^Error: Sign in"))
        assert error_summary_items(self.page) == [
            "Enter a correct username and password. Both are case-sensitive."
        ]
        expect(self.page.get_by_label("Username")).to_have_value("practitioner.a")
        expect(self.page.get_by_label("Password")).to_have_value("")
        self.tab.check("sign-in-error")

    def and_i_am_not_signed_in(self):
        expect(self.page.get_by_role("link", name="Sign out")).to_have_count(0)
        self.tab.goto("/people/")
        expect(self.page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/people/"))
