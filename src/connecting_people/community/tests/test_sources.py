"""Reading sources: files, CSV folders and zips, and an HSDS API served from a local HTTP server in a thread
(there is no network here; loopback is allowed for these tests only, see test_source_limits.py for the
refusal). Every failure is a SourceError with a message fit to show."""

import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from connecting_people.community.sources import SourceError, read_source
from connecting_people.community.tests.openreferral import DASHBOARD, HSDS, ORUK, SERVICE_ID, needs_fixtures


class Api:
    """A local HTTP server answering with whatever `answer(path, query)` gives: (status, body, content type)."""

    def __init__(self):
        self.requests: list[str] = []
        self.answer = lambda path, query: (404, b"", "text/plain")
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                api.requests.append(self.path)
                parts = urlsplit(self.path)
                status, body, content_type = api.answer(parts.path, parse_qs(parts.query))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except BrokenPipeError:  # the reader gave up waiting (the timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = Api()
    yield server
    server.close()


def as_json(document) -> tuple[int, bytes, str]:
    return 200, json.dumps(document).encode(), "application/json"


def fixture_bytes(path) -> tuple[int, bytes, str]:
    return 200, path.read_bytes(), "application/json"


# --- an API -----------------------------------------------------------------------------------------------


@needs_fixtures
def test_the_uk_profile_examples_served_as_an_api(api):
    """The example list says it has 10 pages, each with the same short service: every page is read, the service
    once, and its full record fetched from /services/{id}."""

    def answer(path, query):
        if path == "/api/v3/services":
            return fixture_bytes(ORUK / "service_list.json")
        if path == f"/api/v3/services/{SERVICE_ID}":
            return fixture_bytes(ORUK / "service_full.json")
        return 404, b"", "text/plain"

    api.answer = answer
    source = read_source(api.url + "/", allow_loopback=True)
    assert source.label == api.url  # without the trailing slash, so a second import finds the same records
    (record,) = source.directory.opportunities
    assert record.source_id == SERVICE_ID and len(record.sessions) == 2  # from the full record
    pages = [request for request in api.requests if "page=" in request]
    assert len(pages) == 10 and pages[0] == "/api/v3/services?page=1&per_page=1000&full=true"
    assert api.requests[-1] == f"/api/v3/services/{SERVICE_ID}"
    assert [r.where for r in source.directory.rejections] == [f"GET {api.url}/services/{SERVICE_ID}"]


@needs_fixtures
def test_pages_of_full_services_need_no_more_requests(api):
    full = json.loads((HSDS / "service_full.json").read_text())

    def answer(path, query):
        page = int(query["page"][0])
        contents = [full | {"id": f"s{page}-{n}", "name": f"Group {page}.{n}"} for n in range(2)]
        return as_json({"total_pages": 3, "page_number": page, "contents": contents})

    api.answer = answer
    source = read_source(
        api.url + "/services", per_page=2, allow_loopback=True
    )  # the /services address works as well
    assert [r.source_id for r in source.directory.opportunities] == [
        "s1-0",
        "s1-1",
        "s2-0",
        "s2-1",
        "s3-0",
        "s3-1",
    ]
    assert len(api.requests) == 3


def test_a_page_that_says_it_is_the_last_ends_the_reading(api):
    api.answer = lambda path, query: as_json(
        {"last_page": True, "contents": [{"id": "a", "name": "A", "status": "active"}]}
    )
    assert len(read_source(api.url, allow_loopback=True).directory.opportunities) == 1
    assert [request for request in api.requests if "page=" in request] == [
        "/api/v3/services?page=1&per_page=1000&full=true"
    ]


def test_a_full_record_that_is_missing_keeps_what_the_page_gave(api):
    def answer(path, query):
        if path == "/api/v3/services":
            return as_json({"total_pages": 1, "contents": [{"id": "gone", "name": "Walking group"}]})
        return 404, b"Not here", "text/plain"

    api.answer = answer
    source = read_source(api.url, allow_loopback=True)
    assert [r.name for r in source.directory.opportunities] == ["Walking group"]
    (rejection,) = source.directory.rejections
    assert rejection.reason == "its full record answered 404 Not Found"
    assert rejection.left_out == "all but what the list page gave"


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            lambda p, q: (200, b"<html>Welcome</html>", "text/html"),
            "did not answer with JSON: it is not an HSDS API",
        ),
        (lambda p, q: (500, b"oops", "text/plain"), "answered 500 Internal Server Error"),
        (lambda p, q: (404, b"", "text/plain"), "answered 404 Not Found: http://127.0.0.1:"),
        (lambda p, q: as_json({"hello": "world"}), "is not a page of HSDS services: it has no 'contents'"),
        (
            lambda p, q: as_json({"contents": [{"id": "t", "name": "x", "taxonomy": "y"}]}),
            "a page of taxonomy terms",
        ),
    ],
    ids=["html", "server error", "no such api", "other json", "taxonomy terms"],
)
def test_an_address_that_is_not_an_hsds_api(api, answer, message):
    api.answer = answer
    with pytest.raises(SourceError, match=message):
        read_source(api.url, allow_loopback=True)


@needs_fixtures
def test_the_v1_dashboard_served_as_services_is_not_an_api(api):
    api.answer = lambda path, query: fixture_bytes(DASHBOARD)
    with pytest.raises(SourceError, match="is not an HSDS API"):
        read_source(api.url, allow_loopback=True)


def test_an_address_that_does_not_answer():
    server = Api()
    url = server.url
    server.close()  # nothing listens there now
    with pytest.raises(SourceError, match=r"did not answer: \[Errno 111\] Connection refused"):
        read_source(url, allow_loopback=True)


def test_an_api_that_takes_too_long(api):
    def slow(path, query):
        time.sleep(1.0)
        return as_json({"contents": []})

    api.answer = slow
    with pytest.raises(SourceError, match=r"did not answer in 0\.2 seconds"):
        read_source(api.url, timeout=0.2, allow_loopback=True)


# --- files ------------------------------------------------------------------------------------------------


@needs_fixtures
def test_a_json_file():
    source = read_source(str(HSDS / "service_full.json"))
    assert source.label == "organisation:GB-COH-1234567"  # the publisher, not the file's name
    assert source.name == "service_full.json"
    assert [r.source_id for r in source.directory.opportunities] == [SERVICE_ID]


@needs_fixtures
@pytest.mark.parametrize("which", ["folder", "services.csv"])
def test_a_csv_folder_or_its_services_file(which):
    path = HSDS / "csv" if which == "folder" else HSDS / "csv" / "services.csv"
    source = read_source(str(path))
    assert source.label == "organisation:GB-COH-1234567"
    assert [r.source_id for r in source.directory.opportunities] == [SERVICE_ID]


@needs_fixtures
def test_a_zip_of_the_csv_package(tmp_path):
    archive = tmp_path / "directory.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (HSDS / "csv").glob("*.csv"):
            zipped.write(path, f"export-2026/{path.name}")
    source = read_source(str(archive))
    assert source.label == "organisation:GB-COH-1234567"
    assert read_source(str(archive), name=" Riverside  Council ").label == "Riverside Council"
    assert [r.source_id for r in source.directory.opportunities] == [SERVICE_ID]
    assert len(source.directory.rejections) == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("broken.json", b'{"contents": [', r"broken.json \(UTF-8\) is not JSON: Expecting value at line 1"),
        ("latin.json", b'{"name": "caf\xe9"}', "latin.json is not HSDS"),  # read as Windows-1252
        (
            "utf16.json",
            b"\xff\xfe{\x00}\x00\x81",
            "utf16.json: line 1 is neither UTF-8 nor Windows-1252 text",
        ),
        ("other.json", b'{"hello": 1}', "other.json is not HSDS"),
        ("empty.zip", None, "empty.zip holds no services.csv"),
    ],
)
def test_files_that_are_not_hsds(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as zipped:
            zipped.writestr("readme.txt", "nothing here")
    else:
        path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        read_source(str(path))


def test_a_missing_path_and_a_folder_without_services(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        read_source(str(tmp_path / "nowhere.json"))
    (tmp_path / "organizations.csv").write_text("id,name\n1,Trust\n")
    with pytest.raises(SourceError, match="has no services.csv"):
        read_source(str(tmp_path))


def test_a_services_table_without_its_columns(tmp_path):
    (tmp_path / "services.csv").write_text("identifier,title\n1,Walk\n")
    with pytest.raises(SourceError, match="services.csv has no id and name columns"):
        read_source(str(tmp_path))


# --- requests and progress (issue 16) ---------------------------------------------------------------------


def test_a_list_that_embeds_full_services_takes_one_request_a_page_at_the_largest_size_allowed(api):
    """A v1 council feed of 817 services whose list pages embed whole services: 5 pages of 200 (the API
    refuses 1000), and no request per service (the issue saw 825 requests)."""
    full = [
        {"id": f"s{n}", "name": f"Service {n}", "status": "active", "regular_schedules": [], "contacts": []}
        for n in range(817)
    ]

    def answer(path, query):
        per_page = int(query["per_page"][0])
        if per_page > 200:
            return 400, b'{"detail": "per_page must be at most 200"}', "application/json"
        page = int(query["page"][0])
        contents = full[(page - 1) * per_page : page * per_page]
        return as_json({"contents": contents, "total_pages": -(-len(full) // per_page), "page_number": page})

    api.answer = answer
    seen = []
    source = read_source(api.url, allow_loopback=True, progress=lambda *step: seen.append(step))
    assert len(source.directory.opportunities) == 817
    assert len(api.requests) == 6  # the refused page size, then 5 pages
    assert all("full=true" in request for request in api.requests)
    assert seen[-1] == (5, 5, "pages of services read")
