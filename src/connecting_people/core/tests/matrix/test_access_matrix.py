"""Every URL pattern of the service (admin included, found by walking the URL resolver) × every role × objects in
scope, out of scope (another trust) and mixed (a page of an object in scope naming another trust's object).

For each pattern:
- GET as every role. A role listed in `url_matrix.ACCESS` for the pattern gets 200 or a redirect for objects in
  scope; every other signed-in role gets 404 (never 403, never a server error); anonymous users are sent to sign
  in (public pages answer them). Objects of another trust, and mixed URLs, are 404 for everyone signed in but
  the roles that reach every trust (administrators, for audit trails and the admin site).
- POST as every role the GET refused, with the fields of the page's own form (as its owner sees it): the same
  refusal (or 405), and no row of any table changed (a digest of every table, sessions aside, before and
  after). Refused GETs change no row either.

How to add a URL pattern, a keyword or a role: see the docstring of `url_matrix.py`. A pattern whose keyword or
namespace is not known there fails `test_every_pattern_is_known` with the line to add.
"""

import pytest

from connecting_people.core.tests.matrix import url_matrix
from connecting_people.core.tests.matrix.url_matrix import ROLES

pytestmark = pytest.mark.django_db

PATTERNS = {pattern.key: pattern for pattern in url_matrix.url_patterns()}
SIGN_IN = "/accounts/sign-in/"
ADMIN_SIGN_IN = "/admin/login/"


def expected(access: url_matrix.Access, scope: str, role: str) -> str:
    """ "reach" (200 or a redirect), "not_found" (404), "sign_in" (a redirect to sign in) or "forbidden" (403,
    only where the admin allows an act to nobody)."""
    if access.everyone:
        return access.everyone
    if role == "anonymous":
        return "reach" if access.public else "sign_in"
    if access.admin and role != "administrator":
        return "sign_in"
    if role in access.anywhere or (scope == "in" and role in access.roles):
        return "reach"
    return "forbidden" if access.refused else "not_found"


def outcome(response, role: str) -> str:
    """What a response amounts to, in the terms of `expected` (or its status code when it is none of them).
    A redirect to the admin's index counts as one to sign in for those who are not staff: it sends them on."""
    status = response.status_code
    location = response.get("Location", "")
    if status == 404:
        return "not_found"
    if status == 401 and response.get("Content-Type") in ("application/problem+json", "application/fhir+json"):
        return "sign_in"  # the API's answer to a request without a token (FHIR's is an OperationOutcome)
    if status == 403 and not url_matrix.csrf_refused(response):
        return "forbidden"
    if status == 302 and (
        location.startswith((SIGN_IN, ADMIN_SIGN_IN)) or (location == "/admin/" and role != "administrator")
    ):
        return "sign_in"
    if status == 200 or 300 <= status < 400:
        return "reach"
    return str(status)


def test_every_pattern_is_known():
    """Every keyword of every pattern has a value in KWARGS, every namespace an entry in ACCESS, every admin
    model an object: otherwise a new URL would escape the matrix."""
    problems = []
    for pattern in PATTERNS.values():
        if url_matrix.access_for(pattern) is None:
            problems.append(f"{pattern.key}: add '{pattern.namespace}' (or '{pattern.key}') to ACCESS")
        for kwarg in pattern.kwargs:
            if url_matrix.kwarg_lookup(pattern, kwarg) is None:
                problems.append(f"{pattern.key}: add '{kwarg}' to KWARGS (or its model to ADMIN_OBJECTS)")
    missing_models = url_matrix.admin_models() - url_matrix.ADMIN_OBJECTS.keys()
    problems += [f"admin model {label}: add it to ADMIN_OBJECTS" for label in sorted(missing_models)]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_every_app_and_the_admin():
    """The resolver walk reaches into every include (a walk that stopped at the top would pass vacuously)."""
    namespaces = {pattern.namespace for pattern in PATTERNS.values()}
    assert {
        "core",
        "accounts",
        "people",
        "audit",
        "measures",
        "connections",
        "plans",
        "community",
    } <= namespaces
    assert {"implementation", "study", "admin"} <= namespaces
    assert "admin:accounts_user_change" in PATTERNS and "people:overview" in PATTERNS
    assert len(PATTERNS) > 150


# Pages of a person's record that name another object of theirs (map, entry, goal, step, link, review): asked for
# with the person in scope and the object of another trust, they audited `person.viewed` and then answered 404
# (issue 12, low). `person.viewed` is now written only for a successful answer, so the matrix above allows no
# audit event for any refused read; `test_a_refused_read_writes_no_audit_event` names the pages where it was found.
AUDITED_BEFORE_404_ONCE = [
    "connections:entry_add",
    "connections:entry_edit",
    "connections:entry_remove",
    "connections:entry_ties",
    "connections:imported",
    "connections:print",
    "connections:snapshot",
    "plans:goal_edit",
    "plans:link",
    "plans:review",
    "plans:step_edit",
    "plans:step_new",
]

COUNTS = {"patterns": 0, "GET": 0, "POST": 0}


@pytest.fixture(autouse=True, scope="module")
def _say_how_many():
    """After the module: how many patterns and requests this process tried (shown with -s; per xdist worker)."""
    yield
    print(f"\naccess matrix: {COUNTS}")


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_each_role_reaches_what_its_scope_allows(key, world):
    from connecting_people.audit.models import AuditEvent

    pattern = PATTERNS[key]
    access = url_matrix.access_for(pattern)
    assert access is not None, f"{key}: not in ACCESS"
    client = world.client(api=access.api)
    wrong = []
    allowed, refused = [], []
    for address in url_matrix.addresses(pattern, world.cast):
        for role in ROLES:
            want = expected(access, address.scope, role)
            (allowed if want == "reach" else refused).append((address, role, want))

    # Those who may reach the page read it first (reading may write: the audit event of a viewed record).
    post_only = False
    for address, role, want in allowed:
        response = url_matrix.finish(client.as_role(role).get(address.url))
        if response.status_code == 405:
            post_only = True  # a page that only takes POST answers 405 to every GET
        elif outcome(response, role) != want or (
            role != "anonymous" and response.get("Location", "").startswith(SIGN_IN)
        ):
            wrong.append(_line("GET", address, role, want, response))

    # Everyone else: refused, reading and writing alike, and nothing changes.
    before = url_matrix.tables_fingerprint()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for address, role, want in refused:
        response = url_matrix.finish(client.as_role(role).get(address.url))
        if not (outcome(response, role) == want or (post_only and response.status_code == 405)):
            wrong.append(_line("GET", address, role, want, response))
    after_gets = url_matrix.tables_fingerprint()
    added = set(AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True))
    data = _post_data(world, pattern)
    for address, role, want in refused:
        response = url_matrix.finish(client.as_role(role).post(address.url, data))
        # The API checks a body's shape before anything else: a 422 for an empty one says nothing of the object.
        if not (outcome(response, role) == want or response.status_code == 405 or (access.api and response.status_code == 422)):
            wrong.append(_line("POST", address, role, want, response))
        if access.api:  # and a change sent as someone who may not make it
            response = client.as_role(role).patch(address.url)
            if not (outcome(response, role) == want or response.status_code in (405, 422)):
                wrong.append(_line("PATCH", address, role, want, response))
    after_posts = url_matrix.tables_fingerprint()

    changed_by_gets = url_matrix.changed_tables(before, after_gets)
    changed_by_posts = url_matrix.changed_tables(after_gets, after_posts)
    problems = [*wrong]
    if changed_by_gets:
        problems.append(f"refused GETs changed {changed_by_gets} (audit events added: {sorted(added)})")
    if changed_by_posts:
        problems.append(f"refused POSTs changed {changed_by_posts}")
    assert not problems, "\n".join(problems)
    COUNTS["patterns"] += 1
    COUNTS["GET"] += len(allowed) + len(refused)
    COUNTS["POST"] += len(refused)


@pytest.mark.parametrize("key", AUDITED_BEFORE_404_ONCE)
def test_a_refused_read_writes_no_audit_event(key, world):
    """The person's own practitioner asks for another trust's object under their person: 404, and the audit
    trail does not say the record was shown. (The matrix above checks every refused read changes no row; this
    names the finding for the practitioner, who reaches the person.)"""
    from connecting_people.audit.models import AuditEvent

    client = world.client().as_role("practitioner")
    addresses = url_matrix.addresses(PATTERNS[key], world.cast)
    mixed = [address for address in addresses if address.scope.startswith("mixed")]
    assert mixed
    events = AuditEvent.objects.count()
    for address in mixed:
        assert url_matrix.finish(client.get(address.url)).status_code == 404, address.url
    assert AuditEvent.objects.count() == events


def _post_data(world, pattern) -> dict:
    """The fields of the form that posts to this pattern, as its owner's page fills them in ({} when none)."""
    form = world.forms.get(pattern.key)
    return (
        {name: values if len(values) > 1 else values[0] for name, values in form.fields.items()}
        if form
        else {}
    )


def _line(method, address, role, want, response) -> str:
    detail = response.get("Location", "") or ""
    error = getattr(response, "exc_info", None)
    if error:
        detail = f"{error[0].__name__}: {error[1]}"
    return f"{method} {address.url} [{address.scope}] as {role}: wanted {want}, got {response.status_code} {detail}"
