"""Reading an Open Referral source: a file, a folder or zip of CSV tables, or an HSDS API (pure: no Django).

    read_source("services.json")                     one JSON document (see hsds.reader for the shapes)
    read_source("export/") or read_source("x.zip")   an HSDS CSV package (services.csv and the other tables)
    read_source("https://api.example.org/hsds")      an API base: GET {base}/services?page=N&per_page=...
                                                     through every page, then GET {base}/services/{id} for
                                                     each service the pages give only in short

Everything is read before anything is saved, so a source that fails half way saves nothing. A source that
cannot be read, or is not HSDS, raises SourceError with a message fit to show as it is.

Limits, whatever the source: at most MAX_SOURCE_BYTES read in all (a file by its size on disk before it is
read; a zip unpacked in pieces, with at most ZIP_MAX_MEMBERS files and none unpacking to more than 100 times
its packed size; an API's answers together), JSON nested at most 64 deep (checked before parsing), and at most
hsds.MAX_SERVICES services. An API is fetched only from public addresses (public_web.fetch: http(s), every
address checked, after every redirect too, and each answer within the time limit).
"""

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from connecting_people.community import hsds
from connecting_people.community.public_web import FetchError, fetch
from connecting_people.core.input_limits import (
    JSON_MAX_DEPTH,
    LimitExceeded,
    json_depth_problem,
    megabytes,
    read_at_most,
    read_members,
    zip_members,
)

TIMEOUT_SECONDS = 20.0
# Asked for on every page: APIs that allow fewer say so in total_pages, which we follow. With `full=true`
# (HSDS 3.0's parameter for fully nested services) a page embeds whole services, so that no service needs a
# request of its own; a service a page still gives in short is fetched from /services/{id}.
PAGE_SIZE = 1000
MAX_PAGES = 10_000
# Read in all from one source (files, unpacked zip, or every answer of an API): hsds.MAX_SERVICES services of
# HSDS JSON come to about this.
MAX_SOURCE_BYTES = 100_000_000
ZIP_MAX_MEMBERS = 100  # an HSDS CSV package has a dozen tables
USER_AGENT = "connecting-people-directory-import/1"


class SourceError(Exception):
    """The source cannot be read, or is not Open Referral / HSDS. Nothing was imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """What a source held. `label` is stored with every record imported from it (Opportunity.source), so that
    importing it again finds the same records, and records of two publishers never meet: the name given
    (--source), else the API's base URL, else the publishing organisation's identifier when every service in
    the file belongs to one organisation ("organisation:GB-CHC-1234567"). Never the file or folder's name
    alone, which two publishers can share (`service_full.json`, a folder called `csv`): when a file says
    nothing of who published it, `label` is "" and `name` says what it was, for the message asking for one."""

    label: str
    directory: hsds.Directory
    name: str = ""
    encodings: dict[str, str] = field(default_factory=dict)  # file name → the encoding it was read in


def is_url(text: str) -> bool:
    return urlsplit(text.strip()).scheme.lower() in ("http", "https")


def read_source(
    text: str,
    *,
    name: str = "",
    timeout: float = TIMEOUT_SECONDS,
    per_page: int = PAGE_SIZE,
    allow_loopback: bool = False,
    categories: Mapping[str, str] | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> Source:
    """Read a file path or an http(s) API base URL. SourceError when it cannot be read, is not HSDS, or is
    over a limit. `name` names the source (see Source.label). `allow_loopback` lets an API on this machine be
    read (tests only)."""
    if is_url(text):
        source = read_api(
            text,
            timeout=timeout,
            per_page=per_page,
            allow_loopback=allow_loopback,
            categories=categories,
            progress=progress,
        )
    else:
        source = read_path(Path(text), categories=categories)
    name = " ".join(name.split())
    return replace(source, label=name) if name else source


# --- files ------------------------------------------------------------------------------------------------


def decoded(name: str, content: bytes) -> tuple[str, str]:
    """(text, the encoding it was in): UTF-8 (with or without a byte order mark), else Windows-1252, the
    encoding Excel on Windows saves "CSV" in. SourceError naming the line and both encodings otherwise.

    We try these two rather than guess among many (charset-normalizer can, but it is not one of our
    dependencies, and a guess between similar single-byte encodings can silently turn £ into another letter):
    UTF-8 never decodes text that is not UTF-8, and what fails it is almost always Windows-1252."""
    if content.startswith(b"\xef\xbb\xbf"):
        encoding, body = "UTF-8 with BOM", content[3:]
    else:
        encoding, body = "UTF-8", content
    try:
        return body.decode("utf-8"), encoding
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        problem = f"{name}: line {line} is not UTF-8 text"
    if encoding == "UTF-8":
        try:
            return body.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as error:
            line = content[: error.start].count(b"\n") + 1
            problem = f"{name}: line {line} is neither UTF-8 nor Windows-1252 text"
    raise SourceError(f"{problem}: save it as UTF-8 (in Excel: CSV UTF-8) and import it again")


def _parsed_json(name: str, content: bytes) -> tuple[Any, str]:
    text, encoding = decoded(name, content)
    # The parser recurses once per level: the depth is checked first, without recursing.
    too_deep = json_depth_problem(text, max_depth=JSON_MAX_DEPTH)
    if too_deep is not None:
        raise SourceError(
            f"{name}: line {too_deep}: arrays and objects nested more than {JSON_MAX_DEPTH} deep"
        )
    try:
        return json.loads(text), encoding
    except json.JSONDecodeError as error:
        raise SourceError(f"{name} ({encoding}) is not JSON: {error.msg} at line {error.lineno}") from None


def _from_file(name: str, directory: hsds.Directory, encodings: Mapping[str, str]) -> Source:
    return Source(directory.publisher, directory, name, dict(encodings))


def _from_tables(label: str, files: Mapping[str, bytes], categories: Mapping[str, str] | None) -> Source:
    texts = {name: decoded(name, data) for name, data in files.items()}
    try:
        return _from_file(
            label,
            hsds.read_tables({name: text for name, (text, _) in texts.items()}, categories=categories),
            {name: encoding for name, (_, encoding) in texts.items()},
        )
    except hsds.NotHSDSError as error:
        raise SourceError(f"{label}: {error}") from None


def read_path(path: Path, *, categories: Mapping[str, str] | None = None) -> Source:
    """A JSON file, a folder holding an HSDS CSV package, a zip of one, or its services.csv."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".csv":
        path = path.parent  # services.csv names its package's folder
    try:
        if path.is_dir():
            tables = [child for child in sorted(path.glob("*.csv")) if child.is_file()]
            if "services.csv" not in {child.name for child in tables}:
                raise SourceError(
                    f"{path} has no services.csv: give the folder of an HSDS CSV package, a .zip of one, "
                    "or an HSDS JSON file"
                )
            total = sum(child.stat().st_size for child in tables)
            if total > MAX_SOURCE_BYTES:
                raise SourceError(f"{path}: its CSV files are {megabytes(total)} in all {_AT_MOST}")
            files = {child.name: _read_file(child) for child in tables}
            return _from_tables(path.resolve().name, files, categories)
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(f"{path.name} is {megabytes(size)} {_AT_MOST}")
        content = _read_file(path)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    if zipfile.is_zipfile(io.BytesIO(content)):
        return _from_zip(path.name, content, categories)
    try:
        document, encoding = _parsed_json(path.name, content)
        directory = hsds.read_json(document, where=path.name, categories=categories)
        return _from_file(path.name, directory, {path.name: encoding})
    except hsds.TooManyServices as error:
        raise SourceError(f"{path.name}: {error}") from None
    except hsds.NotHSDSError as error:
        raise SourceError(str(error)) from None


_AT_MOST = f"(at most {megabytes(MAX_SOURCE_BYTES)} is read)"


def _read_file(path: Path) -> bytes:
    """The file's bytes; stops at the limit even when the file grows after its size was checked."""
    with path.open("rb") as handle:
        try:
            return read_at_most(handle, MAX_SOURCE_BYTES, what=path.name)
        except LimitExceeded as exceeded:
            raise SourceError(f"{exceeded.message} {_AT_MOST}") from None


def _from_zip(label: str, content: bytes, categories: Mapping[str, str] | None = None) -> Source:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = zip_members(archive, max_members=ZIP_MAX_MEMBERS)
            names = [PurePosixPath(info.filename) for info in members]
            services = sorted((n for n in names if n.name == "services.csv"), key=lambda n: len(n.parts))
            if not services:
                raise SourceError(f"{label} holds no services.csv: it is not a zip of an HSDS CSV package")
            folder = services[0].parent
            wanted = [
                info
                for info, name in zip(members, names, strict=True)
                if name.parent == folder and name.suffix.lower() == ".csv"
            ]
            unpacked = read_members(archive, wanted, max_bytes=MAX_SOURCE_BYTES)
    except LimitExceeded as exceeded:
        raise SourceError(f"{label}: {exceeded.message}") from None
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
        raise SourceError(f"cannot read {label} as a zip file: {error}") from None
    files = {PurePosixPath(name).name: data for name, data in unpacked.items()}
    return _from_tables(label, files, categories)


# --- an API -----------------------------------------------------------------------------------------------


_STATUS_WORDS = {400: "400 Bad Request", 404: "404 Not Found", 422: "422 Unprocessable Content"}
# Page sizes tried, largest first, when an API refuses the one asked for (ours allows at most 200).
PAGE_SIZES = (1000, 200, 100, 50)


def smaller_sizes(size: int) -> tuple[int, ...]:
    return tuple(smaller for smaller in PAGE_SIZES if smaller < size)


def api_base(url: str) -> str:
    """The base URL records are stored under: no trailing slash, and no /services (the API's root is meant)."""
    base = url.strip().rstrip("/")
    return base.removesuffix("/services") if base.endswith("/services") else base


class _Api:
    """Reads one API's answers within the time limit for each and the byte limit for them all together."""

    def __init__(self, *, timeout: float, allow_loopback: bool) -> None:
        self.timeout = timeout
        self.allow_loopback = allow_loopback
        self.room = MAX_SOURCE_BYTES

    def get(self, url: str) -> tuple[int, Any]:
        """(HTTP status, parsed JSON). 404 comes back as (404, None); other failures raise SourceError."""
        try:
            answer = fetch(
                url,
                timeout=self.timeout,
                max_bytes=self.room,
                user_agent=USER_AGENT,
                allow_loopback=self.allow_loopback,
            )
        except FetchError as error:
            if error.message.startswith("answered with") and self.room < MAX_SOURCE_BYTES:
                raise SourceError(
                    f"GET {url}: the API's answers come to more than {megabytes(MAX_SOURCE_BYTES)} {_AT_MOST}"
                ) from None
            raise SourceError(f"GET {url} {error.message}") from None
        self.room -= len(answer.body)
        if answer.status in (400, 404, 422):  # the caller decides: a page size too large, no such record
            return answer.status, None
        if not 200 <= answer.status < 300:
            raise SourceError(f"GET {url} answered {answer.status} {answer.reason}")
        try:
            text = answer.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"GET {url} did not answer with JSON: it is not an HSDS API") from None
        too_deep = json_depth_problem(text, max_depth=JSON_MAX_DEPTH)
        if too_deep is not None:
            raise SourceError(
                f"GET {url} answered with arrays and objects nested more than {JSON_MAX_DEPTH} deep"
            )
        try:
            return 200, json.loads(text)
        except json.JSONDecodeError:
            raise SourceError(f"GET {url} did not answer with JSON: it is not an HSDS API") from None


def read_api(
    url: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    per_page: int = PAGE_SIZE,
    allow_loopback: bool = False,
    categories: Mapping[str, str] | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> Source:
    """Every service of an HSDS API, page by page, with the full record of each service a page gives in short.
    A service seen on two pages (the data moved while we paged) is read once. Only from public addresses
    unless `allow_loopback` (tests); at most MAX_SOURCE_BYTES in all and hsds.MAX_SERVICES services."""
    api = _Api(timeout=timeout, allow_loopback=allow_loopback)
    base = api_base(url)
    found: dict[str, hsds.Found] = {}
    nameless: list[hsds.Found] = []
    page = 1
    while True:
        query = urlencode({"page": page, "per_page": per_page, "full": "true"})
        requested = f"{base}/services?{query}"
        status, document = api.get(requested)
        while status in (400, 422) and page == 1 and smaller_sizes(per_page):
            per_page = smaller_sizes(per_page)[0]  # the API allows fewer a page: ask as it allows
            query = urlencode({"page": page, "per_page": per_page, "full": "true"})
            requested = f"{base}/services?{query}"
            status, document = api.get(requested)
        if status in (400, 422):
            raise SourceError(f"GET {requested} answered {status}: it is not an HSDS API we can read")
        if status == 404:
            raise SourceError(
                f"GET {requested} answered 404 Not Found: {base} is not the base of an HSDS API"
            )
        try:
            items, total_pages = hsds.page_of_services(document, where=f"GET {requested}")
        except hsds.NotHSDSError as error:
            raise SourceError(f"{base} is not an HSDS API: {error}") from None
        for item in items:
            service_id = str(item.get("id") or "").strip() if isinstance(item, dict) else ""
            if service_id:
                found.setdefault(service_id, hsds.Found(item, f"GET {requested}"))
            else:
                nameless.append(hsds.Found(item, f"GET {requested}"))
        if progress is not None:
            progress(page, total_pages, "pages of services read")
        if len(found) + len(nameless) > hsds.MAX_SERVICES:
            raise SourceError(f"{base}: {hsds.TooManyServices(len(found) + len(nameless))}")
        if (
            not items
            or (total_pages is not None and page >= total_pages)
            or document.get("last_page") is True
        ):
            break
        if page >= MAX_PAGES:
            raise SourceError(f"{base} gave more than {MAX_PAGES} pages of services: stopped reading")
        page += 1

    services: list[hsds.Found] = []
    fetch_problems: list[hsds.Rejection] = []
    partial = sum(1 for item in found.values() if hsds.is_partial(item.service))
    fetched = 0
    for service_id, item in found.items():
        if not hsds.is_partial(item.service):
            services.append(item)
            continue
        fetched += 1
        if progress is not None:
            progress(fetched, partial, "services given in short: full records read")
        requested = f"{base}/services/{quote(service_id, safe='')}"
        status, full = api.get(requested)
        if status in (400, 404, 422) or hsds.kind_of(full) != "service":
            fetch_problems.append(
                hsds.Rejection(
                    f"GET {requested}",
                    f"service {service_id}",
                    f"its full record answered {_STATUS_WORDS[status]}"
                    if status in (400, 404, 422)
                    else "its full record is not an HSDS service",
                    "all but what the list page gave",
                )
            )
            services.append(item)
        else:
            services.append(hsds.Found(full, f"GET {requested}"))
    return Source(
        base,
        hsds.directory_from([*services, *nameless], rejections=fetch_problems, categories=categories),
        base,
    )
