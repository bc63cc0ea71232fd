"""Helpers for tests of two people editing the same record: read the version a page hands out, and check
that a refused save says so on the page it lands on."""

import re

from django.test import Client

SAVED_BY_SOMEONE_ELSE = "Someone else saved changes here while you were editing"


def opened(user, url: str) -> tuple[Client, dict]:
    """A browser of `user` with `url` open: the client and the hidden fields the page's form carries."""
    browser = Client()
    browser.force_login(user)
    response = browser.get(url)
    assert response.status_code == 200, url
    return browser, hidden_fields(response.content.decode())


def hidden_fields(page: str) -> dict:
    """{name: value} of the page's hidden inputs other than the CSRF token."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrfmiddlewaretoken":
            found[name.group(1)] = value.group(1) if value else ""
    return found


def refused_as_stale(browser: Client, response) -> str:
    """Assert the save was refused because someone else saved first, and return the page the user lands on."""
    assert response.status_code in (200, 302), response.status_code
    page = browser.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    page = page or response.content.decode()
    assert SAVED_BY_SOMEONE_ELSE in page, page[:2000]
    return page
