"""Production serves: the smoke test of a deployment made the way the README says.

The built assets are collected under production settings into a fresh home folder; a fresh database is migrated
(PostgreSQL in the PostgreSQL pass of `make test`, else SQLite) and given the demo data (loaded with local
settings, because `demo` refuses production); then gunicorn serves it under production settings on a free port.
The test signs in with a password and an authenticator code, as a team lead and as a researcher, opens the
caseload, a person, their map, the team dashboard and a study, and fetches every stylesheet, script, icon and
image those pages link, and every file those stylesheets and scripts refer to in turn.

Requests go to gunicorn as the TLS proxy hands them on: with `X-Forwarded-Proto: https` and the original Host.
Production marks cookies Secure, which an HTTP client would rightly refuse to send over plain HTTP, so the
test keeps its cookies itself.
"""

import http.client
import json
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django_otp.oath import totp

from connecting_people.core.tests.deployment import (
    BIN_DIR,
    connecting_people,
    environment,
    fresh_database,
    require_built_assets,
)

pytestmark = pytest.mark.deployment

PASSWORD = "smoke-test-" + secrets.token_urlsafe(12)
LEAD = "lead.a"
RESEARCHER = "researcher.a"

# What each kind of file must be served as. A module script served as anything but JavaScript is refused by
# the browser, and then none of the design system's behaviour works.
CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".woff": "application/font-woff",
}


# --- set-up: the one place that prepares the deployment and the people who sign in -----------------------


@dataclass
class Deployment:
    home: Path
    production: dict[str, str]  # the environment of every production process
    totp_keys: dict[str, str] = field(default_factory=dict)  # username -> hex key of their authenticator
    seconds: dict[str, float] = field(default_factory=dict)  # how long each step took


def prepare(home: Path, database_url: str) -> Deployment:
    """Do what a deployer does before serving (README "Deploying"), then what the test needs on top: the demo
    data, and an authenticator with a known key for each account that signs in.

    When sign-in or production settings change (an enrolment code, trusted proxy addresses, an audit key), change
    the set-up here, and the processes' environment in `deployment.environment` (which already gives every
    process CONNECTING_PEOPLE_AUDIT_KEY_FILE and CONNECTING_PEOPLE_STUDY_KEY_FILE, each a file of its own).
    """
    production = environment(home, database_url, settings="production")
    local = environment(home, database_url, settings="local", CONNECTING_PEOPLE_DEMO_PASSWORD=PASSWORD)
    deployment = Deployment(home=home, production=production)
    with timed(deployment, "collectstatic"):
        connecting_people("collectstatic", "--noinput", env=production)
    with timed(deployment, "check --deploy"):
        connecting_people("check", "--deploy", "--fail-level", "WARNING", env=production)
    with timed(deployment, "migrate"):
        connecting_people("migrate", "--noinput", env=production)
    with timed(deployment, "demo data and authenticators"):
        connecting_people("demo", env=local)
        deployment.totp_keys = {username: secrets.token_hex(20) for username in (LEAD, RESEARCHER)}
        give_authenticators(deployment.totp_keys, env=local)
    return deployment


_GIVE_AUTHENTICATORS = """
import json, os
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from connecting_people.accounts.models import User
with transaction.atomic():
    for username, key in json.loads(os.environ["SMOKE_TOTP_KEYS"]).items():
        user = User.objects.get(username=username)
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="Smoke test", key=key, confirmed=True)
"""


def give_authenticators(keys: dict[str, str], *, env: dict[str, str]) -> None:
    """Each account gets a confirmed authenticator app with the given key, as after enrolment."""
    connecting_people("shell", "-c", _GIVE_AUTHENTICATORS, env=env | {"SMOKE_TOTP_KEYS": json.dumps(keys)})


@contextmanager
def timed(deployment: Deployment, step: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    deployment.seconds[step] = round(time.monotonic() - started, 2)


# --- serving --------------------------------------------------------------------------------------------


@contextmanager
def gunicorn(deployment: Deployment) -> Iterator[int]:
    """gunicorn as the README runs it, on a free port (the kernel's choice); yields the port."""
    log_path = deployment.home / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN_DIR / "gunicorn"),
                "connecting_people.config.wsgi",
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "2",
            ],
            env=deployment.production,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with timed(deployment, "gunicorn start"):
            port = _wait_until_listening(process, log_path)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log_path.read_text()
    assert "Traceback" not in text and "ERROR" not in text, f"gunicorn logged errors:\n{text}"


def _wait_until_listening(process: subprocess.Popen, log_path: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"gunicorn stopped (exit {process.returncode}):\n{log_path.read_text()}", pytrace=False
            )
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_path.read_text())
        if found:
            port = int(found[1])
            try:
                if Visitor(port).get("/healthz").status == 200:
                    return port
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within 30 s:\n{log_path.read_text()}", pytrace=False)


# --- a browser, as gunicorn sees it behind the proxy ----------------------------------------------------


@dataclass
class Answer:
    path: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()


class Visitor:
    """Sends requests as the TLS proxy passes them on, and keeps cookies as a browser on HTTPS would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def get(self, path: str, *, proxied: bool = True) -> Answer:
        return self._send("GET", path, proxied=proxied)

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{self.host}"}
        return self._send("POST", path, body=body, headers=headers)

    def follow(self, answer: Answer) -> Answer:
        """Follow redirects (to this site only) to the page at the end."""
        for _ in range(5):
            if answer.status not in (301, 302, 303):
                return answer
            location = urljoin(f"https://{self.host}{answer.path}", answer.headers["Location"])
            assert urlsplit(location).netloc == self.host, f"redirected off the site, to {location}"
            target = urlsplit(location)
            answer = self.get(target.path + (f"?{target.query}" if target.query else ""))
        pytest.fail(f"too many redirects from {answer.path}")

    def page(self, path: str) -> Answer:
        answer = self.follow(self.get(path))
        assert answer.status == 200, f"{path} answered {answer.status}:\n{answer.body[:2000]!r}"
        assert answer.content_type == "text/html"
        return answer

    def _send(self, method: str, path: str, *, body=None, headers=None, proxied: bool = True) -> Answer:
        headers = {"Host": self.host, **(headers or {})}
        if proxied:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(path, response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                assert morsel["secure"], f"{path} set the cookie {name} without Secure"
                if morsel["max-age"] == "0" or not morsel.value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        assert answer.status < 500, f"{method} {path} answered {answer.status}:\n{answer.body[:2000]!r}"
        return answer


def csrf_token(page: Answer) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token in the form on {page.path}"
    return found[1]


def sign_in(visitor: Visitor, username: str, totp_key: str) -> Answer:
    """Password, then the authenticator's current code; returns the home page."""
    form = visitor.page("/accounts/sign-in/")
    answer = visitor.post(
        "/accounts/sign-in/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(form)},
    )
    assert answer.status == 302, f"sign-in refused:\n{answer.text}"
    security_code = visitor.follow(answer)
    assert urlsplit(security_code.path).path == "/accounts/security-code/", "production must ask for MFA"
    code = f"{totp(bytes.fromhex(totp_key)):06d}"
    answer = visitor.post(
        security_code.path, {"token": code, "csrfmiddlewaretoken": csrf_token(security_code)}
    )
    assert answer.status == 302, f"security code refused:\n{answer.text}"
    home = visitor.follow(answer)
    assert home.status == 200 and "Sign out" in home.text
    return home


def first_link(page: Answer, pattern: str) -> str:
    found = re.search(rf'href="({pattern})"', page.text)
    assert found, f"no link matching {pattern} on {page.path}"
    return found[1].replace("&amp;", "&")


# --- what pages load --------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        wanted = {"link": "href", "script": "src", "img": "src", "source": "src"}.get(tag)
        if wanted and values.get(wanted):
            self.urls.append(values[wanted])


def linked_files(page: Answer) -> set[str]:
    parser = _Links()
    parser.feed(page.text)
    return {url for url in parser.urls if not url.startswith("data:")}


_REFERENCES = {
    ".css": re.compile(
        r"""url\(\s*["']?(?P<url>[^"')]+?)["']?\s*\)|@import\s+["'](?P<imported>[^"']+)["']"""
    ),
    ".mjs": re.compile(r"""\b(?:from|import)\s*["'](?P<url>[^"']+)["']"""),
    ".js": re.compile(r"""\b(?:from|import)\s*["'](?P<url>\.{0,2}/[^"']+)["']"""),
    ".json": re.compile(r'"src"\s*:\s*"(?P<url>[^"]+)"'),
}


def fetch_everything(visitor: Visitor, urls: set[str]) -> dict[str, Answer]:
    """Fetch each URL and every file the stylesheets and scripts among them refer to, in turn."""
    fetched: dict[str, Answer] = {}
    waiting = sorted(urls)
    while waiting:
        url = waiting.pop()
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"a page loads {url} from another host (ADR 0004)"
        if parts.path in fetched:
            continue
        answer = visitor.get(parts.path)
        fetched[parts.path] = answer
        pattern = _REFERENCES.get(Path(parts.path).suffix)
        if pattern and answer.status == 200:
            for match in pattern.finditer(answer.text):
                reference = match["url"] or match.groupdict().get("imported")
                if reference and not reference.startswith(("data:", "#")):
                    waiting.append(urljoin(parts.path, reference))
    return fetched


# --- the test -----------------------------------------------------------------------------------------------


def test_production_serves_signed_in_pages_and_every_file_they_load(tmp_path):
    require_built_assets()
    started = time.monotonic()
    with fresh_database(tmp_path, "smoke") as database_url:
        deployment = prepare(tmp_path, database_url)
        with gunicorn(deployment) as port, timed(deployment, "serving and fetching"):
            visitor = Visitor(port)

            plain = visitor.get("/accounts/sign-in/", proxied=False)
            assert plain.status == 301 and plain.headers["Location"].startswith("https://")

            sign_in_page = visitor.page("/accounts/sign-in/")
            assert "Sign in" in sign_in_page.text
            assert visitor.get("/people/").status == 302, "pages need sign-in"

            home = sign_in(visitor, LEAD, deployment.totp_keys[LEAD])
            team_caseload = visitor.page(first_link(home, r"/people/team/\?team=\d+"))
            team_id = re.search(r"team=(\d+)", team_caseload.path)[1]
            person_path = first_link(team_caseload, r"/people/\d+/")
            person_name = re.search(rf'href="{person_path}"[^>]*>([^<]+)<', team_caseload.text)[1].strip()
            person = visitor.page(person_path)
            connections_map = visitor.page(f"{person_path}map/")
            dashboard = visitor.page(f"/implementation/teams/{team_id}/dashboard/")
            missing = visitor.get("/people/999999999/")
            # Error pages are the service's own in production too: a form sent without its token.
            refused = visitor.post("/people/new/", {"given_name": "Sam"})

            assert "<table" in team_caseload.text and person_name
            assert person_name in person.text
            assert "<svg" in connections_map.text and person_name in connections_map.text
            assert "<svg" in dashboard.text and "dashboard" in dashboard.text.lower()
            assert missing.status == 404 and "Page not found" in missing.text
            assert refused.status == 403 and "<h1>Your form was not sent</h1>" in refused.text

            researcher = Visitor(port)
            researcher_home = sign_in(researcher, RESEARCHER, deployment.totp_keys[RESEARCHER])
            studies = researcher.page(first_link(researcher_home, r"/study/"))
            study = researcher.page(first_link(studies, r"/study/\d+/"))
            assert "CPDEMO" in study.text

            # The API: the lead makes a token on their tokens page and a program reads the caseload with it.
            tokens_page = visitor.page("/accounts/tokens/")
            made = visitor.post(
                "/accounts/tokens/",
                {
                    "csrfmiddlewaretoken": csrf_token(tokens_page),
                    "name": "Smoke test",
                    "scopes": "people:read",
                    "days": "30",
                },
            )
            token = re.search(r'id="new-token">(cp_[^<]+)<', made.text)[1]
            program = Visitor(port)
            caseload = program._send("GET", "/api/v1/people", headers={"Authorization": f"Bearer {token}"})
            assert caseload.status == 200 and json.loads(caseload.body)["items"], caseload.body[:500]
            assert program.get("/api/v1/people").status == 401
            api_docs = program.get("/api/v1/docs")
            assert api_docs.status == 200 and "swagger" in api_docs.text.lower()

            pages = [
                sign_in_page,
                home,
                team_caseload,
                person,
                connections_map,
                dashboard,
                missing,
                refused,
                studies,
                study,
            ]
            for page in pages:
                assert page.headers["Permissions-Policy"], f"{page.path} has no Permissions-Policy"
                assert page.headers["Strict-Transport-Security"], f"{page.path} has no HSTS"
                assert "'nonce-" in page.headers["Content-Security-Policy"]
            files = fetch_everything(
                researcher, set().union(*(linked_files(page) for page in [*pages, tokens_page, api_docs]))
            )

        with timed(deployment, "audit verify"):
            connecting_people("audit", "verify", env=deployment.production)

    problems = []
    for path, answer in sorted(files.items()):
        expected = CONTENT_TYPES.get(Path(path).suffix, "?")
        if answer.status != 200 or answer.content_type != expected:
            problems.append(f"{path}: {answer.status} {answer.content_type} (expected 200 {expected})")
        elif "immutable" not in (answer.headers["Cache-Control"] or ""):
            problems.append(
                f"{path}: not served under a hashed, cacheable name ({answer.headers['Cache-Control']})"
            )
        elif "camera=()" not in (answer.headers["Permissions-Policy"] or ""):
            problems.append(f"{path}: no Permissions-Policy")
    assert not problems, "\n".join(problems)
    kinds = {Path(path).suffix for path in files}
    assert {".css", ".mjs", ".js", ".svg", ".png", ".ico", ".json"} <= kinds, kinds
    assert any("/images/nhsuk-icon-" in path for path in files), "the stylesheet's icons were not fetched"
    print(
        f"\nproduction smoke test: {len(files)} files, {time.monotonic() - started:.1f} s, {deployment.seconds}"
    )
