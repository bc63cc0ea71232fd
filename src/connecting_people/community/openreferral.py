"""The community directory served as the Open Referral UK 3.0 API (HSDS 3.0): read-only, public, JSON.

Thin views: read the query, call one selector of community.published, map with hsds.export (the same mapping
as the `community export` file), answer JSON. Only running opportunities are published, and nothing personal:
no sign-in, no second factor (accounts.middleware lets /openreferral/ through), and any web page may read it
(`Access-Control-Allow-Origin: *`; no cookies are needed or honoured).

Query parameters (docs/community.md): `page`, `per_page` (1 to MAX_PER_PAGE, default DEFAULT_PER_PAGE) and
`format=json` everywhere; `search`, `taxonomy_term_id`, `taxonomy_id`, `organization_id`, `day` and `full` on
the service lists; `search` on organisations, `taxonomy_id` on terms. A value we cannot read, or a parameter
of the specification we do not support (ages, times, postcode and proximity, modified_after ...), is answered
400 with RFC 9457 problem JSON, never silently ignored; an unknown id is a 404 problem.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpResponse

from connecting_people.community import published
from connecting_people.community.hsds import export
from connecting_people.community.hsds.schedules import DAY_CODES

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
PROFILE_URL = "https://github.com/openreferral/uk-profile"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Parameters of the specification we do not support: asked for, they are refused rather than ignored.
UNSUPPORTED = frozenset(
    {
        "minimum_age",
        "maximum_age",
        "start_time",
        "end_time",
        "postcode",
        "proximity",
        "modified_after",
        "minimal",
        "full_service",
        "top_only",
        "parent_id",
    }
)


class BadParameter(ValueError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


def _json(data, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), status=status, content_type=f"{content_type}; charset=utf-8"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def problem(status: int, title: str, detail: str, request, **extra) -> HttpResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = request.get_full_path()
    return _json(body | extra, status=status, content_type="application/problem+json")


def endpoint(allowed: frozenset[str]) -> Callable:
    """GET (and HEAD) only; a parameter of the specification we do not support, or a value we cannot read
    (BadParameter), is a 400 problem; NotFound a 404 problem. `allowed`: the parameters this one reads."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, **kwargs):
            if request.method not in ("GET", "HEAD"):
                response = problem(405, "Method Not Allowed", "This API is read-only: use GET.", request)
                response["Allow"] = "GET, HEAD"
                return response
            try:
                for name in request.GET:
                    if name in UNSUPPORTED or (name not in allowed and name in _SPECIFIED):
                        raise BadParameter(name, "not supported by this API")
                if request.GET.get("format", "json") != "json":
                    raise BadParameter("format", "only json is supported")
                return view(request, **kwargs)
            except BadParameter as error:
                return problem(
                    400,
                    "Bad Request",
                    f"The query parameter {error.name!r} cannot be used: {error.reason}.",
                    request,
                    invalid_params=[{"name": error.name, "reason": error.reason}],
                )
            except published.NotFound:
                return problem(404, "Not Found", "Nothing is published under that id.", request)

        return wrapped

    return decorate


PAGING = frozenset({"page", "per_page", "format"})
SERVICE_PARAMETERS = PAGING | {"search", "taxonomy_term_id", "taxonomy_id", "organization_id", "day", "full"}
_SPECIFIED = UNSUPPORTED | SERVICE_PARAMETERS


def _integer(request, name: str, default: int, highest: int | None = None) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadParameter(name, "must be a whole number, 1 or more")
    if highest is not None and int(raw) > highest:
        raise BadParameter(name, f"must be at most {highest}")
    return int(raw)


def _paging(request) -> tuple[int, int]:
    """(page number, per page)."""
    return _integer(request, "page", 1, highest=10**6), _integer(
        request, "per_page", DEFAULT_PER_PAGE, highest=MAX_PER_PAGE
    )


def _boolean(request, name: str) -> bool:
    raw = request.GET.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise BadParameter(name, "must be true or false")
    return raw in ("true", "1")


def _page(contents: list, total: int, page_number: int, per_page: int) -> HttpResponse:
    return _json(export.page(contents, total_items=total, page_number=page_number, per_page=per_page))


def _taxonomy(request) -> str:
    value = request.GET.get("taxonomy_id", "")
    if not value:
        return ""
    by_id = {export.taxonomy_id(taxonomy): taxonomy for taxonomy in published.OWN_TAXONOMIES}
    if value not in by_id:
        raise BadParameter("taxonomy_id", "no taxonomy is published under that id")
    return by_id[value]


def _service_filter(request, *, placed_only: bool) -> published.ServiceFilter:
    term = None
    if value := request.GET.get("taxonomy_term_id", ""):
        by_id = {export.term_id(taxonomy, code): (taxonomy, code) for taxonomy, code in published.terms()}
        if value not in by_id:
            raise BadParameter("taxonomy_term_id", "no taxonomy term is published under that id")
        term = by_id[value]
    organisation_pk = None
    if value := request.GET.get("organization_id", ""):
        organisation_pk = published.organisation_pk(organization_id=value)
        if organisation_pk is None:
            raise BadParameter("organization_id", "no organization is published under that id")
    weekday = None
    if value := request.GET.get("day", "").strip().lower():
        codes = [code.lower() for code in DAY_CODES]
        if value in codes:
            weekday = codes.index(value)
        elif value in DAY_NAMES:
            weekday = DAY_NAMES.index(value)
        else:
            raise BadParameter("day", "must be a day of the week: MO to SU, or its name")
    return published.ServiceFilter(
        text=request.GET.get("search", ""),
        term=term,
        taxonomy=_taxonomy(request),
        organisation_pk=organisation_pk,
        weekday=weekday,
        placed_only=placed_only,
    )


@endpoint(PAGING)
def index(request):
    """What this API is (ORUK `GET /`)."""
    return _json({"version": "3.0", "profile": PROFILE_URL, "openapi_url": OPENAPI_URL})


@endpoint(SERVICE_PARAMETERS)
def services(request):
    page_number, per_page = _paging(request)
    full = _boolean(request, "full")
    found = published.services_page(
        filter=_service_filter(request, placed_only=False),
        offset=(page_number - 1) * per_page,
        limit=per_page,
    )
    as_json = export.service_json if full else export.service_summary_json
    contents = [as_json(record, found.organisations) for record in found.records]
    return _page(contents, found.total, page_number, per_page)


@endpoint(frozenset({"format"}))
def service(request, service_id: str):
    record, organisations = published.service_get(service_id=service_id)
    return _json(export.service_json(record, organisations))


@endpoint(SERVICE_PARAMETERS - {"full"})
def service_at_locations(request):
    page_number, per_page = _paging(request)
    found = published.services_page(
        filter=_service_filter(request, placed_only=True), offset=(page_number - 1) * per_page, limit=per_page
    )
    contents = [
        export.service_at_location_summary_json(record, found.organisations) for record in found.records
    ]
    return _page(contents, found.total, page_number, per_page)


@endpoint(frozenset({"format"}))
def service_at_location(request, service_at_location_id: str):
    record = published.service_at_location_get(service_at_location_id=service_at_location_id)
    return _json(export.service_at_location_json(record))


@endpoint(PAGING | {"search"})
def organizations(request):
    page_number, per_page = _paging(request)
    records, total = published.organisations_page(
        text=request.GET.get("search", ""), offset=(page_number - 1) * per_page, limit=per_page
    )
    return _page(
        [export.organisation_summary_json(record) for record in records], total, page_number, per_page
    )


@endpoint(frozenset({"format"}))
def organization(request, organization_id: str):
    record, services_ = published.organisation_get(organization_id=organization_id)
    organisations = {record.source_id: record}
    return _json(export.organisation_full_json(record, services_, organisations))


def _listed(request, items: list[dict]) -> HttpResponse:
    """A short list (our taxonomies, our terms) paged in memory, filtered by `search` on the name."""
    page_number, per_page = _paging(request)
    words = request.GET.get("search", "").lower().split()
    items = [item for item in items if all(word in item["name"].lower() for word in words)]
    start = (page_number - 1) * per_page
    return _page(items[start : start + per_page], len(items), page_number, per_page)


@endpoint(PAGING | {"search"})
def taxonomies(request):
    return _listed(request, [export.taxonomy_json(taxonomy) for taxonomy in published.OWN_TAXONOMIES])


@endpoint(frozenset({"format"}))
def taxonomy(request, taxonomy_id: str):
    by_id = {export.taxonomy_id(taxonomy): taxonomy for taxonomy in published.OWN_TAXONOMIES}
    if taxonomy_id not in by_id:
        raise published.NotFound
    return _json(export.taxonomy_json(by_id[taxonomy_id]))


@endpoint(PAGING | {"search", "taxonomy_id"})
def taxonomy_terms(request):
    wanted = _taxonomy(request)
    terms = [export.term_json(t, code) for t, code in published.terms() if not wanted or t == wanted]
    return _listed(request, terms)


@endpoint(frozenset({"format"}))
def taxonomy_term(request, taxonomy_term_id: str):
    by_id = {export.term_id(taxonomy, code): (taxonomy, code) for taxonomy, code in published.terms()}
    if taxonomy_term_id not in by_id:
        raise published.NotFound
    return _json(export.term_json(*by_id[taxonomy_term_id]))
