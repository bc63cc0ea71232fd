"""Hostile input to every form of the service, as a user who may use it: no answer is a server error.

The forms come from the pages themselves: `conftest.world` reads every URL pattern's page (in scope, as a role
that reaches it) and keeps each <form> by the pattern it posts to, and the query names its links use. A form
that a page shows only once something has happened (a closed case's reopen button, lifting a restriction, the
erasure's confirmation) is reached the way a user reaches it (`SHOWN_AFTER`). Each pattern with a POST form (and
the one whose form the world cannot show, `UNSHOWN_FORMS`) gets, as its owner:

- every field at once set to each value of `CORPUS` (empty, 100,000 characters, NUL and other control
  characters, unicode edge cases, numbers too big for any column, NaN, malformed dates, markup and SQL), each
  field sent twice, nothing at all, unknown field names, more fields than Django accepts, and bodies no browser
  sends (invalid UTF-8, JSON, a broken multipart body);
- the form as the page fills it in, blanks filled plausibly (`plausible`); when the page accepts that, each
  field a user types into alone made hostile (`PER_FIELD`), so the value can pass the other fields' validation
  and reach the service and the database; and when that is accepted too, the page it goes on to and the pages
  that show the record again (`READ_BACK`) must still answer, with the markup escaped;
- and, separately, the plausible form without its CSRF token: refused (403), nothing changed.

Every form with a file input gets hostile uploads (`upload_cases`: empty, wrong types, text that is not UTF-8,
file names too long, with paths, control characters or bytes that are not UTF-8, too many or too large files, a
zip bomb, zips nested, truncated, encrypted or lying about their sizes, entity expansion and external entities in
XML): refused with a message and nothing changed, or accepted and shown again with the markup escaped.

Every page also gets hostile values in its query string (the whole corpus where a search form or a link shows
it takes a query). Each request runs in a savepoint rolled back after it, so every one starts from the same
world. What a page does with odd input (refusing or stripping control characters, trimming) is other tests'
business; here only: no 5xx and no unhandled exception.

A server error found and not yet fixed goes in `KNOWN_SERVER_ERRORS` with a one-request reproduction in
`REPRODUCTIONS`, a strict xfail: the fix makes it pass, strictness makes that fail, and the reproduction moves to
`FIXED_SERVER_ERRORS`, where it must keep answering below 500.
"""

import functools
import html
import io
import json
import logging
import re
import traceback
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from django.db import connection, transaction

from connecting_people.core.tests.matrix import url_matrix
from connecting_people.core.tests.matrix.url_matrix import RoleClient, owner_of

pytestmark = pytest.mark.django_db

PATTERNS = {pattern.key: pattern for pattern in url_matrix.url_patterns()}

CORPUS: dict[str, str] = {
    "empty": "",
    "spaces": " \t ",
    "huge": "A" * 100_000,
    "nul": "a\x00b",
    "control": "".join(chr(code) for code in range(1, 32)) + "\x7f",
    "unicode": "\u202egnp.exe\u200b\ufeff" + "e" + "\u0301" * 50 + "\u2028\u2029",
    "astral": "\U0001f600" * 500 + "\U0010ffff",
    "full-width digits": "\uff11\uff12",
    "minus one": "-1",
    "int64 + 1": "9223372036854775808",
    "many nines": "9" * 400,
    "float overflow": "1e309",
    "nan": "NaN",
    "tiny decimal": "0.000000000000000000000001",
    "impossible date": "2026-02-31",
    "injection": "<script>alert(1)</script>{{ 7*7 }}' OR '1'='1'; --../../etc/passwd%00",
    "json": '{"a": [1, {"b": null}]}',
}
# Each free-text field alone (the rest of the form plausible): values that can pass validation and hurt later,
# in the database (length, range) or on the pages that show them again (markup, control characters, overlong).
NASTY = '\x07\x1b[31m<script>alert(1)</script>\u202e\U0001f600 O\'Brien & "Sons" {{ 7*7 }}'
PER_FIELD = {"nasty": NASTY, "huge": CORPUS["huge"], "int64 + 1": CORPUS["int64 + 1"]}
# A few values for the query string of every page (the whole corpus for search forms and links with queries).
QUERY_VALUES = ["nul", "huge", "int64 + 1"]
MARKUP = "<script>alert(1)</script>"

# Forms the world does not show (the page has nothing to offer then), by their field names.
UNSHOWN_FORMS: dict[str, list[str]] = {
    "study:person_enrol": [  # the person is already enrolled in the study of their team
        "study_team",
        "enrolled_on_day",
        "enrolled_on_month",
        "enrolled_on_year",
        "consented_on_day",
        "consented_on_month",
        "consented_on_year",
        "eligibility_notes",
    ],
}
# Who fills in a form when it is not the page's usual owner (`url_matrix.owner_of`).
FUZZ_AS = {"accounts:login": "anonymous", "accounts:mfa": "practitioner"}


@dataclass(frozen=True)
class Known:
    """A server error found here and not yet fixed: which patterns and inputs, which exception (and message)."""

    patterns: str  # regex on the pattern key
    inputs: str  # regex on the case name
    error: str  # exception class name
    message: str  # regex on its message
    reason: str
    engines: tuple[str, ...] = ("sqlite", "postgresql")  # where it happens


# Each is reproduced by a strict-xfail test below (`test_known_server_error_is_still_there`): when a fix lands,
# that test passes, fails for being strict, and the entry moves to `FIXED_SERVER_ERRORS`; the fuzzing then watches
# those pages again. None is known today.
KNOWN_SERVER_ERRORS: list[Known] = []

COUNTS = {
    "POST": 0,
    "GET": 0,
    "no CSRF": 0,
    "forms": 0,
    "plausible accepted": 0,
    "accepted hostile": 0,
    "uploads": 0,
    "accepted uploads": 0,
    "known 5xx": 0,
}
SERVER_ERRORS: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _quiet_server_errors():
    """Server errors are caught and reported by the tests here, one line each: not logged with a traceback."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    # How many requests this process sent (shown with -s; per xdist worker).
    print(f"\nfuzzing: {COUNTS}, server errors: {len(SERVER_ERRORS)}")


def fuzz_role(key: str) -> str | None:
    access = url_matrix.access_for(PATTERNS[key])
    return FUZZ_AS.get(key) or (owner_of(access) if access else None)


def plausible(form: url_matrix.Form) -> dict[str, list[str]]:
    """The form as a hurried user sends it: what the page filled in, blanks given a likely value (today's date
    parts, the first choice offered, a number for number-like names, a word otherwise)."""
    today = url_matrix.TODAY
    filled = {}
    for name in form.fields.keys() | form.choices.keys():
        values = [value for value in form.fields.get(name, []) if value != ""]
        if values:
            filled[name] = values
        elif name.endswith(("_day", "_month", "_year")):
            part = name.rsplit("_", 1)[1]
            filled[name] = [str(getattr(today, part))]
        elif [choice for choice in form.choices.get(name, []) if choice]:
            filled[name] = [next(choice for choice in form.choices[name] if choice)]
        elif any(word in name for word in ("count", "seed", "cost", "day", "window", "order", "replicates")):
            filled[name] = ["1"]
        elif "email" in name:
            filled[name] = ["someone@example.org"]
        elif "password" in name or name == "token" or name.endswith("-id") or "__prefix__" in name:
            filled[name] = [""]
        else:
            filled[name] = ["Fuzz"]
    return filled


def free_text(form: url_matrix.Form | None, fields: dict) -> list[str]:
    """The fields a user types into (no choice offered, not hidden, not part of a date)."""
    hidden = form.hidden if form else set()
    choices = form.choices if form else {}
    return [
        name
        for name in fields
        if name not in hidden and name not in choices and not name.endswith(("_day", "_month", "_year"))
    ]


def post_cases(fields: dict[str, list[str]]) -> Iterator[tuple[str, object]]:
    """(what, data) for one form, whatever its fields. Data is a dict for the test client, or (content type,
    bytes) for a raw body."""
    yield "nothing", {}
    for name, value in CORPUS.items():
        yield f"every field {name}", {field: value for field in fields}
    yield "every field twice", {field: [*values, "second"] for field, values in fields.items()}
    names = list(fields) or ["field"]
    yield (
        "invalid utf-8",
        ("application/x-www-form-urlencoded", "&".join(f"{n}=%ff%fe%ed%a0%80" for n in names)),
    )
    yield "raw bytes", ("application/x-www-form-urlencoded", b"\xff\xfe=\x00\xc3(")
    yield "json body", ("application/json", json.dumps({n: ["x"] for n in names}))
    yield (
        "broken multipart",
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
    )
    yield "too many fields", {f"f{n}": "1" for n in range(1200)}
    yield "unknown fields", fields | {"__proto__": "x", "a[b]": "y", "x" * 5000: "z"}


def field_cases(fields: dict[str, list[str]], typed: list[str]) -> Iterator[tuple[str, dict]]:
    """Each typed field alone set to each PER_FIELD value, the rest as the plausible form has it."""
    for field in typed:
        for name, value in PER_FIELD.items():
            yield f"{field} {name}", fields | {field: value}


def _send(client, method: str, url: str, data) -> object:
    """One request in a savepoint rolled back after it. A server error is recorded, never raised."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, data)
        elif isinstance(data, tuple):
            response = client.post(url, data[1], content_type=data[0])
        else:
            response = client.post(url, data)
        url_matrix.finish(response)
        transaction.set_rollback(True)
    return response


def _check(response, key: str, what: str, url: str, problems: list[str]) -> None:
    """Record a server error as one line: where, which input, the exception and the line that raised it. Errors
    of `KNOWN_SERVER_ERRORS` are counted apart (their own strict-xfail tests below reproduce them)."""
    error = getattr(response, "exc_info", None)
    if response.status_code < 500 and not error:
        return
    name = error[0].__name__ if error else ""
    for known in KNOWN_SERVER_ERRORS:
        if (
            re.search(known.patterns, key)
            and re.search(known.inputs, what)
            and re.fullmatch(known.error, name)
            and re.search(known.message, str(error[1]))
        ):
            COUNTS["known 5xx"] += 1
            return
    where = ""
    if error:
        frame = traceback.extract_tb(error[2])[-1]
        where = f" at {frame.filename.split('site-packages/')[-1].split('src/')[-1]}:{frame.lineno}"
        detail = f"{name}: {str(error[1])[:120]}{where}"
    problems.append(f"{response.status_code} {url} [{what}] {detail if error else ''}")


def _closed_case(world) -> str:
    """The reopen button shows on a closed case's page."""
    from connecting_people.people import services

    person = world.cast.inside.person
    services.person_close(
        user=world.cast.inside.worker,
        person_id=person.pk,
        expected_version=type(person).objects.get(pk=person.pk).version,
        closed_on=url_matrix.TODAY,
        reason="Moved away",
    )
    return url_matrix.addresses(PATTERNS["people:overview"], world.cast)[0].url


def _restricted(world) -> str:
    """Lifting a restriction is offered for a restricted record only."""
    from connecting_people.privacy import services
    from connecting_people.privacy.models import RestrictionGround

    services.restriction_add(
        user=world.cast.users["data_protection"],
        person_id=world.cast.inside.person.pk,
        ground=RestrictionGround.values[0],
    )
    return url_matrix.addresses(PATTERNS["privacy:lift"], world.cast)[0].url


def _erasure_chosen(world) -> tuple[str, dict]:
    """The erasure's confirmation is the answer to the first step, posted with a lawful basis."""
    from connecting_people.privacy.models import ErasureBasis

    url = url_matrix.addresses(PATTERNS["privacy:erase"], world.cast)[0].url
    return url, {"lawful_basis": ErasureBasis.values[0]}


# Forms a page shows only once something has happened: how to get to the page that shows each (done within the
# test, so undone after it). A function gives the URL to read, or the URL and data to post to get the form.
SHOWN_AFTER = {
    "people:reopen": _closed_case,
    "privacy:lift": _restricted,
    "privacy:erase_confirm": _erasure_chosen,
}


def form_of(world, key: str) -> url_matrix.Form | None:
    """The form that posts to a pattern, as its page shows it to the role that fills it in (None: no form)."""
    if key not in SHOWN_AFTER:
        return world.forms.get(key)
    client = world.client().as_role(fuzz_role(key))
    shown = SHOWN_AFTER[key](world)
    url, response = (shown, client.get(shown)) if isinstance(shown, str) else (shown[0], client.post(*shown))
    assert response.status_code == 200, f"{key}: {url} answered {response.status_code}"
    forms, _ = url_matrix.forms_in(response.content.decode(), url)
    found = [form for form in forms if form.method == "post" and url_matrix.pattern_of(form.action) == key]
    assert found, f"{key}: {url} shows no form for it"
    return found[0]


def post_target(world, key: str) -> url_matrix.Form | None:
    """The form that posts to a pattern, its blanks filled in plausibly (None: no form to fill in)."""
    form = form_of(world, key)
    if form is None and key in UNSHOWN_FORMS:
        url = url_matrix.addresses(PATTERNS[key], world.cast)[0].url
        form = url_matrix.Form(url, "post", {name: [""] for name in UNSHOWN_FORMS[key]})
    if form is None:
        return None
    return replace(form, fields=plausible(form))


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_hostile_posts_never_break_a_form(key, world):
    role = fuzz_role(key)
    form = post_target(world, key) if role is not None else None
    if form is None:
        pytest.skip("no form posts to this page")
    url, fields = form.action, form.fields
    client = world.client().as_role(role)
    problems: list[str] = []
    for what, data in post_cases(fields):
        _check(_send(client, "POST", url, data), key, what, url, problems)
        COUNTS["POST"] += 1
    # The plausible form, then each typed field alone made hostile: when the page accepts it, every page that
    # shows it again must still answer, with the markup escaped.
    plausible_response = _send(client, "POST", url, fields)
    _check(plausible_response, key, "plausible", url, problems)
    COUNTS["POST"] += 1
    if 300 <= plausible_response.status_code < 400:
        COUNTS["plausible accepted"] += 1
        for what, data in field_cases(fields, free_text(form, fields)):
            with transaction.atomic():
                response = client.post(url, data)
                _check(response, key, what, url, problems)
                COUNTS["POST"] += 1
                if 300 <= response.status_code < 400:
                    COUNTS["accepted hostile"] += 1
                    _read_back(client, world, key, response["Location"], what, problems)
                transaction.set_rollback(True)
    COUNTS["forms"] += 1
    SERVER_ERRORS.extend(problems)
    assert not problems, "\n".join(problems)


def _read_back(client, world, key: str, location: str, what: str, problems: list[str]) -> None:
    """After a hostile value was saved: the page the form went on to, and the pages that show that record."""
    urls = [location.split("#")[0]] + [
        url_matrix.addresses(PATTERNS[view], world.cast)[0].url
        for view in READ_BACK.get(key.split(":")[0], ())
    ]
    if key.split(":")[0] in ("connections", "plans", "measures", "people"):
        snapshot = world.cast.inside.snapshot.pk
        person = world.cast.inside.person.pk
        urls += [f"/people/{person}/map/{snapshot}/export/{code}/" for code in ("graphml", "nc-csv")]
    for url in urls:
        response = url_matrix.finish(client.get(url))
        _check(response, key, f"{what}, then GET {url}", url, problems)
        COUNTS["GET"] += 1
        if "html" in response.get("Content-Type", "") and not response.streaming:
            if MARKUP in response.content.decode(errors="replace"):
                problems.append(f"{url} [{what}]: shows the saved markup unescaped")


# The pages that show again what a form of each namespace saves (read as the same user, in scope).
READ_BACK = {
    "people": ["people:overview", "people:caseload", "plans:print"],
    "connections": ["connections:map", "connections:print", "connections:export"],
    "plans": ["plans:plan", "plans:print", "people:overview"],
    "measures": ["measures:history", "people:overview"],
    "community": ["community:search", "community:detail"],
    "implementation": ["implementation:team", "implementation:team_dashboard", "implementation:checklist"],
    "study": ["study:overview", "study:participants", "study:participant", "study:timepoints"],
    "accounts": ["accounts:cover", "accounts:access_review", "accounts:enrolment_codes"],
    "privacy": [
        "privacy:person",
        "privacy:subject_access",
        "privacy:subject_access_download",
        "privacy:restricted",
        "privacy:erased",
    ],
}


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(key, world):
    role = fuzz_role(key)
    form = post_target(world, key) if role is not None else None
    if form is None:
        pytest.skip("no form posts to this page")
    url, fields = form.action, form.fields
    client = RoleClient(world.sessions, enforce_csrf_checks=True).as_role(role)
    before = url_matrix.tables_fingerprint()
    response = client.post(url, fields)
    assert url_matrix.csrf_refused(response), f"{url}: {response.status_code}, not the refusal of a form"
    assert url_matrix.changed_tables(before, url_matrix.tables_fingerprint()) == []
    COUNTS["no CSRF"] += 1


@pytest.mark.parametrize("key", sorted(PATTERNS))
def test_hostile_query_strings_never_break_a_page(key, world):
    role = fuzz_role(key)
    if role is None:
        pytest.skip("nobody reaches this page")
    url = url_matrix.addresses(PATTERNS[key], world.cast)[0].url.split("?")[0]
    names = set(world.query_names.get(key, set())) | {"page", "next"}
    search = world.get_forms.get(key)
    values = QUERY_VALUES
    if search is not None or key in world.query_names:
        names |= set(search.fields if search else ())
        values = list(CORPUS)
    client = world.client().as_role(role)
    problems: list[str] = []
    for name in values:
        response = _send(client, "GET", url, {field: CORPUS[name] for field in sorted(names)})
        _check(response, key, f"query {name}", url, problems)
        COUNTS["GET"] += 1
    SERVER_ERRORS.extend(problems)
    assert not problems, "\n".join(problems)


# --- hostile uploads -------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes], *, packed: bool = True) -> bytes:
    buffer = io.BytesIO()
    compression = zipfile.ZIP_DEFLATED if packed else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, content, compress_type=compression)
    return buffer.getvalue()


def _patched_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    """A zip whose (first) central directory record says something else at `offset` than its contents do."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + value + data[at + len(value) :]


EGO_CSV = b"networkCanvasEgoUUID,name\nego-1,Someone\n"
# Ten entities each made of ten of the one before: a few hundred bytes that expand to 10**9 characters.
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY a0 "laugh">'
    + b"".join(b'<!ENTITY a%d "%s">' % (n, b"&a%d;" % (n - 1) * 10) for n in range(1, 10))
    + b']>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph><node id="&a9;"/></graph></graphml>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph><node id="&x;"/></graph></graphml>'
)


@functools.cache
def _zip_bomb() -> bytes:
    """40 MB of CSV packed into about 40 kB: far past the unpacked limit and the packing ratio a real export has."""
    return _zip({"ego.csv": b"networkCanvasEgoUUID,name\n" + b"a," * 20_000_000})


def upload_cases() -> dict[str, list[tuple[str | bytes, bytes]]]:
    """Hostile uploads, by name: the files of one upload as (file name, content). A file name given as bytes is
    sent as they are (not UTF-8)."""
    from connecting_people.connections.interchange import MAP_FILES_LIMIT_BYTES, MAX_FILES

    valid_zip = _zip({"ego.csv": EGO_CSV, "alter.csv": b"networkCanvasEgoUUID,name\nego-1,Sam\n"})
    return {
        "empty file": [("map.json", b"")],
        "empty zip": [("export.zip", _zip({}))],
        "no file name": [("", b"{}")],
        "no extension": [("map", b"{}")],
        "image named json": [("map.json", b"\x89PNG\r\n\x1a\n" + bytes(64))],
        "program": [("map.exe", b"MZ\x90\x00" + bytes(200))],
        "json named graphml": [("map.graphml", b'{"format": "connecting-people/connections-map"}')],
        "graphml named json": [("map.json", b"<graphml/>")],
        "json not an object": [("map.json", b"[]")],
        "json null": [("map.json", b"null")],
        "json huge number": [
            ("map.json", b'{"format": "connecting-people/connections-map", "version": 1e999}')
        ],
        "json nested deep": [("map.json", b"[" * 100_000)],
        "utf-16 json": [("map.json", '{"format": "x"}'.encode("utf-16"))],
        "latin-1 json": [("map.json", '{"label": "Zoë"}'.encode("latin-1"))],
        "nul in json": [("map.json", b'{"a": "\x00"}\x00\x00')],
        "invalid utf-8 csv": [("ego.csv", b"\xff\xfe\xfa,\x80\n\xc3(,x\n")],
        "nul in csv": [("ego.csv", b"networkCanvasEgoUUID,name\nego\x00,\x00\n")],
        "csv field past the reader's limit": [("ego.csv", b'name\n"' + b"a" * 200_000 + b'"\n')],
        "csv of many columns": [("ego.csv", b",".join(b"c%d" % n for n in range(5_000)) + b"\n")],
        "invalid utf-8 graphml": [("map.graphml", b'<?xml version="1.0"?><graphml>\xff\xfe</graphml>')],
        "latin-1 graphml": [
            (
                "map.graphml",
                b'<?xml version="1.0" encoding="ISO-8859-1"?><graphml><graph><node id="\xe9"/></graph></graphml>',
            )
        ],
        "billion laughs": [("map.graphml", BILLION_LAUGHS)],
        "external entity": [("map.graphml", EXTERNAL_ENTITY)],
        "long file name": [("A" * 250 + ".json", b"{}")],  # about the longest a file system allows
        "huge file name": [("A" * 5_000 + ".json", b"{}")],  # Django refuses the part's headers: 400
        "path in file name": [("../../../etc/passwd.csv", EGO_CSV)],
        "windows path in file name": [("C:\\Users\\x\\map.json", b"{}")],
        "control characters in file name": [("m\x07a\x1bp\u202enosj.json", b"{}")],
        "markup in file name": [('<script>alert(1)</script>".json', b"{}")],
        "non-utf-8 file name": [(b"\xff\xfe\xfd.json", b"{}")],
        "same name twice": [("map.json", b"{}"), ("map.json", b"[]")],
        "mixed kinds": [("map.json", b"{}"), ("ego.csv", EGO_CSV)],
        "too many files": [(f"f{n}.csv", EGO_CSV) for n in range(MAX_FILES + 1)],
        "over the size limit": [("map.json", b" " * (MAP_FILES_LIMIT_BYTES + 1))],
        "zip bomb": [("export.zip", _zip_bomb())],
        "zip in a zip": [("export.zip", _zip({"inner.zip": valid_zip, "ego.csv": EGO_CSV}))],
        "zip of many members": [("export.zip", _zip({f"f{n}.csv": b"a\n" for n in range(1_000)}))],
        "zip with paths": [("export.zip", _zip({"../../ego.csv": EGO_CSV, "/etc/alter.csv": EGO_CSV}))],
        "truncated zip": [("export.zip", valid_zip[: len(valid_zip) // 2])],
        "zip lying about its sizes": [
            ("export.zip", _patched_central_directory(valid_zip, 24, b"\x0a\x00\x00\x00"))
        ],
        "encrypted zip": [("export.zip", _patched_central_directory(valid_zip, 8, b"\x01\x00"))],
        "zip of invalid utf-8": [("export.zip", _zip({"ego.csv": b"\xff\xfe\x00\xc3(\n"}))],
        "stored zip": [("export.zip", _zip({"ego.csv": EGO_CSV}, packed=False))],
    }


def _multipart(fields: dict[str, list[str]], file_field: str, files) -> tuple[str, bytes]:
    """A multipart body as a browser (or anyone) may send it: file names exactly as given, unsanitised."""
    boundary = b"fuzz-boundary-0f9e8d"
    parts = []
    for name, values in fields.items():
        for value in values:
            parts.append(
                b'Content-Disposition: form-data; name="%s"\r\n\r\n%s' % (name.encode(), value.encode())
            )
    for file_name, content in files:
        raw_name = file_name if isinstance(file_name, bytes) else file_name.encode("utf-8")
        parts.append(
            b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n%s" % (file_field.encode(), raw_name, content)
        )
    body = (
        b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"
    )
    return f"multipart/form-data; boundary={boundary.decode()}", body


def _exported_with_markup(world, client) -> dict[str, list[tuple[str, bytes]]]:
    """The in-scope map as each export gives it, with an entry's name made hostile: uploads the page accepts,
    so what they bring in is shown again."""
    side = world.cast.inside
    base = f"/people/{side.person.pk}/map/{side.snapshot.pk}/export"
    label = side.entry.label.encode()
    exported = {fmt: client.get(f"{base}/{fmt}/").content for fmt in ("json", "graphml", "nc-csv")}
    escaped_for_xml = html.escape(MARKUP).encode()
    with zipfile.ZipFile(io.BytesIO(exported["nc-csv"])) as archive:
        csvs = {name: archive.read(name).replace(label, MARKUP.encode()) for name in archive.namelist()}
    return {
        "exported json, markup in a name": [
            ("map.json", exported["json"].replace(b'"%s"' % label, json.dumps(NASTY).encode(), 1))
        ],
        "exported graphml, markup in a name": [
            ("map.graphml", exported["graphml"].replace(b">%s<" % label, b">%s<" % escaped_for_xml, 1))
        ],
        "exported network canvas zip, markup in a name": [("export.zip", _zip(csvs))],
        "exported network canvas csv files, markup in a name": list(csvs.items()),
    }


UPLOAD_CASES = [
    "empty file",
    "empty zip",
    "no file name",
    "no extension",
    "image named json",
    "program",
    "json named graphml",
    "graphml named json",
    "json not an object",
    "json null",
    "json huge number",
    "json nested deep",
    "utf-16 json",
    "latin-1 json",
    "nul in json",
    "invalid utf-8 csv",
    "nul in csv",
    "csv field past the reader's limit",
    "csv of many columns",
    "invalid utf-8 graphml",
    "latin-1 graphml",
    "billion laughs",
    "external entity",
    "long file name",
    "huge file name",
    "path in file name",
    "windows path in file name",
    "control characters in file name",
    "markup in file name",
    "non-utf-8 file name",
    "same name twice",
    "mixed kinds",
    "too many files",
    "over the size limit",
    "zip bomb",
    "zip in a zip",
    "zip of many members",
    "zip with paths",
    "truncated zip",
    "zip lying about its sizes",
    "encrypted zip",
    "zip of invalid utf-8",
    "stored zip",
    "exported json, markup in a name",
    "exported graphml, markup in a name",
    "exported network canvas zip, markup in a name",
    "exported network canvas csv files, markup in a name",
]
VIEWS_ONLY = re.compile(r"\.viewed$|\.listed$")


@pytest.mark.parametrize("case", UPLOAD_CASES)
def test_hostile_uploads_never_break_an_upload(case, world):
    """Every form with a file input (the crawl finds them; the map import among them), sent one hostile upload
    with the rest of the form plausible: no server error; refused with a message and nothing changed (reading
    the page may audit the view), or accepted and then shown again with the markup escaped."""
    from connecting_people.audit.models import AuditEvent

    uploads = {key: form for key, form in world.forms.items() if form.files}
    assert "connections:import" in uploads, "the crawl found no upload form"
    problems: list[str] = []
    before = url_matrix.tables_fingerprint()
    for key, form in sorted(uploads.items()):
        client = world.client().as_role(fuzz_role(key))
        cases = upload_cases() if not case.startswith("exported") else _exported_with_markup(world, client)
        (file_field,) = form.files
        content_type, body = _multipart(plausible(form), file_field, cases[case])
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with transaction.atomic():
            response = client.post(form.action, body, content_type=content_type)
            _check(response, key, f"upload {case}", form.action, problems)
            COUNTS["uploads"] += 1
            if 300 <= response.status_code < 400:
                COUNTS["accepted uploads"] += 1
                _read_back(client, world, key, response["Location"], f"upload {case}", problems)
            elif response.status_code == 200:
                page = response.content.decode()
                if "nhsuk-error-summary" not in page:
                    problems.append(f"{form.action} [upload {case}]: refused without a message")
                if MARKUP in page:
                    problems.append(f"{form.action} [upload {case}]: shows the markup unescaped")
                changed = url_matrix.changed_tables(before, url_matrix.tables_fingerprint())
                added = AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True)
                if all(VIEWS_ONLY.search(action) for action in added):
                    changed = [table for table in changed if table != "audit_auditevent"]
                if changed:
                    problems.append(f"{form.action} [upload {case}]: refused, yet changed {changed}")
            transaction.set_rollback(True)
    SERVER_ERRORS.extend(problems)
    assert not problems, "\n".join(problems)


# The request that showed each server error found here, with the engines where it did. Fixed: each must now
# answer below 500 (as the administrator, or anonymous for sign-in). The tests that pin each fix down, with what
# the page says instead, are in `accounts/tests/test_admin_input.py` and `test_sign_in_throttle.py`.
FIXED_SERVER_ERRORS = [
    # a list action on selected ids that are not ids (or past 64 bits): the admin filtered on them
    ("POST", "admin:accounts_trust_changelist", {"action": "delete_selected", "_selected_action": "x"}),
    ("POST", "admin:auth_group_changelist", {"action": "delete_selected", "_selected_action": "9" * 30}),
    # an autocomplete field holding a non-number, looked up again to show it on the refused form
    ("POST", "admin:accounts_membership_add", {"user": "{worker}", "role": "practitioner", "team": "x"}),
    (
        "POST",
        "admin:accounts_user_add",
        {
            "username": "fuzz",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-role": "practitioner",
            "memberships-0-team": "x",
        },
    ),
    # a permission id past 64 bits: the check query failed on SQLite
    ("POST", "admin:auth_group_add", {"name": "Fuzz", "permissions": "9223372036854775808"}),
    # a date drill-down past what a date holds (Django catches only ValueError there)
    ("GET", "admin:axes_accessattempt_changelist", {"attempt_time__year": "2147483648"}),
    ("GET", "admin:axes_accessfailurelog_changelist", {"attempt_time__year": "9" * 30}),
    # a username longer than the column django-axes records it in (PostgreSQL)
    ("POST", "accounts:login", {"username": "u" * 300, "password": "not-the-password"}),
]


@pytest.mark.parametrize("reproduction", FIXED_SERVER_ERRORS, ids=[f"{r[1]}" for r in FIXED_SERVER_ERRORS])
def test_a_server_error_found_here_stays_fixed(reproduction, world):
    method, key, data = reproduction
    assert _reproduce(world, method, key, data).status_code < 500


def _reproduce(world, method: str, key: str, data: dict):
    url = url_matrix.addresses(PATTERNS[key], world.cast)[0].url.split("?")[0]
    data = {name: value.format(worker=world.cast.inside.worker.pk) for name, value in data.items()}
    role = "anonymous" if key == "accounts:login" else "administrator"
    return _send(world.client().as_role(role), method, url, data)


# One request reproducing each entry of KNOWN_SERVER_ERRORS, in the same order: (method, pattern key, data).
REPRODUCTIONS: list[tuple[str, str, dict]] = []
VENDOR = connection.vendor


@pytest.mark.parametrize(
    "known, reproduction",
    [
        pytest.param(
            known,
            reproduction,
            id=reproduction[1],
            marks=pytest.mark.xfail(
                VENDOR in known.engines,
                strict=True,
                raises=AssertionError,
                reason=f"found by fuzzing, not fixed: {known.reason}",
            ),
        )
        for known, reproduction in zip(KNOWN_SERVER_ERRORS, REPRODUCTIONS, strict=True)
    ],
)
def test_known_server_error_is_still_there(known, reproduction, world):
    """One request that shows the error. Fails (so xfails) while the error is there, on the engines where it
    happens; passes elsewhere."""
    method, key, data = reproduction
    response = _reproduce(world, method, key, data)
    assert response.status_code < 500, f"{known.reason}: {response.status_code}"
