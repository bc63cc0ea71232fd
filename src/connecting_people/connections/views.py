"""Pages of a person's connections map: the map with its table and measures, quick entry, ties, new snapshot,
compare, printout and file downloads. Thin: parse, call one service or selector, render."""

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from markupsafe import Markup

from connecting_people.connections import metrics, presenters, selectors, services
from connecting_people.connections.forms import (
    EntryForm,
    ImportForm,
    RemoveForm,
    SnapshotForm,
    TiesForm,
    UploadLimit,
)
from connecting_people.connections.interchange import (
    FORMATS,
    MAP_FILES_LIMIT_BYTES,
    ImportRejected,
    ImportTooLarge,
)
from connecting_people.connections.render import map_svg
from connecting_people.core.errors import ServiceError, StaleRecordError
from connecting_people.core.forms import posted, saved_by_someone_else, show_service_error
from connecting_people.core.input_limits import megabytes
from connecting_people.core.presenters import date_long
from connecting_people.people.views import person_for_request

EXPORT_NAMES = {"graphml": "GraphML", "json": "JSON", "nc-csv": "Network Canvas CSV (zip)"}


def _unless_latest(request, snapshot):
    """A redirect to the map with a message when `snapshot` is not the person's latest (which alone changes)."""
    if selectors.is_latest(snapshot):
        return None
    messages.error(request, services.NOT_LATEST)
    return redirect("connections:snapshot", person_id=snapshot.person_id, snapshot_id=snapshot.pk)


def _map_context(person, snapshot, snapshots) -> dict:
    loaded = selectors.snapshot_load(snapshot)
    entries = loaded.domain.entries
    labels = {entry.key: entry.label for entry in entries}
    row_for_key = loaded.row_for_key()
    tie_count: dict[int, int] = {}
    for a, b in loaded.tie_ids:
        tie_count[a] = tie_count.get(a, 0) + 1
        tie_count[b] = tie_count.get(b, 0) + 1
    table = [
        {
            "entry": entry,
            "id": row_for_key[entry.key].pk,
            "ties": tie_count.get(row_for_key[entry.key].pk, 0),
            **presenters.entry_cells(entry),
        }
        for entry in sorted(entries, key=presenters.map_order)
    ]
    latest = snapshots[-1] if snapshots else None
    return {
        "person": person,
        "snapshot": snapshot,
        "snapshots": snapshots,
        "previous": selectors.previous_of(snapshot, snapshots),
        "editable": latest is not None and latest.pk == snapshot.pk,
        "table": table,
        "svg": Markup(
            map_svg(
                loaded.domain,
                map_id="connections-map",
                title=f"Connections map of {person.known_as}, {date_long(snapshot.taken_on)}",
                centre_label=person.known_as,
                entry_ids={key: row.pk for key, row in row_for_key.items()},
            )
        ),
        "measure_rows": [
            {"key": {"text": row["name"]}, "value": {"text": row["value"]}}
            for row in presenters.measure_rows(snapshot.measures)
        ],
        "category_rows": presenters.category_rows(snapshot.measures),
        "support_rows": presenters.support_rows(snapshot.measures, labels),
        "formats": [(code, EXPORT_NAMES[code]) for code in FORMATS],
    }


@login_required
def map_page(request, person_id: int, snapshot_id: int | None = None):
    """The latest map (or the one asked for), drawn and tabled, with the quick-add form when it can change."""
    person = person_for_request(request, person_id, "map")
    snapshots = selectors.snapshots_for(person=person)
    if snapshot_id is None:
        if not snapshots:
            return render(
                request,
                "connections/empty.jinja",
                {
                    "person": person,
                    "form": SnapshotForm(initial={"taken_on": timezone.localdate()}),
                    "page_title": f"Connections map of {person.full_name}",
                },
            )
        snapshot = snapshots[-1]
    else:
        snapshot = next((s for s in snapshots if s.pk == snapshot_id), None)
        if snapshot is None:
            raise Http404("No such map")
    context = _map_context(person, snapshot, snapshots)
    context["form"] = EntryForm()
    context["focus_form"] = request.GET.get("added") == "1"
    context["page_title"] = f"Connections map of {person.full_name}, {date_long(snapshot.taken_on)}"
    return render(request, "connections/map.jinja", context)


@login_required
def snapshot_new(request, person_id: int):
    person = person_for_request(request, person_id, "map-new")
    latest = selectors.latest_snapshot(person=person)
    form = SnapshotForm(request.POST or None, initial={"taken_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.snapshot_start(
                user=request.user, person_id=person.pk, taken_on=form.cleaned_data["taken_on"]
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request,
                "New map started from the last one. Change what is different now."
                if latest
                else "Map started. Add the first entry.",
            )
            return redirect("connections:map", person_id=person.pk)
    return render(
        request,
        "connections/new.jinja",
        {"person": person, "latest": latest, "form": form, "page_title": "Start a new connections map"},
    )


@login_required
def entry_add(request, person_id: int, snapshot_id: int):
    person = person_for_request(request, person_id, "map-entry-add")
    snapshot = selectors.snapshot_of(person=person, snapshot_id=snapshot_id)
    if refused := _unless_latest(request, snapshot):
        return refused
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_add(
                user=request.user, person_id=person.pk, snapshot_id=snapshot.pk, data=form.entry_data()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{entry.label} added to the map.")
            return redirect(reverse("connections:map", args=[person.pk]) + "?added=1")
    return render(
        request,
        "connections/entry.jinja",
        {
            "person": person,
            "snapshot": snapshot,
            "form": form,
            "adding": True,
            "page_title": "Add to the map",
        },
    )


@login_required
def entry_edit(request, person_id: int, entry_id: int):
    person = person_for_request(request, person_id, "map-entry-edit")
    entry = selectors.entry_of(person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    form = EntryForm(request.POST or None, initial=EntryForm.initial_for(entry))
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(
                user=request.user,
                person_id=person.pk,
                entry_id=entry.pk,
                expected_version=form.cleaned_data["version"],
                data=form.entry_data(),
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "connections:map", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Entry updated.")
            return redirect("connections:map", person_id=person.pk)
    return render(
        request,
        "connections/entry.jinja",
        {
            "person": person,
            "snapshot": entry.snapshot,
            "entry": entry,
            "form": form,
            "adding": False,
            "page_title": f"Change {entry.label}",
        },
    )


@login_required
def entry_ties(request, person_id: int, entry_id: int):
    person = person_for_request(request, person_id, "map-entry-ties")
    entry = selectors.entry_of(person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    loaded = selectors.snapshot_load(entry.snapshot)
    others = sorted(
        (row for row in loaded.rows if row.pk != entry.pk), key=lambda row: (row.label.casefold(), row.pk)
    )
    current = [a if b == entry.pk else b for a, b in loaded.tie_ids if entry.pk in (a, b)]
    form = TiesForm(posted(request), others=others, initial={"ties": current, "version": entry.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_ties_set(
                user=request.user,
                person_id=person.pk,
                entry_id=entry.pk,
                expected_version=form.cleaned_data["version"],
                other_entry_ids=form.cleaned_data["ties"],
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "connections:map", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Ties for {entry.label} saved.")
            return redirect("connections:map", person_id=person.pk)
    return render(
        request,
        "connections/ties.jinja",
        {"person": person, "entry": entry, "form": form, "page_title": f"Ties of {entry.label}"},
    )


@login_required
def entry_remove(request, person_id: int, entry_id: int):
    person = person_for_request(request, person_id, "map-entry-remove")
    entry = selectors.entry_of(person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    form = RemoveForm(posted(request), initial={"version": entry.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_remove(
                user=request.user,
                person_id=person.pk,
                entry_id=entry.pk,
                expected_version=form.cleaned_data["version"],
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "connections:map", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{entry.label} taken off the map.")
            return redirect("connections:map", person_id=person.pk)
    return render(
        request,
        "connections/remove.jinja",
        {"person": person, "entry": entry, "form": form, "page_title": f"Take {entry.label} off the map"},
    )


@login_required
def printout(request, person_id: int, snapshot_id: int):
    person = person_for_request(request, person_id, "map-print")
    snapshot = selectors.snapshot_of(person=person, snapshot_id=snapshot_id)
    domain = selectors.snapshot_domain(snapshot)
    return render(
        request,
        "connections/print.jinja",
        {
            "person": person,
            "snapshot": snapshot,
            "svg": Markup(
                map_svg(
                    domain,
                    map_id="printed-map",
                    title=f"Your connections map, {date_long(snapshot.taken_on)}",
                    centre_label="You",
                    print_version=True,
                )
            ),
            "sections": presenters.printout_sections(domain.entries),
            "changes": presenters.printout_changes(domain.entries),
            "page_title": f"Connections map for {person.known_as}, {date_long(snapshot.taken_on)}",
        },
    )


def _snapshot_param(request, name: str, snapshots):
    value = request.GET.get(name)
    if value is None:
        return None
    found = next((s for s in snapshots if str(s.pk) == value), None)
    if found is None:
        raise Http404("No such map")
    return found


@login_required
def compare(request, person_id: int):
    """Two of the person's maps side by side: by default the latest and the one before it."""
    person = person_for_request(request, person_id, "map-compare")
    snapshots = selectors.snapshots_for(person=person)
    after = _snapshot_param(request, "to", snapshots) or (snapshots[-1] if snapshots else None)
    before = _snapshot_param(request, "from", snapshots) or (
        selectors.previous_of(after, snapshots) if after else None
    )
    context = {"person": person, "snapshots": snapshots, "before": before, "after": after}
    if before is None or after is None or before.pk == after.pk:
        context["page_title"] = "Compare connections maps"
        return render(request, "connections/compare.jinja", context)
    if (before.taken_on, before.pk) > (after.taken_on, after.pk):
        before, after = after, before
    old, new = selectors.snapshot_domain(before), selectors.snapshot_domain(after)
    change = metrics.compare(old, new)
    old_by_key = {entry.key: entry for entry in old.entries}
    new_by_key = {entry.key: entry for entry in new.entries}

    def described(keys, source):
        return [
            {"entry": source[key], **presenters.entry_cells(source[key])}
            for key in sorted(keys, key=lambda key: presenters.map_order(source[key]))
        ]

    context.update(
        {
            "before": before,
            "after": after,
            "gained": described(change["gained"], new_by_key),
            "lost": described(change["lost"], old_by_key),
            "kept": described(change["kept"], new_by_key),
            "closer": {key for key in change["closer"]},
            "further": {key for key in change["further"]},
            "old_by_key": old_by_key,
            "rows": presenters.compare_rows(change),
            "ring_names": presenters.RING,
            "page_title": f"What changed: {date_long(before.taken_on)} to {date_long(after.taken_on)}",
        }
    )
    return render(request, "connections/compare.jinja", context)


@login_required
def export(request, person_id: int, snapshot_id: int, format: str):
    if format not in FORMATS:
        raise Http404("No such format")
    snapshot, files = services.map_export(
        user=request.user, person_id=person_id, snapshot_id=snapshot_id, format=format
    )
    if len(files) == 1:
        ((name, text),) = files.items()
        content_type = "application/json" if name.endswith(".json") else "application/graphml+xml"
        response = HttpResponse(text.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file_name, text in sorted(files.items()):
                archive.writestr(zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0)), text)
        name = f"connections-map-{person_id}-{snapshot.taken_on:%Y-%m-%d}-nc-csv.zip"
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


@login_required
@csrf_exempt  # only so that the upload limit is in place before the body is read: checked just below
def import_files(request, person_id: int):
    """Bring in a map from a file: our JSON or GraphML, or a Network Canvas CSV export (its zip or its CSVs)."""
    request.upload_handlers.insert(0, UploadLimit(request, limit=MAP_FILES_LIMIT_BYTES))
    return _import_files(request, person_id)


@csrf_protect
def _import_files(request, person_id: int):
    person = person_for_request(request, person_id, "map-import")
    form = ImportForm(
        posted(request),
        request.FILES or None,
        over_limit=getattr(request, "upload_over_limit", False),
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        files = {upload.name: upload.read() for upload in form.cleaned_data["files"]}
        try:
            snapshot, report = services.snapshot_import(
                user=request.user, person_id=person.pk, files=files, taken_on=form.cleaned_data["taken_on"]
            )
        except ImportTooLarge as too_large:
            form.add_error("files", f"{too_large.problems[0]}. Nothing was saved.")
        except ImportRejected as rejected:
            problems = list(rejected.problems)
            form.add_error(
                "files", "The file could not be imported. Nothing was saved. The problems are listed below."
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            request.session["map_import_report"] = report.as_dict()
            messages.success(
                request,
                f"Map imported: {_count(report.entries_created, 'entry', 'entries')} and "
                f"{_count(report.ties_created, 'tie', 'ties')}.",
            )
            return redirect("connections:imported", person_id=person.pk, snapshot_id=snapshot.pk)
    return render(
        request,
        "connections/import.jinja",
        {
            "person": person,
            "form": form,
            "problems": problems,
            "upload_limit": megabytes(MAP_FILES_LIMIT_BYTES),
            "page_title": "Import a connections map",
        },
    )


@login_required
def imported(request, person_id: int, snapshot_id: int):
    """What the last import did and what it could not use, then on to the map."""
    person = person_for_request(request, person_id, "map-imported")
    snapshot = selectors.snapshot_of(person=person, snapshot_id=snapshot_id)
    report = request.session.pop("map_import_report", None)
    if report is None:
        return redirect("connections:snapshot", person_id=person.pk, snapshot_id=snapshot.pk)
    return render(
        request,
        "connections/imported.jinja",
        {"person": person, "snapshot": snapshot, "report": report, "page_title": "Map imported"},
    )
