"""Every write of implementation data. Each runs in one transaction with its audit event, and checks reach
through the selectors first (out of scope is 404, as for a read). Audit summaries hold codes, ids and dates:
no scores, names or notes.

Bad input a user can cause raises ServiceError (with the form field it concerns) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Team
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotFoundError, ServiceError, StaleRecordError
from connecting_people.implementation import registry, selectors
from connecting_people.implementation.checklist import checklist_item
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)
from connecting_people.measures import scoring
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.errors import AnswerError, UnknownInstrumentError
from connecting_people.measures.recording import SCORE_COLUMNS, StoredScores, score_for_storage, stored_scores


def _audit(user, action: str, object_type: str, object_id: Any, summary: dict) -> None:
    audit_record(actor=user, action=action, object_type=object_type, object_id=object_id, summary=summary)


def _not_in_future(when: date, field_name: str, what: str) -> None:
    if when > timezone.localdate():
        raise ServiceError(
            f"{what} must be today or in the past",
            field=field_name,
            code="date_in_future",
            params={"field": field_name},
        )


# ---------------------------------------------------------------------------------------------------------
# Fidelity ratings


def rating_from_score(
    *,
    kind: str,
    scale: Instrument,
    team_id: int,
    worker_id: int | None,
    rated_by_id: int,
    answers: list,
    result: StoredScores | Mapping,
    rated_on: date,
    period_start: date,
    period_end: date,
) -> FidelityRating:
    """An unsaved rating holding `result` (`recording.StoredScores`, a score_one dict or a BatchResult row).
    Shared by the service and the synthetic data generator, so both store scores the same way."""
    return FidelityRating(
        kind=kind,
        team_id=team_id,
        worker_id=worker_id,
        rated_by_id=rated_by_id,
        scale_id=scale.id,
        scale_version=scale.version,
        rated_on=rated_on,
        period_start=period_start,
        period_end=period_end,
        answers=answers,
        **(result if isinstance(result, StoredScores) else stored_scores(result)).fields(SCORE_COLUMNS),
    )


def ratings_store_generated(*, ratings: Sequence[FidelityRating], batch_size: int = 1_000) -> int:
    """Store unsaved ratings made by `rating_from_score` in bulk, unaudited: for generators of made-up data (the
    simulated study's team ratings), never for a rating someone records. Returns how many were stored."""
    FidelityRating.objects.bulk_create(ratings, batch_size=batch_size)
    return len(ratings)


def fidelity_rating_record(
    *,
    actor: Actor,
    kind: str,
    scale_id: str,
    answers: list[float | None] | dict[str, float | None],
    rated_on: date,
    period_start: date,
    period_end: date,
    team_id: int,
    worker_id: int | None = None,
) -> FidelityRating:
    """Score a fidelity rating with the measures engine and save it.

    kind: "self" (the user rates their own practice in a team where they are a practitioner), "supervisor"
    (a lead of `team_id` rates `worker_id`, a practitioner of that team) or "team" (a lead rates the team).
    answers: item codes in the scale's item order (or a mapping of item id to code); None for an item left out.
    Raises NotFoundError when the team or worker is out of reach, ServiceError (field = the item id or form field)
    for an answer the scale does not allow, an item left out that the scale needs, or dates out of order.
    """
    actor = as_actor(actor)
    user = actor.user
    if kind == FidelityRating.Kind.SELF:
        if team_id not in set(selectors.practitioner_teams(actor=actor).values_list("pk", flat=True)):
            raise NotFoundError("No such team")
        worker_id, level = user.pk, "worker"
    elif kind == FidelityRating.Kind.SUPERVISOR:
        _team, worker = selectors.worker_in_team(actor=actor, team_id=team_id, worker_id=worker_id)
        if worker.pk == user.pk:
            raise ServiceError(
                "You cannot give yourself a supervisor rating: use a self-rating instead",
                code="supervisor_rating_of_self",
            )
        level = "worker"
    elif kind == FidelityRating.Kind.TEAM:
        selectors.team_for_lead(actor=actor, team_id=team_id)
        worker_id, level = None, "team"
    else:
        raise ServiceError(f"Unknown kind of rating {kind!r}", code="rating_kind_unknown", params={"kind": kind})
    try:
        scale = registry.scale(scale_id)
    except UnknownInstrumentError as error:
        raise ServiceError(str(error), code="scale_unknown", params={"scale": scale_id}) from error
    if level not in scale.rated:
        raise ServiceError(
            f"{scale.title} does not rate a {level}",
            code="scale_level_not_rated",
            params={"scale": scale.id, "level": level},
        )
    _rating_dates(rated_on, period_start, period_end)
    try:
        checked = scoring.check_answers(scale, answers)
    except AnswerError as error:
        item = _item_or_none(scale, error.item_id)
        message = (
            f"Choose a score from {item.allowed_text()} for “{item.label}”"
            if item is not None
            else str(error)
        )
        raise ServiceError(
            message,
            field=error.item_id,
            code="answer_invalid",
            params={"item": error.item_id},
        ) from error
    if scale.missing.rule == "complete":
        for item, value in zip(scale.items, checked, strict=True):
            if value is None:
                raise ServiceError(
                    f"Choose a score for “{item.label}”",
                    field=item.id,
                    code="answer_required",
                    params={"item": item.id},
                )
    scores = score_for_storage(scale, checked)
    with transaction.atomic():
        rating = rating_from_score(
            kind=kind,
            scale=scale,
            team_id=team_id,
            worker_id=worker_id,
            rated_by_id=user.pk,
            answers=checked,
            result=scores,
            rated_on=rated_on,
            period_start=period_start,
            period_end=period_end,
        )
        rating.save()
        _audit(
            user,
            "fidelity.rated",
            "fidelity_rating",
            rating.pk,
            {
                "kind": kind,
                "scale": scale.id,
                "version": scale.version,
                "team": team_id,
                "worker": worker_id,
                "rated_on": rated_on,
                "period_start": period_start,
                "period_end": period_end,
            },
        )
    return rating


def _item_or_none(scale: Instrument, item_id: str):
    try:
        return scale.item(item_id)
    except KeyError:
        return None


def _rating_dates(rated_on: date, period_start: date, period_end: date) -> None:
    _not_in_future(rated_on, "rated_on", "The date of the rating")
    if period_end < period_start:
        raise ServiceError(
            "The end of the period must be on or after its start",
            field="period_end",
            code="period_end_before_start",
        )
    if period_end > rated_on:
        raise ServiceError(
            "The period must end on or before the date of the rating",
            field="period_end",
            code="period_after_rating",
        )
    if period_end - period_start > timedelta(days=366):
        raise ServiceError("The period can be a year at most", field="period_start", code="period_too_long")


# ---------------------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class TrainingData:
    title: str
    held_on: date
    level: str
    trainer: str
    trust_id: int
    team_id: int | None = None  # None: open to the whole trust
    notes: str = ""


def training_session_create(*, actor: Actor, data: TrainingData, attendee_ids: Iterable[int] = ()) -> TrainingSession:
    """Record a training session held for a team the user leads, or (as an implementation lead) for any team of
    their trust or the whole trust, with who attended. Raises ServiceError for bad input, NotFoundError out of reach."""
    actor = as_actor(actor)
    user = actor.user
    scope_trusts, scope_teams = _training_reach(actor)
    if data.team_id is None:
        if data.trust_id not in scope_trusts:
            raise ServiceError("Choose who the session was for", field="audience", code="audience_required")
    elif data.team_id not in scope_teams or scope_teams[data.team_id] != data.trust_id:
        raise ServiceError("Choose who the session was for", field="audience", code="audience_required")
    if data.level not in TrainingSession.Level.values:
        raise ServiceError("Choose the level of the training", field="level", code="training_level_required")
    _not_in_future(data.held_on, "held_on", "The date of the session")
    if not data.title.strip():
        raise ServiceError("Enter the title of the session", field="title", code="title_required")
    if not data.trainer.strip():
        raise ServiceError("Enter who ran the session", field="trainer", code="facilitator_required")
    with transaction.atomic():
        session = TrainingSession.objects.create(
            trust_id=data.trust_id,
            team_id=data.team_id,
            title=data.title.strip(),
            held_on=data.held_on,
            level=data.level,
            trainer=data.trainer.strip(),
            notes=data.notes.strip(),
            recorded_by=user,
        )
        _audit(
            user,
            "training.session_recorded",
            "training_session",
            session.pk,
            {"trust": data.trust_id, "team": data.team_id, "level": data.level, "held_on": data.held_on},
        )
        _attendance_set(actor, session, attendee_ids)
    return session


def _training_reach(actor: Actor) -> tuple[set[int], dict[int, int]]:
    """(trusts where the actor may record trust-wide sessions, {team id: trust id} they may record sessions for)."""
    scope = actor.scope
    if not (scope.is_team_lead or scope.is_implementation_lead):
        raise NotFoundError("No training here")
    teams = {
        team.pk: team.trust_id
        for team in selectors.implementation_teams(actor=actor)
        if team.pk in scope.lead_team_ids or team.trust_id in scope.implementation_trust_ids
    }
    return set(scope.implementation_trust_ids), teams


@dataclass(frozen=True)
class AttendanceChange:
    added: tuple[int, ...]
    removed: tuple[int, ...]


def training_attendance_set(
    *, actor: Actor, session_id: int, expected_version: int, attendee_ids: Iterable[int]
) -> AttendanceChange:
    """Make the attendance of the staff the user may mark (see `selectors.attendance_candidates`) exactly
    `attendee_ids`; attendance of anyone else is left as it is. Raises ServiceError for someone the user may
    not mark, StaleRecordError when someone changed the attendance since `expected_version`."""
    actor = as_actor(actor)
    with transaction.atomic():
        session = selectors.training_session_get(actor=actor, session_id=session_id)
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if session.version != expected_version:
            raise StaleRecordError()
        change = _attendance_set(actor, session, attendee_ids)
        if change.added or change.removed:
            session.version += 1
            session.save(update_fields=["version"])
        return change


def _attendance_set(actor: Actor, session: TrainingSession, attendee_ids: Iterable[int]) -> AttendanceChange:
    user = actor.user
    wanted = {int(attendee_id) for attendee_id in attendee_ids}
    with transaction.atomic():
        markable = {
            member.pk
            for member, _team in selectors.attendance_candidates(actor=actor, trust_id=session.trust_id)
        }
        if wanted - markable:
            raise ServiceError("Choose attendees from the list", field="attendees", code="attendees_not_listed")
        present = set(
            TrainingAttendance.objects.filter(session=session, attendee_id__in=markable).values_list(
                "attendee_id", flat=True
            )
        )
        added, removed = sorted(wanted - present), sorted(present - wanted)
        TrainingAttendance.objects.bulk_create(
            TrainingAttendance(session=session, attendee_id=attendee_id, recorded_by=user)
            for attendee_id in added
        )
        TrainingAttendance.objects.filter(session=session, attendee_id__in=removed).delete()
        if added or removed:
            _audit(
                user,
                "training.attendance_set",
                "training_session",
                session.pk,
                {"added": added, "removed": removed},
            )
    return AttendanceChange(tuple(added), tuple(removed))


# ---------------------------------------------------------------------------------------------------------
# Champion, supervision


def champion_name(
    *, actor: Actor, team_id: int, expected_current_id: int, champion_id: int, since: date
) -> TeamChampion:
    """Name the team's champion from `since`, ending the current champion's time the day before (or on the
    same day when they started that day). History is kept. Naming the current champion again changes nothing
    and is refused. `expected_current_id` is the current champion's record as the page showed it (0 for none):
    StaleRecordError when someone named another champion since."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        team = selectors.team_for_lead(actor=actor, team_id=team_id)
        # Lock the team row: with no champion yet there is no champion row to lock, and two first namings
        # must not both pass the check below.
        Team.objects.select_for_update().filter(pk=team.pk).first()
        current = TeamChampion.objects.filter(team=team, until__isnull=True).first()
        if (current.pk if current else 0) != expected_current_id:
            raise StaleRecordError()
        if champion_id not in {member.pk for member in selectors.team_members(team=team)}:
            raise ServiceError("Choose a member of the team", field="champion", code="champion_not_team_member")
        _not_in_future(since, "since", "The start date")
        if current is not None:
            if current.champion_id == champion_id:
                raise ServiceError(
                    "They are already the team's champion",
                    field="champion",
                    code="champion_unchanged",
                )
            if since < current.since:
                raise ServiceError(
                    "The start date must be on or after the current champion's start date",
                    field="since",
                    code="champion_start_too_early",
                )
            current.until = max(current.since, since - timedelta(days=1))
            current.save(update_fields=["until"])
        champion = TeamChampion.objects.create(team=team, champion_id=champion_id, since=since, named_by=user)
        _audit(
            user,
            "implementation.champion_named",
            "team_champion",
            champion.pk,
            {
                "team": team.pk,
                "champion": champion_id,
                "since": since,
                "previous": current.champion_id if current else None,
            },
        )
    return champion


def supervision_record(
    *,
    actor: Actor,
    team_id: int,
    worker_id: int,
    held_on: date,
    connection_work_discussed: bool,
    notes: str = "",
) -> SupervisionRecord:
    """Record a supervision session the user (a lead of the team) held with a practitioner of the team."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        team, worker = selectors.worker_in_team(actor=actor, team_id=team_id, worker_id=worker_id)
        if worker.pk == user.pk:
            raise ServiceError("Choose someone you supervise", field="worker", code="worker_not_supervised")
        _not_in_future(held_on, "held_on", "The date of the supervision")
        if connection_work_discussed not in (True, False):
            raise ServiceError(
                "Say whether connection work was discussed",
                field="connection_work_discussed",
                code="discussed_required",
            )
        record = SupervisionRecord.objects.create(
            team=team,
            worker=worker,
            supervisor=user,
            held_on=held_on,
            connection_work_discussed=connection_work_discussed,
            notes=notes.strip(),
        )
        _audit(
            user,
            "implementation.supervision_recorded",
            "supervision_record",
            record.pk,
            {
                "team": team.pk,
                "worker": worker.pk,
                "held_on": held_on,
                "connection_work_discussed": connection_work_discussed,
            },
        )
    return record


# ---------------------------------------------------------------------------------------------------------
# The team's community links


@dataclass(frozen=True)
class CommunityLinkData:
    since: date
    organisation_id: int | None = None
    name: str = ""  # used when the organisation is not in the directory
    contact: str = ""
    notes: str = ""
    ended_on: date | None = None


def _link_fields(data: CommunityLinkData) -> dict:
    organisation = None
    if data.organisation_id is not None:
        organisation = selectors.directory_organisations().filter(pk=data.organisation_id).first()
        if organisation is None:
            raise ServiceError(
                "Choose an organisation from the list",
                field="organisation",
                code="organisation_not_listed",
            )
    name = organisation.name if organisation else data.name.strip()
    if not name:
        raise ServiceError(
            "Choose an organisation from the directory, or enter its name",
            field="organisation",
            code="organisation_required",
        )
    _not_in_future(data.since, "since", "The date the link started")
    if data.ended_on is not None:
        _not_in_future(data.ended_on, "ended_on", "The date the link ended")
        if data.ended_on < data.since:
            raise ServiceError(
                "The end date must be on or after the start date",
                field="ended_on",
                code="end_before_start",
            )
    return {
        "organisation": organisation,
        "name": name[:200],
        "contact": data.contact.strip(),
        "since": data.since,
        "ended_on": data.ended_on,
        "notes": data.notes.strip(),
    }


def community_link_create(*, actor: Actor, team_id: int, data: CommunityLinkData) -> TeamCommunityLink:
    """Add a working link between a team the user leads and a community organisation."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        team = selectors.team_for_lead(actor=actor, team_id=team_id)
        link = TeamCommunityLink.objects.create(team=team, recorded_by=user, **_link_fields(data))
        _audit(
            user,
            "implementation.community_link_added",
            "team_community_link",
            link.pk,
            {"team": team.pk, "organisation": link.organisation_id, "since": link.since},
        )
    return link


def community_link_update(
    *, actor: Actor, team_id: int, link_id: int, expected_version: int, data: CommunityLinkData
) -> TeamCommunityLink:
    """Change a team's community link (for example, record that it ended). StaleRecordError when someone saved
    it since `expected_version`."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        team = selectors.team_for_lead(actor=actor, team_id=team_id)
        link = selectors.community_link_of(team=team, link_id=link_id)
        link = TeamCommunityLink.objects.select_for_update().get(pk=link.pk)
        if link.version != expected_version:
            raise StaleRecordError()
        fields = _link_fields(data)
        changed = sorted(
            name
            for name, value in fields.items()
            if (getattr(link, f"{name}_id") if name == "organisation" else getattr(link, name))
            != (value.pk if name == "organisation" and value is not None else value)
        )
        for name, value in fields.items():
            setattr(link, name, value)
        link.version += 1
        link.save()
        _audit(
            user,
            "implementation.community_link_changed",
            "team_community_link",
            link.pk,
            {"team": team.pk, "fields": changed, "ended_on": link.ended_on},
        )
    return link


# ---------------------------------------------------------------------------------------------------------
# The implementation checklist


def checklist_status_set(
    *, actor: Actor, team_id: int, item_id: str, expected_version: int, status: str, status_on: date
) -> ChecklistStatus:
    """Set a team's status for one checklist item (not started, in progress or done), with its date and who.
    `expected_version` is the status's version the page showed (0 when it had none): StaleRecordError when
    someone saved it since."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        team = selectors.team_for_lead(actor=actor, team_id=team_id)
        if checklist_item(item_id) is None:
            raise NotFoundError("No such checklist item")
        Team.objects.select_for_update().filter(
            pk=team.pk
        ).first()  # two first saves: one waits, then is stale
        row = ChecklistStatus.objects.filter(team=team, item_id=item_id).first()
        if (row.version if row else 0) != expected_version:
            raise StaleRecordError()
        if status not in ChecklistStatus.Status.values:
            raise ServiceError("Choose a status", field="status", code="status_required")
        _not_in_future(status_on, "status_on", "The date")
        if row is None:
            row = ChecklistStatus(team=team, item_id=item_id, version=0)
        row.status, row.status_on, row.updated_by = status, status_on, user
        row.version += 1
        row.save()
        _audit(
            user,
            "implementation.checklist_status_set",
            "checklist_status",
            row.pk,
            {"team": team.pk, "item": item_id, "status": status, "status_on": status_on},
        )
    return row
