"""With DEBUG off, as in production, every error answers an NHS.UK page in plain words, for signed-in and
anonymous users alike, and none of them shows why in detail (that goes to the log).

A form sent without a valid CSRF token gets its own page (CSRF_FAILURE_VIEW) saying what probably happened and
what to do, instead of Django's page, which names the failed check."""

import logging
import re

import pytest
from django.test import Client, override_settings

from connecting_people.core.tests.error_urls import SECRET_DETAIL

NHS_PAGE = ('class="nhsuk-header', 'href="/static/nhsuk/css/app.css"', 'class="nhsuk-footer')
CSRF_SENTENCE = (
    "The page you sent from was out of date or opened somewhere else. Go back, reload the page and try again."
)
# What Django's own CSRF page and its reasons say: none of it may reach ours.
CSRF_DETAILS = ("CSRF", "Referer", "referer", "cookie", "token", "Forbidden (403)", "REASON")


def assert_nhs_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for marker in NHS_PAGE:
        assert marker in page, marker
    assert f"<h1>{heading}</h1>" in page
    return page


def main(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.fixture
def quiet():
    """The refusals are logged as warnings and errors on purpose: keep them out of the test output."""
    names = ("django.request", "django.security")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_a_form_without_its_token_gets_our_page_in_plain_words(org, signed_in, quiet):
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(org.practitioner)
    path = "/people/new/" if signed_in else "/accounts/sign-in/"
    assert client.get(path).status_code == 200  # the form is there, and with it a valid cookie
    response = client.post(path, {"username": "someone", "password": "something"})
    page = assert_nhs_page(response, 403, "Your form was not sent")
    assert CSRF_SENTENCE in page
    content = main(page)
    for detail in CSRF_DETAILS:
        assert detail not in content, detail
    # The header says who is signed in, as on every page, and nobody when nobody is.
    assert ("Sign out" in page) is signed_in


@pytest.mark.django_db
def test_a_form_with_its_token_is_not_refused(org):
    """The check above is the token's: the same post with the token goes through to the form."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.practitioner)
    form = client.get("/people/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    response = client.post("/people/new/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="connecting_people.core.tests.error_urls")
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize(
    "path, status, heading",
    [
        ("/test-errors/suspicious/", 400, "Sorry, the service could not read that request"),
        ("/test-errors/refused/", 403, "You cannot do that here"),
        ("/no-such-page/", 404, "Page not found"),
        ("/test-errors/failed/", 500, "Sorry, there is a problem with the service"),
    ],
    ids=["400", "403", "404", "500"],
)
def test_errors_answer_nhs_pages_without_details(org, signed_in, path, status, heading, quiet):
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(org.practitioner)
    page = assert_nhs_page(client.get(path), status, heading)
    assert SECRET_DETAIL not in page
    assert "Traceback" not in page


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_request_for_another_host_answers_a_400_nhs_page(quiet):
    response = Client().get("/accounts/sign-in/", HTTP_HOST="not-this-service.example")
    page = assert_nhs_page(response, 400, "Sorry, the service could not read that request")
    assert "not-this-service.example" not in page
