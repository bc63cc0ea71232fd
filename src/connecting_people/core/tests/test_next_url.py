"""`?next=`: after a save, back to the page that opened the form, but only ever to a page of this site."""

import pytest
from django.test import RequestFactory

from connecting_people.core.forms import next_url


@pytest.mark.parametrize(
    "given",
    [
        "/people/4/plan/reviews/new/",
        "/people/4/plan/reviews/new/?x=1#map",
    ],
)
def test_a_path_on_this_site_is_kept(given):
    assert next_url(RequestFactory().get("/", {"next": given})) == given
    assert next_url(RequestFactory().post("/", {"next": given})) == given


@pytest.mark.parametrize(
    "given",
    [
        "",
        "https://example.org/",
        "//example.org/",
        "/\\example.org/",
        "\\\\example.org",
        "/\t/example.org/",
        "/ /example.org",
        "javascript:alert(1)",
        "people/4/",  # relative: where it lands depends on the page
        "http://testserver/people/4/",  # this site, but spelled with a host: refused all the same
        "/" + "a" * 600,
    ],
)
def test_anything_else_is_ignored(given):
    assert next_url(RequestFactory().get("/", {"next": given})) is None
