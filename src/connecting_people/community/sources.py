"""Reading an Open Referral source: a file, a folder or zip of CSV tables, or an HSDS API (pure: no Django).

    read_source("services.json")                     one JSON document (see hsds.reader for the shapes)
    read_source("export/") or read_source("x.zip")   an HSDS CSV package (services.csv and the other tables)
    read_source("https://api.example.org/hsds")      an API base: GET {base}/services?page=N&per_page=...
                                                     through every page, then GET {base}/services/{id} for
                                                     each service the pages give only in short

Everything is read before anything is saved, so a source that fails half way saves nothing. A source that
cannot be read, or is not HSDS, raises SourceError with a message fit to show as it is.
"""

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import Request, urlopen

from connecting_people.community import hsds

TIMEOUT_SECONDS = 20.0
PAGE_SIZE = 200
MAX_PAGES = 10_000
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
USER_AGENT = "connecting-people-directory-import/1"


class SourceError(Exception):
    """The source cannot be read, or is not Open Referral / HSDS. Nothing was imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """What a source held. `label` is stored with every record imported from it (Opportunity.source): the
    file or folder's name, or the API's base URL, so that importing it again finds the same records."""

    label: str
    directory: hsds.Directory


def is_url(text: str) -> bool:
    return urlsplit(text.strip()).scheme.lower() in ("http", "https")


def read_source(text: str, *, timeout: float = TIMEOUT_SECONDS, per_page: int = PAGE_SIZE) -> Source:
    """Read a file path or an http(s) API base URL. SourceError when it cannot be read or is not HSDS."""
    if is_url(text):
        return read_api(text, timeout=timeout, per_page=per_page)
    return read_path(Path(text))


# --- files ------------------------------------------------------------------------------------------------


def _decoded(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise SourceError(f"{name}: line {line} is not UTF-8 text") from None


def _parsed_json(name: str, content: bytes) -> Any:
    try:
        return json.loads(_decoded(name, content))
    except json.JSONDecodeError as error:
        raise SourceError(f"{name} is not JSON: {error.msg} at line {error.lineno}") from None


def _from_tables(label: str, files: Mapping[str, bytes]) -> Source:
    try:
        return Source(label, hsds.read_tables({name: _decoded(name, data) for name, data in files.items()}))
    except hsds.NotHSDSError as error:
        raise SourceError(f"{label}: {error}") from None


def read_path(path: Path) -> Source:
    """A JSON file, a folder holding an HSDS CSV package, a zip of one, or its services.csv."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".csv":
        path = path.parent  # services.csv names its package's folder
    try:
        if path.is_dir():
            files = {
                child.name: child.read_bytes() for child in sorted(path.glob("*.csv")) if child.is_file()
            }
            if "services.csv" not in files:
                raise SourceError(
                    f"{path} has no services.csv: give the folder of an HSDS CSV package, a .zip of one, "
                    "or an HSDS JSON file"
                )
            return _from_tables(path.resolve().name, files)
        content = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    if zipfile.is_zipfile(io.BytesIO(content)):
        return _from_zip(path.name, content)
    try:
        return Source(path.name, hsds.read_json(_parsed_json(path.name, content), where=path.name))
    except hsds.NotHSDSError as error:
        raise SourceError(str(error)) from None


def _from_zip(label: str, content: bytes) -> Source:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [PurePosixPath(name) for name in archive.namelist() if not name.endswith("/")]
            services = sorted((n for n in names if n.name == "services.csv"), key=lambda n: len(n.parts))
            if not services:
                raise SourceError(f"{label} holds no services.csv: it is not a zip of an HSDS CSV package")
            folder = services[0].parent
            files = {
                name.name: archive.read(str(name))
                for name in names
                if name.parent == folder and name.suffix.lower() == ".csv"
            }
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"cannot read {label} as a zip file: {error}") from None
    return _from_tables(label, files)


# --- an API -----------------------------------------------------------------------------------------------


def api_base(url: str) -> str:
    """The base URL records are stored under: no trailing slash, and no /services (the API's root is meant)."""
    base = url.strip().rstrip("/")
    return base.removesuffix("/services") if base.endswith("/services") else base


def _get(url: str, *, timeout: float) -> tuple[int, Any]:
    """(HTTP status, parsed JSON). 404 comes back as (404, None); other failures raise SourceError."""
    request = Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - the scheme is checked: http(s) only
            content = response.read(MAX_RESPONSE_BYTES + 1)
    except HTTPError as error:
        if error.code == 404:
            return 404, None
        raise SourceError(f"GET {url} answered {error.code} {error.reason}") from None
    except (URLError, TimeoutError, ConnectionError, HTTPException, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise SourceError(f"GET {url} did not answer: {reason}") from None
    if len(content) > MAX_RESPONSE_BYTES:
        raise SourceError(f"GET {url} answered with more than {MAX_RESPONSE_BYTES // 2**20} MB")
    try:
        return 200, json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SourceError(f"GET {url} did not answer with JSON: it is not an HSDS API") from None


def read_api(url: str, *, timeout: float = TIMEOUT_SECONDS, per_page: int = PAGE_SIZE) -> Source:
    """Every service of an HSDS API, page by page, with the full record of each service a page gives in short.
    A service seen on two pages (the data moved while we paged) is read once."""
    base = api_base(url)
    found: dict[str, hsds.Found] = {}
    nameless: list[hsds.Found] = []
    page = 1
    while True:
        query = urlencode({"page": page, "per_page": per_page})
        requested = f"{base}/services?{query}"
        status, document = _get(requested, timeout=timeout)
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
    for service_id, item in found.items():
        if not hsds.is_partial(item.service):
            services.append(item)
            continue
        requested = f"{base}/services/{quote(service_id, safe='')}"
        status, full = _get(requested, timeout=timeout)
        if status == 404 or hsds.kind_of(full) != "service":
            fetch_problems.append(
                hsds.Rejection(
                    f"GET {requested}",
                    f"service {service_id}",
                    "its full record answered 404 Not Found"
                    if status == 404
                    else "its full record is not an HSDS service",
                    "all but what the list page gave",
                )
            )
            services.append(item)
        else:
            services.append(hsds.Found(full, f"GET {requested}"))
    return Source(base, hsds.directory_from([*services, *nameless], rejections=fetch_problems))
