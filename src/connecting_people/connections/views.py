"""Pages of a person's connections map: the map with its table and measures, quick entry, ties, new snapshot,
compare, printout and file downloads. Thin: parse, call one service or selector, render."""

import io
import secrets
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from markupsafe import Markup

from connecting_people.connections import lexicon, metrics, presenters, selectors, services
from connecting_people.connections.domain import Category, Kind, Ring
from connecting_people.connections.forms import (
    EntryDetailsForm,
    EntryForm,
    ImportForm,
    MoveForm,
    QuickEntryForm,
    RemoveForm,
    RestoreForm,
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
from connecting_people.core.forms import form_saved, posted, saved_by_someone_else, show_service_error
from connecting_people.core.input_limits import megabytes
from connecting_people.core.presenters import date_long
from connecting_people.people.views import person_for_request

EXPORT_NAMES = {"graphml": "GraphML", "json": "JSON", "nc-csv": "Network Canvas CSV (zip)"}

# The map builder. Every write on the map page answers in one of two ways: a plain form post (JavaScript off)
# gets a redirect back to the map page, with a notice waiting in the session; a post from the page's script
# (`connections/js/map-builder.mjs`, which asks with FRAGMENT in its Accept header) gets the builder part of
# the map page (notice, add form, drawing, details panel, table, measures) rendered by the same template the
# page includes, to swap in place. One rendering path, no page reload.
FRAGMENT = "text/html-fragment"
NOTICE_KEY = "map_notice"  # in the session: the notice the next map page shows (JavaScript off)
UNDO_KEY = "map_undo"  # in the session: {token: {"person_id", "removed"}}, entries taken off, newest last
UNDO_KEPT = 10  # entries a session can still put back; older ones drop off


def _wants_fragment(request) -> bool:
    return FRAGMENT in request.headers.get("Accept", "")


def _ring_and_sector(ring: str, category: str) -> str:
    return f"the {presenters.RING[Ring(ring)].lower()} ring, {presenters.CATEGORY[Category(category)]}"


def _unless_latest(request, snapshot):
    """A redirect to the map with a message when `snapshot` is not the person's latest (which alone changes);
    for the page's script, the latest map with the message in place."""
    if selectors.is_latest(actor=request.actor, snapshot=snapshot):
        return None
    if _wants_fragment(request):
        return _builder_answer(
            request, snapshot.person, notice=_notice(services.NOT_LATEST, error=True), status=409
        )
    messages.error(request, services.NOT_LATEST)
    return redirect("connections:snapshot", person_id=snapshot.person_id, snapshot_id=snapshot.pk)


def _notice(text: str, *, error: bool = False, undo: str | None = None) -> dict:
    return {"text": text, "error": error, "undo": undo}


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
            "version": row_for_key[entry.key].version,
            "ties": tie_count.get(row_for_key[entry.key].pk, 0),
            **presenters.entry_cells(entry),
        }
        for entry in sorted(entries, key=presenters.map_order)
    ]
    latest = snapshots[-1] if snapshots else None
    editable = latest is not None and latest.pk == snapshot.pk
    return {
        "person": person,
        "snapshot": snapshot,
        "snapshots": snapshots,
        "loaded": loaded,
        "previous": selectors.previous_of(snapshot, snapshots),
        "editable": editable,
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


def _builder_context(
    person,
    snapshot,
    snapshots,
    *,
    selected_id: int | None = None,
    notice: dict | None = None,
    add_form: QuickEntryForm | None = None,
    details_form: EntryDetailsForm | None = None,
    ties_form: TiesForm | None = None,
    added: bool = False,
    asked: bool = False,
) -> dict:
    """Everything `connections/_builder.jinja` draws. `selected_id`: the entry whose details panel is open;
    when it is not on this map, Http404 if the address `asked` for it, else no panel (someone else took it off
    in the meantime). Bound forms with errors are shown as they are; else fresh ones."""
    context = _map_context(person, snapshot, snapshots)
    loaded = context.pop("loaded")
    selected = None
    if selected_id is not None and context["editable"]:
        selected = next((row for row in loaded.rows if row.pk == selected_id), None)
        if selected is None and asked:
            raise Http404("No such entry on this map")
    if selected is not None:
        others = sorted(
            (row for row in loaded.rows if row.pk != selected.pk),
            key=lambda row: (row.label.casefold(), row.pk),
        )
        current = [a if b == selected.pk else b for a, b in loaded.tie_ids if selected.pk in (a, b)]
        context["details_form"] = details_form or EntryDetailsForm(initial=EntryForm.initial_for(selected))
        context["ties_form"] = ties_form or TiesForm(
            others=others, initial={"ties": current, "version": selected.version}
        )
        ties_field = context["ties_form"].fields["ties"]
        ties_field.label = f"Who or what is {selected.label} connected to? (optional)"
    context.update(
        {
            "selected": selected,
            "notice": notice,
            "add_form": add_form or QuickEntryForm(),
            "added": added,
        }
    )
    return context


def _builder_answer(
    request,
    person,
    *,
    selected_id: int | None = None,
    notice: dict | None = None,
    status: int = 200,
    added: bool = False,
    **forms,
):
    """The answer to a write on the map: the builder fragment for the page's script, else a redirect to the
    map page (the notice waiting in the session). `forms`: bound forms with errors, for the fragment only."""
    if not _wants_fragment(request):
        if notice:
            request.session[NOTICE_KEY] = notice
        url = reverse("connections:map", args=[person.pk])
        if selected_id is not None:
            url += f"?entry={selected_id}" + ("&added=1#id_label" if added else "#entry-details")
        return redirect(url)
    snapshots = selectors.snapshots_for(actor=request.actor, person=person)
    context = _builder_context(
        person, snapshots[-1], snapshots, selected_id=selected_id, notice=notice, added=added, **forms
    )
    context["fragment"] = True
    response = render(request, "connections/_builder.jinja", context, status=status)
    response["X-Map-Fragment"] = "1"
    response["Vary"] = "Accept"
    return response


def _stale(request, person, error, *, selected_id=None):
    """A save refused because someone else saved first: the map as it is now, with the message in place."""
    if _wants_fragment(request):
        return _builder_answer(
            request,
            person,
            selected_id=selected_id,
            notice=_notice(f"{error.message} Nothing was saved.", error=True),
            status=409,
        )
    return saved_by_someone_else(request, error, "connections:map", person_id=person.pk)


def _selected_param(request) -> int | None:
    value = request.GET.get("entry")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise Http404("No such entry")
    return int(value)


@login_required
def map_page(request, person_id: int, snapshot_id: int | None = None):
    """The latest map (or the one asked for), drawn and tabled, with the builder when it can change:
    `?entry=<id>` opens that entry's details. Asked for the fragment, the builder part alone."""
    person = person_for_request(request, person_id, "map")
    snapshots = selectors.snapshots_for(actor=request.actor, person=person)
    if snapshot_id is None:
        if not snapshots:
            return render(request, "connections/empty.jinja", _empty_context(person))
        snapshot = snapshots[-1]
    else:
        snapshot = next((s for s in snapshots if s.pk == snapshot_id), None)
        if snapshot is None:
            raise Http404("No such map")
    context = _builder_context(
        person,
        snapshot,
        snapshots,
        selected_id=_selected_param(request),
        asked=True,
        notice=request.session.pop(NOTICE_KEY, None),
        added=request.GET.get("added") == "1",
    )
    if _wants_fragment(request):
        context["fragment"] = True
        response = render(request, "connections/_builder.jinja", context)
        response["X-Map-Fragment"] = "1"
    else:
        context["page_title"] = f"Connections map of {person.full_name}, {date_long(snapshot.taken_on)}"
        response = render(request, "connections/map.jinja", context)
    response["Vary"] = "Accept"
    return response


@login_required
def snapshot_new(request, person_id: int):
    person = person_for_request(request, person_id, "map-new")
    latest = selectors.latest_snapshot(actor=request.actor, person=person)
    form = SnapshotForm(request.POST or None, initial={"taken_on": timezone.localdate()})
    started = form_saved(
        request,
        form,
        lambda: services.snapshot_start(
            actor=request.actor, person_id=person.pk, taken_on=form.cleaned_data["taken_on"]
        ),
        saved="New map started from the last one. Change what is different now."
        if latest
        else "Map started. Add the first entry.",
        then=reverse("connections:map", args=[person.pk]),
    )
    if started:
        return started
    return render(
        request,
        "connections/new.jinja",
        {"person": person, "latest": latest, "form": form, "page_title": "Start a new connections map"},
    )


@login_required
def entry_add(request, person_id: int, snapshot_id: int):
    """Add to the map: a name (kind, relationship and ring guessed when not chosen). A GET goes to the map's
    add form; a refused post shows the map again with the form's errors."""
    person = person_for_request(request, person_id, "map-entry-add")
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
    if refused := _unless_latest(request, snapshot):
        return refused
    if request.method != "POST":
        return redirect(reverse("connections:map", args=[person.pk]) + "#add-entry")
    form = QuickEntryForm(request.POST)
    if form.is_valid() and (tie := _tie_typed(snapshot, form.cleaned_data["label"])):
        return _tie_by_names(request, person, *tie)
    added = form_saved(
        request,
        form,
        lambda: services.entry_add(
            actor=request.actor, person_id=person.pk, snapshot_id=snapshot.pk, data=form.entry_data()
        ),
        then=lambda entry: _builder_answer(
            request, person, selected_id=entry.pk, added=True, notice=_notice(_added_text(entry))
        ),
    )
    if added:
        return added
    if _wants_fragment(request):
        return _builder_answer(request, person, add_form=form, status=422)
    snapshots = selectors.snapshots_for(actor=request.actor, person=person)
    context = _builder_context(person, snapshot, snapshots, add_form=form)
    context["page_title"] = f"Connections map of {person.full_name}, {date_long(snapshot.taken_on)}"
    return render(request, "connections/map.jinja", context)


def _tie_typed(snapshot, typed: str) -> tuple | None:
    """The two entries of this map that "Sam + Jo" typed in the name box names (connections.lexicon.tie_asked)."""
    if "+" not in typed:
        return None
    rows = {row.pk: row for row in selectors.entries_of(snapshot)}
    pair = lexicon.tie_asked(typed, {pk: row.label for pk, row in rows.items()})
    return (rows[pair[0]], rows[pair[1]]) if pair else None


def _tie_by_names(request, person, first, second):
    """Tie two entries typed as "Sam + Jo" in the name box, then back to the box for the next name or tie."""
    tied_to = {a if b == first.pk else b for a, b in selectors.tie_pairs(first.snapshot) if first.pk in (a, b)}
    if second.pk in tied_to:
        notice = _notice(f"{first.label} and {second.label} were tied already.")
    else:
        try:
            services.entry_ties_set(
                actor=request.actor,
                person_id=person.pk,
                entry_id=first.pk,
                expected_version=first.version,
                other_entry_ids=tied_to | {second.pk},
            )
        except StaleRecordError as error:
            return _stale(request, person, error, selected_id=first.pk)
        except ServiceError as error:
            notice = _notice(error.message, error=True)
        else:
            notice = _notice(f"{first.label} and {second.label} tied.")
    return _builder_answer(request, person, selected_id=first.pk, added=True, notice=notice)


@login_required
def entry_add_first(request, person_id: int):
    """From the page of a person with no map yet: the first entry, which starts the map dated today. A
    refused entry shows that page again with the form's errors (and starts nothing)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    person = person_for_request(request, person_id, "map-entry-add-first")
    form = QuickEntryForm(request.POST)

    def to_the_entry(entry):
        request.session[NOTICE_KEY] = _notice(_added_text(entry))
        return reverse("connections:map", args=[person.pk]) + f"?entry={entry.pk}&added=1#id_label"

    added = form_saved(
        request,
        form,
        lambda: services.entry_add_first(actor=request.actor, person_id=person.pk, data=form.entry_data()),
        then=to_the_entry,
    )
    if added:
        return added
    return render(request, "connections/empty.jinja", _empty_context(person, add_form=form))


def _empty_context(person, *, add_form: QuickEntryForm | None = None) -> dict:
    return {
        "person": person,
        "add_form": add_form or QuickEntryForm(),
        "form": SnapshotForm(initial={"taken_on": timezone.localdate()}),
        "page_title": f"Connections map of {person.full_name}",
    }


def _added_text(entry) -> str:
    where = _ring_and_sector(entry.ring, entry.category)
    return f"{entry.label} added to the map: {presenters.KIND[Kind(entry.kind)].lower()}, {where}."


@login_required
def entry_edit(request, person_id: int, entry_id: int):
    """An entry's details: its own page (JavaScript off, or from a link), or posted from the details panel
    beside the map, which saves each change as it is made."""
    person = person_for_request(request, person_id, "map-entry-edit")
    entry = selectors.entry_of(actor=request.actor, person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    # The panel beside the map draws the same fields compactly; both validate alike.
    form_class = EntryDetailsForm if _wants_fragment(request) else EntryForm
    form = form_class(posted(request), initial=EntryForm.initial_for(entry))
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(
                actor=request.actor,
                person_id=person.pk,
                entry_id=entry.pk,
                expected_version=form.cleaned_data["version"],
                data=form.entry_data(),
            )
        except StaleRecordError as error:
            return _stale(request, person, error, selected_id=entry.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            label = form.cleaned_data["label"]
            return _builder_answer(
                request, person, selected_id=entry.pk, notice=_notice(f"Changes to {label} saved.")
            )
    if request.method == "POST" and _wants_fragment(request):
        return _builder_answer(request, person, selected_id=entry.pk, details_form=form, status=422)
    return render(
        request,
        "connections/entry.jinja",
        {
            "person": person,
            "snapshot": entry.snapshot,
            "entry": entry,
            "form": form,
            "page_title": f"Change {entry.label}",
        },
    )


@login_required
def entry_move(request, person_id: int, entry_id: int):
    """Put an entry in another ring or relationship: where it was dragged, or moved with the arrow keys."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    person = person_for_request(request, person_id, "map-entry-move")
    entry = selectors.entry_of(actor=request.actor, person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    form = MoveForm(request.POST)
    if not form.is_valid():
        problem = next(iter(form.errors.values()))[0]
        return _builder_answer(
            request, person, selected_id=entry.pk, notice=_notice(problem, error=True), status=422
        )
    try:
        moved = services.entry_move(
            actor=request.actor,
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=form.cleaned_data["version"],
            ring=form.cleaned_data["ring"],
            category=form.cleaned_data["category"],
        )
    except StaleRecordError as error:
        return _stale(request, person, error, selected_id=entry.pk)
    except ServiceError as error:
        return _builder_answer(
            request, person, selected_id=entry.pk, notice=_notice(error.message, error=True), status=422
        )
    where = _ring_and_sector(moved.ring, moved.category)
    return _builder_answer(
        request, person, selected_id=entry.pk, notice=_notice(f"{moved.label} is now in {where}.")
    )


@login_required
def entry_ties(request, person_id: int, entry_id: int):
    person = person_for_request(request, person_id, "map-entry-ties")
    entry = selectors.entry_of(actor=request.actor, person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    loaded = selectors.snapshot_load(entry.snapshot)
    others = sorted(
        (row for row in loaded.rows if row.pk != entry.pk), key=lambda row: (row.label.casefold(), row.pk)
    )
    current = [a if b == entry.pk else b for a, b in loaded.tie_ids if entry.pk in (a, b)]
    form = TiesForm(posted(request), others=others, initial={"ties": current, "version": entry.version})
    if request.method == "POST" and form.is_valid():
        wanted = set(form.cleaned_data["ties"])
        try:
            services.entry_ties_set(
                actor=request.actor,
                person_id=person.pk,
                entry_id=entry.pk,
                expected_version=form.cleaned_data["version"],
                other_entry_ids=wanted,
            )
        except StaleRecordError as error:
            return _stale(request, person, error, selected_id=entry.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _builder_answer(
                request,
                person,
                selected_id=entry.pk,
                notice=_notice(_ties_text(entry.label, others, current, wanted)),
            )
    if request.method == "POST" and _wants_fragment(request):
        return _builder_answer(request, person, selected_id=entry.pk, ties_form=form, status=422)
    return render(
        request,
        "connections/ties.jinja",
        {"person": person, "entry": entry, "form": form, "page_title": f"Ties of {entry.label}"},
    )


def _ties_text(label: str, others, before, after) -> str:
    """What a save of ties did, in words: "Sam and Jo tied.", "Sam and Jo no longer tied."."""
    names = {row.pk: row.label for row in others}
    added = sorted((names[pk] for pk in set(after) - set(before)), key=str.casefold)
    removed = sorted((names[pk] for pk in set(before) - set(after)), key=str.casefold)
    parts = []
    if added:
        parts.append(f"{label} and {_and(added)} tied.")
    if removed:
        parts.append(f"{label} and {_and(removed)} no longer tied.")
    return " ".join(parts) or f"Ties of {label} saved."


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@login_required
def entry_remove(request, person_id: int, entry_id: int):
    """Take an entry off the map at once, with an undo in the notice (no confirmation page). A GET goes to
    the entry's details on the map."""
    person = person_for_request(request, person_id, "map-entry-remove")
    entry = selectors.entry_of(actor=request.actor, person=person, entry_id=entry_id)
    if refused := _unless_latest(request, entry.snapshot):
        return refused
    if request.method != "POST":
        return redirect(reverse("connections:map", args=[person.pk]) + f"?entry={entry.pk}#entry-details")
    form = RemoveForm(request.POST, initial={"version": entry.version})
    form.is_valid()  # a version that is not a number reads as 0, which the service refuses as stale
    try:
        removed = services.entry_remove(
            actor=request.actor,
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=form.cleaned_data.get("version", 0),
        )
    except StaleRecordError as error:
        return _stale(request, person, error, selected_id=entry.pk)
    except ServiceError as error:
        return _builder_answer(
            request, person, selected_id=entry.pk, notice=_notice(error.message, error=True), status=422
        )
    token = _keep_for_undo(request, person, removed)
    return _builder_answer(request, person, notice=_notice(f"{removed.label} taken off the map.", undo=token))


def _keep_for_undo(request, person, removed: services.RemovedEntry) -> str:
    """Keep what `entry_restore` needs in the session (server side) and return the token that names it."""
    kept = dict(request.session.get(UNDO_KEY, {}))
    token = secrets.token_urlsafe(16)
    kept[token] = {"person_id": person.pk, "removed": removed.as_dict()}
    request.session[UNDO_KEY] = dict(list(kept.items())[-UNDO_KEPT:])
    return token


def _waiting_for_undo(waiting, person) -> services.RemovedEntry | None:
    """The entry a session kept for undo (`_keep_for_undo`), if it is this person's."""
    if not isinstance(waiting, dict) or waiting.get("person_id") != person.pk:
        return None
    try:
        return services.RemovedEntry.from_dict(waiting["removed"])
    except (KeyError, TypeError, ValueError):
        return None


@login_required
def entry_restore(request, person_id: int, snapshot_id: int):
    """Undo: put back an entry taken off this map earlier in the session."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    person = person_for_request(request, person_id, "map-entry-restore")
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
    form = RestoreForm(request.POST)
    kept = dict(request.session.get(UNDO_KEY, {}))
    token = form.cleaned_data["undo"] if form.is_valid() else ""
    removed = _waiting_for_undo(kept.get(token), person)
    if removed is None:
        return _builder_answer(
            request,
            person,
            notice=_notice(
                "There is nothing to undo: it was undone already, or the session it was in has ended.",
                error=True,
            ),
            status=422,
        )
    try:
        entry = services.entry_restore(
            actor=request.actor, person_id=person.pk, snapshot_id=snapshot.pk, removed=removed
        )
    except ServiceError as error:
        return _builder_answer(request, person, notice=_notice(error.message, error=True), status=422)
    kept.pop(token, None)
    request.session[UNDO_KEY] = kept
    return _builder_answer(
        request, person, selected_id=entry.pk, notice=_notice(f"{entry.label} is back on the map.")
    )


@login_required
def printout(request, person_id: int, snapshot_id: int):
    person = person_for_request(request, person_id, "map-print")
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
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
    snapshots = selectors.snapshots_for(actor=request.actor, person=person)
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
        actor=request.actor, person_id=person_id, snapshot_id=snapshot_id, format=format
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
                actor=request.actor, person_id=person.pk, files=files, taken_on=form.cleaned_data["taken_on"]
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
    snapshot = selectors.snapshot_of(actor=request.actor, person=person, snapshot_id=snapshot_id)
    report = request.session.pop("map_import_report", None)
    if report is None:
        return redirect("connections:snapshot", person_id=person.pk, snapshot_id=snapshot.pk)
    return render(
        request,
        "connections/imported.jinja",
        {"person": person, "snapshot": snapshot, "report": report, "page_title": "Map imported"},
    )
