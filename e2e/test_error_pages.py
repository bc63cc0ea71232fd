"""The service's error pages (400, 403, 404, 500) pass the accessibility check, signed out as a visitor sees
them. The page for a form that is out of date is checked in test_sign_in.py, where a journey reaches it."""

import logging

import pytest
from playwright.sync_api import expect

PAGES = [
    ("/test-errors/suspicious/", 400, "Sorry, the service could not read that request", "error-400"),
    ("/test-errors/refused/", 403, "You cannot do that here", "error-403"),
    ("/no-such-page/", 404, "Page not found", "error-404"),
    ("/test-errors/failed/", 500, "Sorry, there is a problem with the service", "error-500"),
]


@pytest.mark.e2e
class TestErrorPages:
    def test_each_error_page_passes_the_accessibility_check(self, tab, settings):
        # The project's URLs and handlers, with pages that fail on purpose (core/tests/error_urls.py).
        settings.ROOT_URLCONF = "connecting_people.core.tests.error_urls"
        request_log = logging.getLogger("django.request")
        level = request_log.level
        request_log.setLevel(logging.CRITICAL)  # the failures are on purpose
        try:
            for path, status, heading, name in PAGES:
                response = tab.goto(path)
                assert response is not None and response.status == status
                expect(tab.page.get_by_role("heading", level=1)).to_have_text(heading)
                tab.check(name)
        finally:
            request_log.setLevel(level)
