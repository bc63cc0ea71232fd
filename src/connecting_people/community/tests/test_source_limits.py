"""A directory import is bounded, and fetches only from public addresses.

Limits: JSON nested at most 64 deep (checked before parsing: no RecursionError), at most 100 MB in all (a
file by its size on disk, a zip unpacked in pieces and refused as a zip bomb, an API's answers together), at
most 20,000 services. Fetching: http(s) only, to addresses that resolve to public ones, checked again after every
redirect and against the address actually connected to, within a time limit and a size limit.

No test here uses the internet: the address rules are pure functions, and fetching is tested against a local
server (refused as not public unless a test allows loopback) or with a stand-in resolver and connection."""

import json
import socket
import threading
import time
import tracemalloc
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connecting_people.community.hsds import MAX_SERVICES
from connecting_people.community.public_web import FetchError, address_problem, fetch, url_problem
from connecting_people.community.sources import MAX_SOURCE_BYTES, SourceError, read_source
from connecting_people.core.input_limits import megabytes

LIMIT_MB = megabytes(MAX_SOURCE_BYTES)


def services(count: int) -> list[dict]:
    return [{"id": f"s{n}", "name": f"Group {n}", "status": "active"} for n in range(count)]


def csv_package(count: int) -> str:
    return "id,name\n" + "".join(f"s{n},Group {n}\n" for n in range(count))


# --- depth, size and count --------------------------------------------------------------------------------


def test_json_nested_100_000_deep_is_refused_before_parsing(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SourceError) as caught:
        read_source(str(path))
    assert caught.value.message == "deep.json: line 1: arrays and objects nested more than 64 deep"


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: nothing is written to disk
    with pytest.raises(SourceError) as caught:
        read_source(str(path))
    assert (
        caught.value.message == f"huge.json is {megabytes(MAX_SOURCE_BYTES + 1)} (at most {LIMIT_MB} is read)"
    )


def test_a_csv_folder_over_the_size_limit_is_refused(tmp_path):
    (tmp_path / "services.csv").write_text(csv_package(2))
    with (tmp_path / "locations.csv").open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES)
    with pytest.raises(SourceError) as caught:
        read_source(str(tmp_path))
    size = megabytes(MAX_SOURCE_BYTES + len(csv_package(2)))
    assert caught.value.message == f"{tmp_path}: its CSV files are {size} in all (at most {LIMIT_MB} is read)"


def zipped(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_a_zip_member_that_unpacks_past_the_limit_is_refused_in_little_memory(tmp_path):
    path = tmp_path / "package.zip"
    row = b"s,Walking group for people who like walking in the park on a Sunday morning\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("services.csv", "w", force_zip64=True) as member:
            member.write(b"id,name\n")
            for _ in range(300):  # 300 MB unpacked, written a megabyte at a time
                member.write(row * (1_000_000 // len(row)) + b"x" * (1_000_000 % len(row)))
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            read_source(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    unpacked = megabytes(len(b"id,name\n") + 300 * 1_000_000)
    assert caught.value.message == f"package.zip: unpacks to {unpacked} (at most {LIMIT_MB} is read)"
    assert peak < 10_000_000  # the archive itself is under 1 MB; nothing was unpacked


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    path = tmp_path / "bomb.zip"
    zipped(path, {"services.csv": b"id,name\n" + b"," * 5_000_000})
    with pytest.raises(SourceError) as caught:
        read_source(str(path))
    assert caught.value.message == (
        "bomb.zip: services.csv unpacks to more than 100 times its packed size (a zip bomb?)"
    )


def test_a_zip_of_very_many_files_is_refused(tmp_path):
    path = tmp_path / "many.zip"
    zipped(path, {"services.csv": csv_package(1).encode(), **{f"extra/{n}.txt": b"" for n in range(200)}})
    with pytest.raises(SourceError) as caught:
        read_source(str(path))
    assert caught.value.message == "many.zip: holds 201 files (at most 100 are read)"


@pytest.mark.parametrize("shape", ["json", "csv"])
def test_more_services_than_an_import_takes_are_refused(tmp_path, shape):
    if shape == "json":
        path = tmp_path / "feed.json"
        path.write_text(json.dumps(services(MAX_SERVICES + 1)))
    else:
        path = tmp_path / "services.csv"
        path.write_text(csv_package(MAX_SERVICES + 1))
    with pytest.raises(SourceError) as caught:
        read_source(str(path))
    assert caught.value.message.endswith(
        f"{MAX_SERVICES + 1:,} services, but an import takes at most {MAX_SERVICES:,}"
    )


def test_the_limit_itself_is_accepted(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(services(MAX_SERVICES)))
    assert len(read_source(str(path)).directory.opportunities) == MAX_SERVICES


# --- the address rules, as pure functions -----------------------------------------------------------------


@pytest.mark.parametrize(
    "address, problem",
    [
        ("93.184.215.14", None),
        ("2a00:1450:4009:81f::200e", None),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services live here
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "not publicly routable"),  # shared address space (carrier-grade NAT)
        ("192.0.2.10", "not publicly routable"),  # documentation
        ("198.18.0.1", "not publicly routable"),  # benchmarking
        ("::ffff:127.0.0.1", "loopback, as an IPv4-mapped IPv6 address"),
        ("::ffff:10.0.0.1", "private, as an IPv4-mapped IPv6 address"),
        ("::ffff:169.254.169.254", "link-local, as an IPv4-mapped IPv6 address"),
        ("::ffff:93.184.215.14", None),
        ("64:ff9b::a00:1", "private, inside a NAT64 IPv6 address"),
        ("2002:a00:1::1", "private, inside a 6to4 IPv6 address"),
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, long deprecated
        ("fec0::1", "site-local"),
    ],
)
def test_only_public_addresses_are_fetched(address, problem):
    assert address_problem(address) == problem


def test_loopback_is_allowed_only_when_asked_and_nothing_else_is():
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("::ffff:127.0.0.1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) == "private"
    assert address_problem("169.254.169.254", allow_loopback=True) == "link-local"


@pytest.mark.parametrize(
    "url, problem",
    [
        ("https://directory.example.org/api", None),
        ("http://directory.example.org:8080/api", None),
        ("file:///etc/passwd", "only http and https addresses are fetched"),
        ("ftp://directory.example.org/", "only http and https addresses are fetched"),
        ("gopher://127.0.0.1:6379/", "only http and https addresses are fetched"),
        ("https:///api", "it names no host"),
        (
            "https://user:secret@directory.example.org/",
            "addresses with a user name or password are not fetched",
        ),
        ("http://directory.example.org:99999/", "its port is not a number from 1 to 65535"),
    ],
)
def test_only_http_and_https_addresses_with_a_host_are_fetched(url, problem):
    assert url_problem(url) == problem


# --- fetching from a local server -------------------------------------------------------------------------


class Server:
    """A local HTTP server answering every GET with `answer(path)`: (status, headers, body)."""

    def __init__(self):
        self.requests: list[str] = []
        self.answer = lambda path: (200, {"Content-Type": "application/json"}, b'{"contents": []}')
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                server.requests.append(self.path)
                status, headers, body = server.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers and not callable(body):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if callable(body):
                        body(self.wfile)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


def test_a_local_server_is_refused_unless_loopback_is_allowed(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url + "/services", timeout=2, max_bytes=1000)
    assert caught.value.message == "refused: 127.0.0.1 is not a public address (loopback)"
    assert server.requests == []  # not even connected to
    answer = fetch(server.url + "/services", timeout=2, max_bytes=1000, allow_loopback=True)
    assert (answer.status, answer.body) == (200, b'{"contents": []}')


def test_the_import_refuses_a_local_address(server):
    with pytest.raises(SourceError) as caught:
        read_source(server.url + "/api")
    assert caught.value.message == (
        f"GET {server.url}/api/services?page=1&per_page=1000&full=true refused: 127.0.0.1 is not a public address "
        "(loopback)"
    )
    assert server.requests == []


@pytest.mark.parametrize(
    "location, message",
    [
        ("http://10.0.0.7/services", "refused: 10.0.0.7 is not a public address (private)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is not a public address (link-local)",
        ),
        (
            "http://[::ffff:a00:7]/",
            "refused: ::ffff:a00:7 is not a public address (private, as an IPv4-mapped IPv6 address)",
        ),
        (
            "file:///etc/passwd",
            "refused: redirected to file:///etc/passwd: only http and https addresses are fetched",
        ),
    ],
)
def test_every_redirect_is_checked_again(server, location, message):
    server.answer = lambda path: (302, {"Location": location}, b"")
    with pytest.raises(FetchError) as caught:
        fetch(server.url + "/services", timeout=2, max_bytes=1000, allow_loopback=True)
    assert caught.value.message == message


def test_a_redirect_to_another_public_looking_place_is_followed_and_checked(server):
    server.answer = lambda path: (
        (301, {"Location": "/moved"}, b"") if path == "/services" else (200, {}, b'{"moved": true}')
    )
    answer = fetch(server.url + "/services", timeout=2, max_bytes=1000, allow_loopback=True)
    assert answer.body == b'{"moved": true}' and answer.url == server.url + "/moved"


def test_redirects_do_not_go_round_for_ever(server):
    server.answer = lambda path: (302, {"Location": "/again"}, b"")
    with pytest.raises(FetchError) as caught:
        fetch(server.url + "/services", timeout=2, max_bytes=1000, allow_loopback=True)
    assert caught.value.message == "refused: more than 5 redirects"


def test_an_answer_over_the_size_limit_is_refused_by_its_length_before_it_is_read(server):
    server.answer = lambda path: (200, {"Content-Length": str(10**9)}, b"")
    with pytest.raises(FetchError) as caught:
        fetch(server.url, timeout=2, max_bytes=1000, allow_loopback=True)
    assert caught.value.message == "answered with 1,000 MB (at most 0.1 MB is read)"


def test_an_answer_that_does_not_say_its_length_is_cut_off_at_the_limit(server):
    def endless(out):
        for _ in range(100):
            out.write(b"x" * 10_000)

    server.answer = lambda path: (200, {"Connection": "close"}, endless)
    with pytest.raises(FetchError) as caught:
        fetch(server.url, timeout=2, max_bytes=50_000, allow_loopback=True)
    assert caught.value.message == "answered with more than 0.1 MB (at most 0.1 MB is read)"


def test_a_server_that_drips_its_answer_is_stopped_at_the_time_limit(server):
    def drip(out):
        for _ in range(50):
            out.write(b" ")
            out.flush()
            time.sleep(0.1)

    server.answer = lambda path: (200, {"Connection": "close"}, drip)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server.url, timeout=0.5, max_bytes=1000, allow_loopback=True)
    assert caught.value.message == "did not answer in 0.5 seconds"
    assert time.monotonic() - started < 2


# --- DNS rebinding and the address actually connected to --------------------------------------------------


class StandIn:
    """A resolver and a connection maker for `fetch`, so that no test looks a name up or leaves this machine."""

    def __init__(self, answers: list[list[str]], connect_to: tuple[str, int]):
        self.answers = answers  # what each look-up gives, in turn (a rebinding name changes its answer)
        self.looked_up: list[str] = []
        self.connected: list[str] = []
        self.connect_to = connect_to

    def resolve(self, host: str, port: int) -> list[str]:
        self.looked_up.append(host)
        return self.answers[min(len(self.looked_up), len(self.answers)) - 1]

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        self.connected.append(address)
        return socket.create_connection(self.connect_to, timeout)


def test_a_name_resolving_to_any_non_public_address_is_refused(server):
    stand_in = StandIn([["93.184.215.14", "10.0.0.1"]], ("127.0.0.1", server.port))
    with pytest.raises(FetchError) as caught:
        fetch("http://directory.example.org/", timeout=2, max_bytes=1000, **vars_of(stand_in))
    assert caught.value.message == (
        "refused: directory.example.org resolves to 10.0.0.1, not a public address (private)"
    )
    assert stand_in.connected == []


def test_the_name_is_looked_up_once_and_the_checked_address_is_the_one_connected_to(server):
    # A rebinding name: public for the check, loopback for any later look-up. There is no later look-up.
    stand_in = StandIn([["93.184.215.14"], ["127.0.0.1"]], ("127.0.0.1", server.port))
    with pytest.raises(FetchError):
        fetch("http://rebind.example.org/", timeout=2, max_bytes=1000, **vars_of(stand_in))
    assert stand_in.looked_up == ["rebind.example.org"]
    assert stand_in.connected == ["93.184.215.14"]


def test_the_address_actually_connected_to_is_checked(server):
    # Whatever the look-up said, a connection that ends up at a loopback address is dropped before a request.
    stand_in = StandIn([["93.184.215.14"]], ("127.0.0.1", server.port))
    with pytest.raises(FetchError) as caught:
        fetch("http://directory.example.org/", timeout=2, max_bytes=1000, **vars_of(stand_in))
    assert caught.value.message == (
        "refused: the connection to directory.example.org reached 127.0.0.1, not a public address (loopback)"
    )
    assert server.requests == []


def test_the_host_header_names_the_host_asked_for(server):
    seen = []
    server.answer = lambda path: (200, {}, b"{}")
    original = server.server.RequestHandlerClass.do_GET

    def recording(handler):
        seen.append(handler.headers["Host"])
        original(handler)

    server.server.RequestHandlerClass.do_GET = recording
    stand_in = StandIn([["93.184.215.14"]], ("127.0.0.1", server.port))
    fetch(
        "http://directory.example.org/services",
        timeout=2,
        max_bytes=1000,
        allow_loopback=True,
        **vars_of(stand_in),
    )
    assert seen == ["directory.example.org"]


def vars_of(stand_in: StandIn) -> dict:
    return {"resolve": stand_in.resolve, "connect": stand_in.connect}
