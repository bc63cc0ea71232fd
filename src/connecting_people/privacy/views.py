"""Pages for the data protection officer. Thin: parse, call one service or selector, render. Everything here
answers 404 to anyone who is not a data protection officer, and for people of other trusts."""

import json
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connecting_people.core.errors import ServiceError
from connecting_people.core.forms import form_saved, posted, show_service_error
from connecting_people.people.selectors import person_shown
from connecting_people.privacy import selectors, services
from connecting_people.privacy.forms import EraseConfirmForm, EraseForm, FindForm, LiftForm, RestrictForm
from connecting_people.privacy.models import ErasureBasis
from connecting_people.privacy.presenters import label_text, removed_text, value_text


@login_required
def index(request):
    """Find a person of the trust by record number or NHS number; what is restricted; links to the rest."""
    trusts = selectors.trusts_of_officer(actor=request.actor)
    form = FindForm(request.GET if "number" in request.GET else None)
    found, erased, searched = [], None, False
    if form.is_bound and form.is_valid():
        searched = True
        number = form.cleaned_data["number"]
        found = selectors.people_found(actor=request.actor, record_or_nhs_number=number)
        if len(found) == 1:
            return redirect("privacy:person", person_id=found[0].pk)
        if not found and len(number) <= 18:
            erased = selectors.erasure_of(actor=request.actor, record_number=int(number))
    return render(
        request,
        "privacy/index.jinja",
        {
            "form": form,
            "trusts": trusts,
            "found": found,
            "erased": erased,
            "searched": searched,
            "restricted_count": selectors.restricted_people(actor=request.actor).count(),
            "page_title": "Data protection",
        },
    )


@login_required
def person_page(request, person_id: int):
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    person_shown(actor=request.actor, person=person, page="data-protection")
    return render(
        request,
        "privacy/person.jinja",
        {
            "person": person,
            "restriction": selectors.restriction_current(actor=request.actor, person=person),
            "restrictions": selectors.restrictions_of(actor=request.actor, person=person),
            "page_title": f"Data protection: {person.full_name}",
        },
    )


@login_required
def subject_access(request, person_id: int):
    document = selectors.subject_access(actor=request.actor, person_id=person_id)
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    services.subject_access_recorded(actor=request.actor, person=person, shown_as="page")
    return render(
        request,
        "privacy/subject_access.jinja",
        {
            "person": person,
            "document": document,
            "value_text": value_text,
            "label_text": label_text,
            "page_title": f"Subject access: {person.full_name}",
        },
    )


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def subject_access_json(document: dict) -> str:
    """The subject access document as JSON text (dates in ISO 8601), for the web and the command line."""
    return json.dumps(document, default=_json_value, indent=2, ensure_ascii=False)


def subject_access_html(document: dict) -> str:
    """The subject access document as one self-contained web page (no scripts, nothing fetched)."""
    return render_to_string(
        "privacy/subject_access_file.jinja",
        {"document": document, "value_text": value_text, "label_text": label_text},
    )


@login_required
def subject_access_download(request, person_id: int, format: str):
    if format not in ("json", "html"):
        raise Http404("No such format")
    document = selectors.subject_access(actor=request.actor, person_id=person_id)
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    if format == "json":
        body, content_type = subject_access_json(document), "application/json; charset=utf-8"
    else:
        body, content_type = subject_access_html(document), "text/html; charset=utf-8"
    services.subject_access_recorded(actor=request.actor, person=person, shown_as=format)
    response = HttpResponse(body, content_type=content_type)
    name = f"subject-access-record-{person.pk}-{timezone.localdate():%Y-%m-%d}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def restrict(request, person_id: int):
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    form = RestrictForm(posted(request))
    saved = form_saved(
        request,
        form,
        lambda: services.restriction_add(
            actor=request.actor,
            person_id=person.pk,
            ground=form.cleaned_data["ground"],
            reference=form.cleaned_data["reference"],
        ),
        then=reverse("privacy:person", args=[person.pk]),
        saved=f"Processing of {person.full_name}'s record is now restricted.",
    )
    if saved:
        return saved
    return render(
        request,
        "privacy/restrict.jinja",
        {"person": person, "form": form, "page_title": f"Restrict processing: {person.full_name}"},
    )


@login_required
def lift(request, person_id: int):
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    if not person.processing_restricted:
        return redirect("privacy:person", person_id=person.pk)
    form = LiftForm(posted(request))
    saved = form_saved(
        request,
        form,
        lambda: services.restriction_lift(
            actor=request.actor,
            person_id=person.pk,
            reason=form.cleaned_data["reason"],
            person_told=form.told,
        ),
        then=reverse("privacy:person", args=[person.pk]),
        saved=f"The restriction of {person.full_name}'s record is lifted.",
    )
    if saved:
        return saved
    return render(
        request,
        "privacy/lift.jinja",
        {
            "person": person,
            "form": form,
            "restriction": selectors.restriction_current(actor=request.actor, person=person),
            "page_title": f"Lift the restriction: {person.full_name}",
        },
    )


def _erase_context(request, person, form, **more) -> dict:
    return {
        "person": person,
        "form": form,
        "preview": selectors.erasure_preview(actor=request.actor, person_id=person.pk),
        "page_title": f"Erase the record of {person.full_name}",
        **more,
    }


@login_required
def erase(request, person_id: int):
    """First step: the lawful basis, with what erasure would remove. A valid answer shows the confirmation."""
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    form = EraseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        basis = form.cleaned_data["lawful_basis"]
        confirm = EraseConfirmForm(initial={"lawful_basis": basis})
        return render(
            request,
            "privacy/erase_confirm.jinja",
            _erase_context(request, person, confirm, basis_label=ErasureBasis(basis).label),
        )
    return render(request, "privacy/erase.jinja", _erase_context(request, person, form))


@login_required
@require_POST
def erase_confirm(request, person_id: int):
    person = selectors.person_for_data_protection(actor=request.actor, person_id=person_id)
    form = EraseConfirmForm(request.POST)
    if not form.is_valid():  # the hidden basis was tampered with: start again
        return redirect("privacy:erase", person_id=person.pk)
    basis = form.cleaned_data["lawful_basis"]
    try:
        outcome = services.person_erase(
            actor=request.actor, person_id=person.pk, lawful_basis=basis, confirmed=form.confirmed
        )
    except ServiceError as error:
        show_service_error(form, error)
        return render(
            request,
            "privacy/erase_confirm.jinja",
            _erase_context(request, person, form, basis_label=ErasureBasis(basis).label),
        )
    messages.success(
        request, f"Record {outcome.record_number} has been erased. Its tombstone is listed below."
    )
    return redirect("privacy:erased")


@login_required
def erased(request):
    events = list(selectors.erased_records(actor=request.actor)[:500])
    return render(
        request,
        "privacy/erased.jinja",
        {
            "events": events,
            "basis_labels": dict(ErasureBasis.choices),
            "removed_text": removed_text,
            "page_title": "Erased records",
        },
    )


@login_required
def restricted(request):
    return render(
        request,
        "privacy/restricted.jinja",
        {
            "people": list(selectors.restricted_people(actor=request.actor)),
            "page_title": "Records with processing restricted",
        },
    )


@login_required
def retention_page(request):
    report = selectors.retention_report(actor=request.actor)
    return render(request, "privacy/retention.jinja", {"report": report, "page_title": "Retention"})
