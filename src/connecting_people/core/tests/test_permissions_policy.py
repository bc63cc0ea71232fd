"""Every response tells the browser the service uses no camera, microphone, location, payment, USB and the like,
so neither an injected script nor an embedded frame can ask for them."""

import pytest

# Features a browser would otherwise let a page request or a frame be granted.
MUST_BE_DENIED = {"camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "display-capture"}


def denied(response) -> set[str]:
    """The features the Permissions-Policy header allows to nobody (`feature=()`)."""
    rules = [rule.strip() for rule in response["Permissions-Policy"].split(",")]
    return {rule.removesuffix("=()") for rule in rules if rule.endswith("=()")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/accounts/sign-in/", id="page"),
        pytest.param("/people/", id="redirect-to-sign-in"),
        pytest.param("/no-such-page/", id="not-found"),
        pytest.param("/healthz", id="health-check"),
    ],
)
def test_every_response_denies_powerful_browser_features(client, path):
    response = client.get(path)
    assert MUST_BE_DENIED <= denied(response)
    assert "self" not in response["Permissions-Policy"] and "*" not in response["Permissions-Policy"]


def test_signed_in_pages_deny_them_too(client, org):
    client.force_login(org.practitioner)
    response = client.get("/people/")
    assert response.status_code == 200
    assert MUST_BE_DENIED <= denied(response)
