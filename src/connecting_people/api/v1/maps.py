"""/api/v1/people/{person_id}/maps: a person's connections maps (dated snapshots, their entries and the ties
between entries), read as JSON, GraphML or Network Canvas CSV; and recorded through the maps' own services (a new
snapshot, an entry, its ties). Only a person's latest map can be changed, as on the pages."""

import io
import zipfile
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from connecting_people.api.auth import require_scope
from connecting_people.api.negotiation import preferred
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.api.preconditions import expected_version
from connecting_people.api.responses import idempotent, json_response
from connecting_people.connections import selectors, services
from connecting_people.connections.domain import Category, Frequency, Kind, Ring, Support, Wish
from connecting_people.connections.interchange import LABEL_MAX_LENGTH
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.people.selectors import person_get

router = Router(tags=["maps"])

GRAPHML = "application/graphml+xml"
CSV = "text/csv"
ZIP = "application/zip"
JSON = "application/json"
OFFERED = (JSON, GRAPHML, CSV, ZIP)
# `format` in the query, for clients that cannot set Accept (a link): the same choices by name.
FORMAT_MEDIA = {"json": JSON, "graphml": GRAPHML, "csv": CSV, "nc-csv": CSV}

KindCode = Literal[tuple(member.value for member in Kind)]  # type: ignore[valid-type]
CategoryCode = Literal[tuple(member.value for member in Category)]  # type: ignore[valid-type]
RingCode = Literal[tuple(member.value for member in Ring)]  # type: ignore[valid-type]
SupportCode = Literal[tuple(member.value for member in Support)]  # type: ignore[valid-type]
FrequencyCode = Literal[tuple(member.value for member in Frequency)]  # type: ignore[valid-type]
WishCode = Literal[tuple(member.value for member in Wish)]  # type: ignore[valid-type]


class SnapshotOut(Schema):
    id: int
    person_id: int
    taken_on: date
    previous_id: int | None
    source: str
    latest: bool
    created_at: datetime
    updated_at: datetime
    measures: dict[str, Any]
    url: str


class EntryOut(Schema):
    id: int
    snapshot_id: int
    key: str
    label: str
    kind: KindCode
    category: CategoryCode
    ring: RingCode
    supports: list[SupportCode]
    frequency: FrequencyCode | None
    wish: WishCode | None
    version: int
    url: str


class EntryDetailOut(EntryOut):
    tied_to: list[int]


class TieOut(Schema):
    a: int
    b: int


class SnapshotDetailOut(SnapshotOut):
    entries: list[EntryOut]
    ties: list[TieOut]


class SnapshotIn(Schema):
    taken_on: date


class EntryIn(Schema):
    """An empty kind, category or ring is guessed from the label, as the map page's quick add does."""

    label: str = Field(min_length=1, max_length=LABEL_MAX_LENGTH)
    kind: Literal[("", *(member.value for member in Kind))] = ""  # type: ignore[valid-type]
    category: Literal[("", *(member.value for member in Category))] = ""  # type: ignore[valid-type]
    ring: Literal[("", *(member.value for member in Ring))] = ""  # type: ignore[valid-type]
    supports: list[SupportCode] = Field(default_factory=list, max_length=len(Support))
    frequency: FrequencyCode | None = None
    wish: WishCode | None = None


class EntryPatch(Schema):
    """Only the fields sent are changed."""

    label: str | None = Field(None, min_length=1, max_length=LABEL_MAX_LENGTH)
    kind: KindCode | None = None
    category: CategoryCode | None = None
    ring: RingCode | None = None
    supports: list[SupportCode] | None = Field(None, max_length=len(Support))
    frequency: FrequencyCode | None = None
    wish: WishCode | None = None


class TieIn(Schema):
    entry_id: int


class TiesIn(Schema):
    entry_ids: list[int] = Field(max_length=250)


class SnapshotsFilter(Schema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


class MapFormat(Schema):
    format: Literal["json", "graphml", "csv", "nc-csv"] | None = None


def _snapshot_url(request, snapshot: MapSnapshot) -> str:
    return request.build_absolute_uri(reverse("api-v1:map", args=[snapshot.person_id, snapshot.pk]))


def _entry_url(request, person_id: int, entry: MapEntry) -> str:
    return request.build_absolute_uri(
        reverse("api-v1:map_entry", args=[person_id, entry.snapshot_id, entry.pk])
    )


def snapshot_out(request, snapshot: MapSnapshot, latest_id: int | None) -> dict:
    return {
        "id": snapshot.pk,
        "person_id": snapshot.person_id,
        "taken_on": snapshot.taken_on,
        "previous_id": snapshot.previous_id,
        "source": snapshot.source,
        "latest": snapshot.pk == latest_id,
        "created_at": snapshot.created_at,
        "updated_at": snapshot.updated_at,
        "measures": snapshot.measures,
        "url": _snapshot_url(request, snapshot),
    }


def entry_out(request, person_id: int, entry: MapEntry) -> dict:
    return {
        "id": entry.pk,
        "snapshot_id": entry.snapshot_id,
        "key": str(entry.key),
        "label": entry.label,
        "kind": entry.kind,
        "category": entry.category,
        "ring": entry.ring,
        "supports": list(entry.supports),
        "frequency": entry.frequency or None,
        "wish": entry.wish or None,
        "version": entry.version,
        "url": _entry_url(request, person_id, entry),
    }


def _entry_detail(request, person_id: int, entry: MapEntry) -> HttpResponse:
    body = entry_out(request, person_id, entry) | {"tied_to": selectors.tied_entry_ids(entry)}
    return json_response(EntryDetailOut(**body), version=entry.version)


_FILES_DOC = {
    "description": "The map: JSON (default), GraphML, or the Network Canvas CSV files in a zip",
    "content": {
        JSON: {"schema": {"$ref": "#/components/schemas/SnapshotDetailOut"}},
        GRAPHML: {"schema": {"type": "string"}},
        ZIP: {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.get("/{int:person_id}/maps", response=Page[SnapshotOut], url_name="maps", summary="A person's maps")
def maps_list(request, person_id: int, filters: Query[SnapshotsFilter]):
    """The person's connections maps (without their entries), by id (the order they were made), a page at a
    time. `latest` marks the one that can still be changed."""
    require_scope(request, "maps:read")
    person = person_get(actor=request.actor, person_id=person_id, shown_on="api-maps")
    latest_id = selectors.latest_id(actor=request.actor, person_id=person.pk)
    rows = selectors.snapshot_rows(actor=request.actor, person=person)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [snapshot_out(request, snapshot, latest_id) for snapshot in items], "next": following}


@router.get(
    "/{int:person_id}/maps/{int:snapshot_id}",
    response=SnapshotDetailOut,
    url_name="map",
    summary="One map, with its entries and ties",
    openapi_extra={"responses": {200: _FILES_DOC, 406: {"description": "None of the formats you accept"}}},
)
def map_get(request, person_id: int, snapshot_id: int, query: Query[MapFormat]):
    """As JSON (`Accept: application/json`, the default), GraphML (`application/graphml+xml`, for network
    analysis tools) or Network Canvas CSV (`text/csv` or `application/zip`: the ego, attribute-list and
    edge-list files in one zip). `format=graphml|csv|json` in the query does the same as the header. A file
    export is audited as the map page's download is."""
    require_scope(request, "maps:read")
    media = FORMAT_MEDIA[query.format] if query.format else preferred(request, OFFERED)
    if media != JSON:
        return _map_file(request, person_id, snapshot_id, "graphml" if media == GRAPHML else "nc-csv")
    person = person_get(actor=request.actor, person_id=person_id, shown_on="api-map")
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
    loaded = selectors.snapshot_load(snapshot)
    latest_id = selectors.latest_id(actor=request.actor, person_id=person.pk)
    body = snapshot_out(request, snapshot, latest_id) | {
        "entries": [entry_out(request, person.pk, row) for row in loaded.rows],
        "ties": [{"a": a, "b": b} for a, b in loaded.tie_ids],
    }
    return json_response(SnapshotDetailOut(**body))


def _map_file(request, person_id: int, snapshot_id: int, format: str) -> HttpResponse:
    snapshot, files = services.map_export(
        actor=request.actor, person_id=person_id, snapshot_id=snapshot_id, format=format
    )
    if len(files) == 1:
        ((name, text),) = files.items()
        response = HttpResponse(text.encode("utf-8"), content_type=f"{GRAPHML}; charset=utf-8")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file_name, text in sorted(files.items()):
                archive.writestr(zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0)), text)
        name = f"connections-map-{person_id}-{snapshot.taken_on:%Y-%m-%d}-nc-csv.zip"
        response = HttpResponse(buffer.getvalue(), content_type=ZIP)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Vary"] = "Accept"
    return response


@router.post(
    "/{int:person_id}/maps", response={201: SnapshotDetailOut}, url_name="maps", summary="Start a new map"
)
@idempotent
def map_start(request, person_id: int, payload: SnapshotIn):
    """A new map dated `taken_on` (after the latest map's date, not in the future): a copy of the latest map
    (same entries, keys and ties), or an empty one if this is the person's first. Send an `Idempotency-Key`."""
    require_scope(request, "maps:write")
    snapshot = services.snapshot_start(actor=request.actor, person_id=person_id, taken_on=payload.taken_on)
    loaded = selectors.snapshot_load(snapshot)
    body = snapshot_out(request, snapshot, snapshot.pk) | {
        "entries": [entry_out(request, person_id, row) for row in loaded.rows],
        "ties": [{"a": a, "b": b} for a, b in loaded.tie_ids],
    }
    return json_response(SnapshotDetailOut(**body), status=201, location=_snapshot_url(request, snapshot))


@router.post(
    "/{int:person_id}/maps/{int:snapshot_id}/entries",
    response={201: EntryDetailOut},
    url_name="map_entries",
    summary="Add an entry to the latest map",
)
@idempotent
def entry_add(request, person_id: int, snapshot_id: int, payload: EntryIn):
    """Someone or something in the person's life: for a person, a first name or initials, with at most the first
    letter of a family name ("Kayla M"). Only the person's latest map takes new entries. Send an
    `Idempotency-Key`."""
    require_scope(request, "maps:write")
    entry = services.entry_add(
        actor=request.actor,
        person_id=person_id,
        snapshot_id=snapshot_id,
        data=services.EntryData(
            label=payload.label,
            kind=payload.kind,
            category=payload.category,
            ring=payload.ring,
            supports=tuple(payload.supports),
            frequency=payload.frequency or "",
            wish=payload.wish or "",
        ),
    )
    body = entry_out(request, person_id, entry) | {"tied_to": []}
    return json_response(
        EntryDetailOut(**body),
        status=201,
        location=_entry_url(request, person_id, entry),
        version=entry.version,
    )


def _entry(request, person_id: int, snapshot_id: int, entry_id: int, shown_on: str | None = None) -> MapEntry:
    person = person_get(actor=request.actor, person_id=person_id, shown_on=shown_on)
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
    return selectors.entry_in(actor=request.actor, person=person, snapshot=snapshot, entry_id=entry_id)


@router.get(
    "/{int:person_id}/maps/{int:snapshot_id}/entries/{int:entry_id}",
    response=EntryDetailOut,
    url_name="map_entry",
    summary="One entry of a map, with the entries it is tied to",
)
def entry_get(request, person_id: int, snapshot_id: int, entry_id: int):
    require_scope(request, "maps:read")
    entry = _entry(request, person_id, snapshot_id, entry_id, shown_on="api-map-entry")
    return _entry_detail(request, person_id, entry)


@router.patch(
    "/{int:person_id}/maps/{int:snapshot_id}/entries/{int:entry_id}",
    response=EntryDetailOut,
    url_name="map_entry",
    summary="Change an entry of the latest map",
)
def entry_update(request, person_id: int, snapshot_id: int, entry_id: int, payload: EntryPatch):
    """Send `If-Match` with the entry's ETag: a change to an entry changed since (its ties included) is refused
    (412)."""
    require_scope(request, "maps:write")
    entry = _entry(request, person_id, snapshot_id, entry_id)
    version = expected_version(request, entry.version)
    given = payload.model_dump(exclude_unset=True)
    current = {
        "label": entry.label,
        "kind": entry.kind,
        "category": entry.category,
        "ring": entry.ring,
        "supports": tuple(entry.supports),
        "frequency": entry.frequency,
        "wish": entry.wish,
    }
    for name, value in given.items():
        if name == "supports":
            current[name] = tuple(value or ())
        elif name in ("frequency", "wish"):
            current[name] = value or ""
        elif value is not None:
            current[name] = value
    entry = services.entry_update(
        actor=request.actor,
        person_id=person_id,
        entry_id=entry.pk,
        expected_version=version,
        data=services.EntryData(**current),
    )
    return _entry_detail(request, person_id, entry)


@router.post(
    "/{int:person_id}/maps/{int:snapshot_id}/entries/{int:entry_id}/ties",
    response={201: EntryDetailOut},
    url_name="map_entry_ties",
    summary="Tie an entry to another entry of the same map",
)
@idempotent
def tie_add(request, person_id: int, snapshot_id: int, entry_id: int, payload: TieIn):
    """The two know each other (ties are undirected). Tying two entries already tied changes nothing. Answers
    with the entry and everyone it is now tied to; `Location` is the entry."""
    require_scope(request, "maps:write")
    entry = _entry(request, person_id, snapshot_id, entry_id)
    tied = selectors.tied_entry_ids(entry)
    entry = services.entry_ties_set(
        actor=request.actor,
        person_id=person_id,
        entry_id=entry.pk,
        expected_version=entry.version,
        other_entry_ids=sorted(set(tied) | {payload.entry_id}),
    )
    response = _entry_detail(request, person_id, entry)
    response.status_code = 201
    response["Location"] = _entry_url(request, person_id, entry)
    return response


@router.put(
    "/{int:person_id}/maps/{int:snapshot_id}/entries/{int:entry_id}/ties",
    response=EntryDetailOut,
    url_name="map_entry_ties",
    summary="Set exactly which entries an entry is tied to",
)
def ties_set(request, person_id: int, snapshot_id: int, entry_id: int, payload: TiesIn):
    """Replaces the entry's ties with `entry_ids` (an empty list unties it). Send `If-Match` with the entry's
    ETag."""
    require_scope(request, "maps:write")
    entry = _entry(request, person_id, snapshot_id, entry_id)
    version = expected_version(request, entry.version)
    entry = services.entry_ties_set(
        actor=request.actor,
        person_id=person_id,
        entry_id=entry.pk,
        expected_version=version,
        other_entry_ids=payload.entry_ids,
    )
    return _entry_detail(request, person_id, entry)
