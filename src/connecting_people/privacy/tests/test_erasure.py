"""Erasure: the officer erases a person of their trust on a lawful basis, after confirming; everything hanging
off the person goes, in every app, in one transaction; study data follow the participant's recorded choice; a
tombstone without personal data is left in the audit trail and the earlier events stay."""

import json

import pytest
from django.apps import apps
from django.db import models
from django.http import Http404

from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import ServiceError
from connecting_people.people.models import Person
from connecting_people.privacy import services
from connecting_people.privacy.services import ERASED_IN_ORDER
from connecting_people.study.models import Assessment as StudyAssessment
from connecting_people.study.models import Consent, Participant

from .conftest import make_full_person


def models_with_a_key_to_person() -> set[type[models.Model]]:
    return {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey | models.OneToOneField)
        and field.concrete
        and field.related_model is Person
    }


def rows_hanging_off(person: Person) -> set[tuple[type[models.Model], object]]:
    """Every row reachable from the person through foreign keys pointing at it (and at those rows, and so
    on), and the rows of the person's many-to-many tables: what erasure must remove."""
    found: set[tuple[type[models.Model], object]] = set()
    todo = [(Person, [person.pk])]
    while todo:
        model, pks = todo.pop()
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            column = field.m2m_field_name()
            for pk in through.objects.filter(**{f"{column}__in": pks}).values_list("pk", flat=True):
                found.add((through, pk))
        for relation in model._meta.get_fields(include_hidden=True):  # hidden: related_name="+" too
            if not (relation.is_relation and relation.auto_created and not relation.concrete):
                continue  # not a relation pointing here
            if relation.many_to_many:
                continue  # reached through its table's own foreign key
            related = relation.related_model
            pks_found = [
                pk
                for pk in related.objects.filter(**{f"{relation.field.name}__in": pks}).values_list(
                    "pk", flat=True
                )
                if (related, pk) not in found
            ]
            if pks_found:
                found.update((related, pk) for pk in pks_found)
                todo.append((related, pks_found))
    return found


def still_there(rows) -> set:
    return {(model, pk) for model, pk in rows if model.objects.filter(pk=pk).exists()}


def erase(officers, person, basis="made_in_error"):
    return services.person_erase(user=officers.a, person_id=person.pk, lawful_basis=basis, confirmed=True)


def test_the_erasure_order_covers_every_model_with_a_key_to_person():
    assert set(ERASED_IN_ORDER) == models_with_a_key_to_person()


def test_the_full_person_restricted_has_something_in_every_model_that_hangs_off_a_person(org, officers, full):
    """Otherwise the erasure tests below would prove less than they seem to."""
    services.restriction_add(user=officers.a, person_id=full.person.pk, ground="erasure_pending")
    reached = {model for model, _pk in rows_hanging_off(full.person)}
    assert models_with_a_key_to_person() - reached == set()
    assert {model._meta.label for model in reached} >= {
        "connections.MapEntry",
        "connections.MapTie",
        "plans.Step",
        "plans.GoalScore",
        "plans.LinkChange",
        "study.Consent",
        "study.Assessment",
        "people.Person_tags",
        "measures.HeadlineSpan",
    }


@pytest.mark.parametrize("withdrawal", [None, "remove-data"])
def test_nothing_of_the_person_remains_in_any_table(org, officers, withdrawal):
    full = make_full_person(org, withdraw=withdrawal)
    services.restriction_add(user=officers.a, person_id=full.person.pk, ground="erasure_pending")
    rows = rows_hanging_off(full.person)
    assert len(rows) > 25
    other = make_full_person(org, study_setup=full.study, given_name="Tegen", family_name="Tregenza")
    others_rows = rows_hanging_off(other.person)

    outcome = erase(officers, full.person)

    assert still_there(rows) == set()
    assert not Person.objects.filter(pk=full.person.pk).exists()
    for model in models_with_a_key_to_person():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey | models.OneToOneField) and field.related_model is Person:
                assert not model.objects.filter(**{field.attname: full.person.pk}).exists(), model
    assert outcome.study_removed == 1 and outcome.study_kept == 0
    # Someone else's record is untouched.
    assert still_there(others_rows) == others_rows


def test_keep_collected_keeps_the_study_data_under_the_study_number_only(org, officers):
    full = make_full_person(org, withdraw="keep-collected")
    Participant.objects.filter(pk=full.participant.pk).update(eligibility_notes="Lives with her sister Jo")
    consents = list(Consent.objects.filter(participant=full.participant).values("version", "consented_on"))
    interviews = list(
        StudyAssessment.objects.filter(participant=full.participant).values(
            "instrument_id", "answers", "total"
        )
    )
    rows = rows_hanging_off(full.person)

    outcome = erase(officers, full.person)

    kept = Participant.objects.get(pk=full.participant.pk)
    assert (kept.number, kept.person_id, kept.date_of_birth, kept.eligibility_notes) == (
        full.participant.number,
        None,
        None,
        "",
    )
    assert kept.withdrawal_choice == "keep-collected"
    assert list(Consent.objects.filter(participant=kept).values("version", "consented_on")) == consents
    assert (
        list(StudyAssessment.objects.filter(participant=kept).values("instrument_id", "answers", "total"))
        == interviews
    )
    study_rows = {(model, pk) for model, pk in rows if model in (Participant, Consent, StudyAssessment)}
    assert still_there(rows) == study_rows
    assert outcome.study_kept == 1 and outcome.study_removed == 0


def test_the_tombstone_holds_codes_and_counts_and_earlier_events_stay(org, officers, full):
    person = full.person
    earlier = list(AuditEvent.objects.filter(person_id=person.pk).values_list("pk", "hash"))
    assert len(earlier) > 10

    erase(officers, person, basis="no_longer_needed")

    assert (
        list(
            AuditEvent.objects.filter(person_id=person.pk)
            .exclude(action="person.erased")
            .values_list("pk", "hash")
        )
        == earlier
    )
    tombstone = AuditEvent.objects.get(action="person.erased")
    assert (tombstone.person_id, tombstone.object_type, tombstone.object_id, tombstone.actor_id) == (
        person.pk,
        "person",
        str(person.pk),
        officers.a.pk,
    )
    summary = tombstone.summary
    assert summary["lawful_basis"] == "no_longer_needed" and summary["source"] == "request"
    assert summary["trust_id"] == org.trust.pk
    assert summary["removed"]["people.Person"] == 1 and summary["removed"]["connections.MapEntry"] >= 2
    text = json.dumps(summary)
    for personal in (
        person.given_name,
        person.family_name,
        person.nhs_number,
        str(person.date_of_birth),
        "Sam",
    ):
        assert personal not in text
    # No event anywhere in the trail holds the person's name or NHS number.
    trail = json.dumps(list(AuditEvent.objects.values("summary", "object_id")))
    assert person.family_name not in trail and person.nhs_number not in trail


def test_refused_without_a_basis_or_confirmation_and_for_anyone_but_the_trusts_officer(org, officers, full):
    rows = rows_hanging_off(full.person)
    with pytest.raises(ServiceError) as refused:
        services.person_erase(user=officers.a, person_id=full.person.pk, lawful_basis="", confirmed=True)
    assert refused.value.field == "lawful_basis"
    with pytest.raises(ServiceError) as refused:
        services.person_erase(
            user=officers.a, person_id=full.person.pk, lawful_basis="made_in_error", confirmed=False
        )
    assert refused.value.field == "confirm"
    for user in (officers.b, org.lead, org.administrator):
        with pytest.raises(Http404):
            services.person_erase(
                user=user, person_id=full.person.pk, lawful_basis="made_in_error", confirmed=True
            )
    assert still_there(rows) == rows and not AuditEvent.objects.filter(action="person.erased").exists()


def test_all_or_nothing_when_the_tombstone_cannot_be_written(org, officers, full, monkeypatch):
    rows = rows_hanging_off(full.person)
    events = AuditEvent.objects.count()

    def refuse(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services, "audit_record", refuse)
    with pytest.raises(RuntimeError):
        erase(officers, full.person)
    assert still_there(rows) == rows
    assert Person.objects.filter(pk=full.person.pk).exists() and AuditEvent.objects.count() == events


class TestPages:
    def test_basis_then_confirmation_then_the_tombstone(self, client, org, officers, full):
        client.force_login(officers.a)
        url = f"/data-protection/people/{full.person.pk}/erase/"
        page = client.get(url).content.decode()
        assert (
            "Erase this record" in page and "CPIS-0001" in page and "no withdrawal choice is recorded" in page
        )
        page = client.post(url, {}).content.decode()
        assert "There is a problem" in page and "lawful basis" in page.lower()
        page = client.post(url, {"lawful_basis": "made_in_error"}).content.decode()
        assert "Are you sure you want to erase the record of" in page and "This cannot be undone" in page
        assert Person.objects.filter(pk=full.person.pk).exists()
        confirm = url + "confirm/"
        page = client.post(confirm, {"lawful_basis": "made_in_error"}).content.decode()
        assert "Confirm that you want to erase this record" in page
        assert Person.objects.filter(pk=full.person.pk).exists()
        response = client.post(confirm, {"lawful_basis": "made_in_error", "confirm": "yes"})
        assert response.status_code == 302 and response["Location"] == "/data-protection/erased/"
        assert not Person.objects.filter(pk=full.person.pk).exists()
        page = client.get("/data-protection/erased/").content.decode()
        assert f'<td class="nhsuk-table__cell">{full.person.pk}</td>' in page
        assert "made in error" in page and "map entries: " in page
        assert full.person.family_name not in page
        # Looking the number up now says it was erased; the other trust's officer sees nothing of it.
        page = client.get("/data-protection/", {"number": full.person.pk}).content.decode()
        assert f"Record {full.person.pk} was erased on" in page
        client.force_login(officers.b)
        page = client.get("/data-protection/", {"number": full.person.pk}).content.decode()
        assert "was erased" not in page and "No record in your trust" in page
        assert (
            "No record of your trust has been erased"
            in client.get("/data-protection/erased/").content.decode()
        )
