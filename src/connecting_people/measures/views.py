"""A person's outcome measures: history with charts, and recording a new administration."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from connecting_people.core.forms import form_saved, next_url
from connecting_people.measures import registry, selectors, services
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.forms import AdministrationForm
from connecting_people.measures.models import Administration
from connecting_people.measures.presenters import history_rows, recordable_instruments, score_charts
from connecting_people.people.selectors import person_get
from connecting_people.people.services import person_record_viewed
from connecting_people.people.views import person_for_request


@login_required
def measures_page(request, person_id: int):
    person = person_for_request(request, person_id, "measures")
    histories = selectors.measure_histories(actor=request.actor, person=person)
    sections = [
        {
            "history": history,
            "rows": history_rows(history),
            "charts": score_charts(history, index),
            "anchor": history.instrument.id
            if index == 0 or histories[index - 1].instrument.id != history.instrument.id
            else f"{history.instrument.id}-{index}",
        }
        for index, history in enumerate(histories)
    ]
    return render(
        request,
        "measures/history.jinja",
        {
            "person": person,
            "sections": sections,
            "instruments": recordable_instruments(),
            "value_set": registry.default_value_set(),
            "page_title": f"Outcome measures for {person.full_name}",
        },
    )


@login_required
def choose_instrument(request, person_id: int):
    person = person_for_request(request, person_id, "measures-choose")
    return render(
        request,
        "measures/choose.jinja",
        {
            "person": person,
            "instruments": recordable_instruments(),
            "page_title": "Record an outcome measure",
        },
    )


@login_required
def record(request, person_id: int, instrument_id: str):
    person = person_get(actor=request.actor, person_id=person_id)
    try:
        instrument = registry.instrument(instrument_id)
    except UnknownInstrumentError as error:
        raise Http404("No such instrument") from error
    if instrument not in recordable_instruments():
        raise Http404("Recorded elsewhere")
    if request.method == "GET":
        person_record_viewed(actor=request.actor, person=person, page=f"measures-record-{instrument.id}")
    back = next_url(request)  # the page that opened this one (the review), to go back to after the save
    form = AdministrationForm(
        request.POST or None,
        instrument=instrument,
        initial={"administered_on": timezone.localdate(), "mode": Administration.Mode.WITH_PERSON},
    )
    if saved := form_saved(
        request,
        form,
        lambda: services.administration_record(
            actor=request.actor,
            person_id=person.pk,
            instrument_id=instrument.id,
            answers=form.answers(),
            administered_on=form.cleaned_data["administered_on"],
            mode=form.cleaned_data["mode"],
            timepoint_label=form.cleaned_data["timepoint_label"],
        ),
        # A refused answer names the item (its id); the form's field for it is item_<id>.
        field_names={
            item.id: form.item_field_name(item.id) for item in instrument.items if item.id not in form.fields
        },
        saved=f"{instrument.title} recorded.",
        then=back or reverse("measures:history", args=[person.pk]),
    ):
        return saved
    return render(
        request,
        "measures/record.jinja",
        {
            "person": person,
            "instrument": instrument,
            "form": form,
            "back": back,
            "page_title": f"{instrument.title}: {person.full_name}",
        },
    )
