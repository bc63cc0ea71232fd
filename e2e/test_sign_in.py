"""Signing in: the wrong password, MFA set-up with a one-time set-up code, lockout and the network limit."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from connecting_people.accounts.tests.test_security import current_code
from e2e.journey import SCREENSHOT_DIR, error_summary_items, sign_in


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
        snap(self.tab, "sign-in")

    def when_i_sign_in_as_with_the_wrong_password(self, username):
        sign_in(self.tab, username=username, password=self.demo.password + "-wrong")

    def then_the_error_summary_says_the_username_or_password_is_wrong(self):
        expect(self.page).to_have_title(re.compile(r"^Error: Sign in"))
        assert error_summary_items(self.page) == [
            "Enter a correct username and password. Both are case-sensitive."
        ]
        expect(self.page.get_by_label("Username")).to_have_value("practitioner.a")
        expect(self.page.get_by_label("Password")).to_have_value("")
        snap(self.tab, "sign-in-error")

    def and_i_am_not_signed_in(self):
        expect(self.page.get_by_role("link", name="Sign out")).to_have_count(0)
        self.tab.goto("/people/")
        expect(self.page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/people/"))


# --- MFA with set-up codes, lockout, the network limit and the access review ------------------------------------


def snap(tab, name: str) -> None:
    """The axe check (and its 1280 px screenshot), plus a 390 px screenshot when screenshots are kept."""
    tab.check(name)
    if SCREENSHOT_DIR:
        size = tab.page.viewport_size
        tab.page.set_viewport_size({"width": 390, "height": 844})
        tab.page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}-390.png"), full_page=True)
        tab.page.set_viewport_size(size)


@pytest.mark.e2e
class TestSettingUpMfaWithASetUpCode:
    def test_first_administrator_then_a_practitioner_set_up_their_security_code(
        self, tab, demo, browser, settings
    ):
        settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
        self.tab, self.page, self.demo, self.browser = tab, tab.page, demo, browser

        self.given_the_first_administrator_has_a_set_up_code_from_the_command_line()
        self.when_they_sign_in_with_their_password()
        self.then_they_are_asked_for_the_set_up_code_not_shown_a_secret()
        self.when_they_enter_a_wrong_set_up_code()
        self.then_the_error_summary_says_it_is_not_right()
        self.when_they_enter_the_right_set_up_code()
        self.then_they_see_the_qr_code_once()
        self.when_they_enter_the_code_from_their_app()
        self.then_they_reach_their_home_page()

        self.when_they_make_a_set_up_code_for("practitioner.a")
        self.then_the_code_is_shown_once()
        self.and_they_can_review_privileged_access()

        self.then_the_practitioner_can_set_up_with_that_code("practitioner.a")

    def given_the_first_administrator_has_a_set_up_code_from_the_command_line(self):
        out = StringIO()
        call_command("mfa", "enrolment-code", "admin", stdout=out)
        self.admin_code = out.getvalue().split(": ", 1)[1].split()[0]

    def when_they_sign_in_with_their_password(self):
        sign_in(self.tab, username="admin", password=self.demo.password)

    def then_they_are_asked_for_the_set_up_code_not_shown_a_secret(self):
        expect(self.page).to_have_url(re.compile(r"/accounts/security-code/"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Set up your security code")
        expect(self.page.get_by_label("Set-up code")).to_be_visible()
        expect(self.page.get_by_text("Setup key")).to_have_count(0)
        snap(self.tab, "mfa-set-up-code")

    def when_they_enter_a_wrong_set_up_code(self):
        self.page.get_by_label("Set-up code").fill("AAAA-BBBB-CCCC")
        self.page.get_by_role("button", name="Continue").click()

    def then_the_error_summary_says_it_is_not_right(self):
        assert error_summary_items(self.page) == ["The set-up code is not right. Check it and try again."]
        snap(self.tab, "mfa-set-up-code-error")

    def when_they_enter_the_right_set_up_code(self):
        self.page.get_by_label("Set-up code").fill(self.admin_code.lower())
        self.page.get_by_role("button", name="Continue").click()

    def then_they_see_the_qr_code_once(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Scan the QR code")
        expect(self.page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
        snap(self.tab, "mfa-scan")

    def when_they_enter_the_code_from_their_app(self, username="admin"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=False)
        self.page.get_by_label("Security code").fill(current_code(device))
        self.page.get_by_role("button", name="Continue").click()

    def then_they_reach_their_home_page(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Hello, Ada")

    def when_they_make_a_set_up_code_for(self, username):
        self.page.get_by_role(
            "link", name="Make a set-up code so someone can set up their security code"
        ).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Set-up codes for security codes")
        snap(self.tab, "set-up-codes")
        self.page.get_by_label("Username of the member of staff").fill(username)
        self.page.get_by_role("button", name="Make a set-up code").click()

    def then_the_code_is_shown_once(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^\s*Set-up code for "))
        self.practitioner_code = self.page.locator("#set-up-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", self.practitioner_code)
        snap(self.tab, "set-up-code-shown")
        self.tab.goto("/accounts/set-up-codes/")
        expect(self.page.get_by_text(self.practitioner_code)).to_have_count(0)
        expect(self.page.get_by_text("Waiting, until")).to_be_visible()

    def and_they_can_review_privileged_access(self):
        self.tab.goto("/")
        self.page.get_by_role("link", name="Review who holds privileged access").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Privileged access review")
        expect(self.page.get_by_role("heading", name="Team lead", exact=True)).to_be_visible()
        snap(self.tab, "access-review")
        self.page.get_by_label("Note (optional)").fill("First review after go-live")
        self.page.get_by_role("button", name="I have reviewed this list").click()
        expect(self.page.get_by_text("Your review is recorded.")).to_be_visible()
        snap(self.tab, "access-review-recorded")

    def then_the_practitioner_can_set_up_with_that_code(self, username):
        context = self.browser.new_context(base_url=self.page.url.split("/accounts")[0].rstrip("/"))
        other = type(self.tab)(page=context.new_page())
        other.listen()
        try:
            sign_in(other, username=username, password=self.demo.password)
            other.page.get_by_label("Set-up code").fill(self.practitioner_code)
            other.page.get_by_role("button", name="Continue").click()
            expect(other.page.get_by_role("heading", level=1)).to_have_text("Scan the QR code")
            device = TOTPDevice.objects.get(user__username=username, confirmed=False)
            other.page.get_by_label("Security code").fill(current_code(device))
            other.page.get_by_role("button", name="Continue").click()
            expect(other.page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))
            other.page.context.close()
        finally:
            context.close()


@pytest.mark.e2e
class TestTooManyFailedSignIns:
    def test_the_account_locks_then_the_network_pauses(self, tab, demo, settings):
        settings.AXES_FAILURE_LIMIT = 5
        settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT = 7
        self.tab, self.page, self.demo = tab, tab.page, demo

        self.when_i_get_the_password_wrong_five_times_for("practitioner.a")
        self.then_the_account_is_locked()
        self.when_wrong_passwords_for_other_usernames_follow_from_the_same_network(2)
        self.then_signing_in_from_this_network_is_paused()

    def when_i_get_the_password_wrong_five_times_for(self, username):
        for _ in range(5):
            sign_in(self.tab, username=username, password="not-the-password")

    def then_the_account_is_locked(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your account is locked for now")
        snap(self.tab, "locked-out")

    def when_wrong_passwords_for_other_usernames_follow_from_the_same_network(self, count):
        for n in range(count):
            sign_in(self.tab, username=f"nobody{n}", password="not-the-password")
        sign_in(self.tab, username="lead.a", password=self.demo.password)

    def then_signing_in_from_this_network_is_paused(self):
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Too many failed sign-ins from your network"
        )
        expect(self.page.get_by_role("link", name="Sign out")).to_have_count(0)
        snap(self.tab, "address-blocked")


# --- a form that is out of date -------------------------------------------------------------------------------


@pytest.mark.e2e
class TestAFormThatIsOutOfDate:
    """A form sent without a valid security token (the browser forgot its cookies, or the user signed in again in
    another tab) is refused with a page that says what happened and what to do, and doing it works."""

    def test_the_refusal_says_what_to_do_and_doing_it_works(self, tab, demo):
        self.tab, self.page, self.demo = tab, tab.page, demo

        self.given_i_opened_the_sign_in_page()
        self.and_the_browser_then_forgot_its_cookies()
        self.when_i_sign_in()
        self.then_the_page_says_the_form_was_not_sent(signed_in=False)
        self.when_i_go_back_reload_and_sign_in_again()
        self.then_i_am_signed_in()

        self.when_i_send_a_form_whose_token_no_longer_matches()
        self.then_the_page_says_the_form_was_not_sent(signed_in=True)
        self.and_nothing_was_saved()

    def given_i_opened_the_sign_in_page(self):
        self.tab.goto("/accounts/sign-in/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")

    def and_the_browser_then_forgot_its_cookies(self):
        self.page.context.clear_cookies()

    def when_i_sign_in(self):
        self.page.get_by_label("Username").fill("practitioner.a")
        self.page.get_by_label("Password").fill(self.demo.password)
        self.page.get_by_role("button", name="Sign in").click()

    def then_the_page_says_the_form_was_not_sent(self, *, signed_in: bool):
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
        expect(self.page.locator("main")).to_contain_text(
            "The page you sent from was out of date or opened somewhere else. Go back, reload the page and try "
            "again."
        )
        expect(self.page.locator("main")).not_to_contain_text("CSRF")
        expect(self.page.get_by_role("link", name="Sign out")).to_have_count(1 if signed_in else 0)
        snap(self.tab, "form-not-sent-signed-in" if signed_in else "form-not-sent")

    def when_i_go_back_reload_and_sign_in_again(self):
        self.page.go_back()
        self.page.reload()
        self.when_i_sign_in()

    def then_i_am_signed_in(self):
        expect(self.page.get_by_role("link", name="Sign out")).to_be_visible()

    def when_i_send_a_form_whose_token_no_longer_matches(self):
        from connecting_people.people.models import Person

        self.people_before = Person.objects.count()
        self.page.get_by_role("link", name="Add a person").first.click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Add a person")
        # As after signing in again in another tab: the browser's token is a new one, the form's the old one.
        (cookie,) = [c for c in self.page.context.cookies() if "csrf" in c["name"]]
        self.page.context.add_cookies([{**cookie, "value": "x" * len(cookie["value"])}])
        self.page.get_by_label("Given name").fill("Sam")
        self.page.get_by_role("button", name="Add person").click()

    def and_nothing_was_saved(self):
        from connecting_people.people.models import Person

        assert Person.objects.count() == self.people_before
