"""Every write of study data: keyword-only, given the actor (`actor=`), each in one transaction with its audit
event; a record's fields come as a frozen dataclass (`StudyData`, `TimepointData`). A refusal is a ServiceError
with a stable `code` and the `params` its message names; something out of reach is a NotFoundError.

Audit summaries hold codes, numbers and dates only: never eligibility notes, reasons in someone's own words,
or anything that names a participant (participants are named by their study number, which is a code).
Set-up (sites, allocation, timepoints, schedule, unit costs, members) needs a study lead; enrolment, consent,
withdrawal, screening and assessments need any member who reaches the site concerned.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Team, Trust, User
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, NotFoundError, ServiceError, StaleRecordError
from connecting_people.measures import registry, scoring
from connecting_people.measures.definitions import DATA_DIR
from connecting_people.measures.errors import AnswerError, ScoringOptionError, UnknownInstrumentError
from connecting_people.measures.recording import score_for_storage
from connecting_people.measures.scoring.csri_cost import load_unit_costs
from connecting_people.people.models import Person
from connecting_people.people.services import (
    person_change_check,
    person_for_change,
    person_research_consent_given,
)
from connecting_people.study import selectors
from connecting_people.study.costs import unit_cost_table
from connecting_people.study.design import allocation, schedule
from connecting_people.study.models import (
    Arm,
    Assessment,
    Consent,
    Participant,
    ScheduledInstrument,
    Screening,
    Study,
    StudyMember,
    StudySite,
    StudyTeam,
    Timepoint,
    UnitCost,
)
from connecting_people.study.selectors import StudyAccess, may_create_study, researcher_trust_ids

DEFAULT_TIMEPOINTS = (
    # code, label, target day, window before, window after
    ("baseline", "Baseline", 0, 0, 28),
    ("m6", "6 months", 182, 28, 56),
)
DEFAULT_SCHEDULE = ("resource_generator_example", "swemwbs", "ucla3", "eq5d5l", "csri_example")
UNIT_COSTS_FILE = "unit_costs_illustrative.yaml"


VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,39}")


def _consent_version(version: str, field: str) -> str:
    """A consent form version is a short code (it is exported): letters, digits and . _ : + - only."""
    version = version.strip()
    if not VERSION_PATTERN.fullmatch(version):
        raise ServiceError(
            "Enter the version as a short code without spaces, for example v1.2 or 2026-05 "
            "(letters, digits and . _ : + - only, up to 40).",
            field=field,
            code="version_code_invalid",
        )
    return version


def _lead(access: StudyAccess) -> None:
    if not access.is_lead:
        raise NotAllowedError("Only a study lead can change the study's set-up.")


def _reach_site(access: StudyAccess, site_id: int) -> None:
    if access.site_id is not None and access.site_id != site_id:
        raise NotFoundError("No such site")


def _instrument(instrument_id: str):
    try:
        return registry.instrument(instrument_id)
    except UnknownInstrumentError as error:
        raise ServiceError(
            str(error),
            field="instrument_id",
            code="instrument_unknown",
            params={"instrument": instrument_id},
        ) from error


# --- set-up -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyData:
    """A new study's own fields (the set-up form's, or a command's)."""

    code: str
    title: str
    starts_on: date
    consent_version: str


def study_create(*, actor: Actor, data: StudyData, today: date | None = None) -> Study:
    """A new study led by the actor, with the default timepoints (baseline, 6 months), the default schedule of
    instruments at each, and the shipped unit-cost table (marked illustrative: replace it before analysis)."""
    actor = as_actor(actor)
    user = actor.user
    code, title, starts_on, consent_version = data.code, data.title, data.starts_on, data.consent_version
    if not may_create_study(actor=actor):
        raise NotAllowedError("Only researchers can set up a study.")
    code = code.strip().lower()
    consent_version = _consent_version(consent_version, "consent_version")
    if Study.objects.filter(code=code).exists():
        raise ServiceError(
            f"A study with the code {code} already exists.",
            field="code",
            code="study_code_taken",
            params={"code": code},
        )
    table = load_unit_costs(DATA_DIR / UNIT_COSTS_FILE)
    with transaction.atomic():
        study = Study.objects.create(
            code=code,
            title=title.strip(),
            starts_on=starts_on,
            consent_version=consent_version.strip(),
            price_year=table.price_year,
            currency=table.currency,
            unit_cost_source=table.source[:300],
            unit_costs_illustrative=table.illustrative,
            created_by=user,
        )
        StudyMember.objects.create(study=study, user=user, role=StudyMember.Role.LEAD, added_by=user)
        for code_, label, day, before, after in DEFAULT_TIMEPOINTS:
            point = Timepoint.objects.create(
                study=study, code=code_, label=label, target_day=day, window_before=before, window_after=after
            )
            ScheduledInstrument.objects.bulk_create(
                ScheduledInstrument(timepoint=point, instrument_id=instrument, position=index)
                for index, instrument in enumerate(DEFAULT_SCHEDULE)
            )
        UnitCost.objects.bulk_create(
            UnitCost(study=study, service=service, unit=entry.unit, cost=Decimal(str(entry.cost)))
            for service, entry in table.costs.items()
        )
        audit_record(
            actor=user,
            action="study.created",
            object_type="study",
            object_id=study.pk,
            summary={"code": study.code, "starts_on": starts_on, "price_year": study.price_year},
        )
    return study


def _locked_study(access: StudyAccess, expected_version: int) -> Study:
    """The study row, locked until the transaction ends; StaleRecordError when a lead saved its status or unit
    costs since `expected_version`."""
    Study.objects.select_for_update().filter(pk=access.study.pk).first()
    study = access.study
    study.refresh_from_db()  # under the lock; changed in place, so the caller's `access` sees the change
    if study.version != expected_version:
        raise StaleRecordError()
    return study


def study_status_set(*, actor: Actor, access: StudyAccess, expected_version: int, status: str) -> Study:
    """Change the study's status. StaleRecordError when someone saved the study since `expected_version`."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    if status not in Study.Status.values:
        raise ServiceError("Choose a status.", field="status", code="status_required")
    with transaction.atomic():
        study = _locked_study(access, expected_version)
        before = study.status
        study.status = status
        study.version += 1
        study.save(update_fields=["status", "version"])
        audit_record(
            actor=user,
            action="study.status_changed",
            object_type="study",
            object_id=study.pk,
            summary={"from": before, "to": status},
        )
    return study


def member_add(
    *, actor: Actor, access: StudyAccess, username: str, role: str, site_id: int | None
) -> StudyMember:
    """Adds a researcher (a user with the researcher role) to the study, optionally limited to one site."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    from connecting_people.accounts.selectors import scope_for

    try:
        member_user = User.objects.get(username=username.strip(), is_active=True)
    except User.DoesNotExist:
        raise ServiceError(
            f"No active user named {username.strip()}.",
            field="username",
            code="user_unknown",
            params={"username": username.strip()},
        ) from None
    if not scope_for(user=member_user).is_researcher:
        raise ServiceError(
            f"{member_user.username} does not have the researcher role.",
            field="username",
            code="member_not_researcher",
            params={"username": member_user.username},
        )
    if role not in StudyMember.Role.values:
        raise ServiceError("Choose a role.", field="role", code="role_required")
    if role == StudyMember.Role.LEAD and site_id is not None:
        raise ServiceError(
            "A study lead works across every site. To limit someone to one site, make them a researcher.",
            field="site",
            code="lead_across_sites",
        )
    site = None
    if site_id is not None:
        site = access.sites().filter(pk=site_id).first()
        if site is None:
            raise ServiceError("Choose one of the sites taking part.", field="site", code="site_required")
    with transaction.atomic():
        try:
            with transaction.atomic():
                member = StudyMember.objects.create(
                    study=access.study, user=member_user, role=role, site=site, added_by=user
                )
        except IntegrityError:
            raise ServiceError(
                f"{member_user.username} is already a member.",
                field="username",
                code="member_already_added",
                params={"username": member_user.username},
            ) from None
        audit_record(
            actor=user,
            action="study.member_added",
            object_type="study",
            object_id=access.study.pk,
            summary={"user_id": member_user.pk, "role": role, "site": site.code if site else None},
        )
    return member


def site_add(*, actor: Actor, access: StudyAccess, trust_id: int) -> StudySite:
    """Add a trust as a site. A lead who holds the researcher role in the trust adds it: it takes part at once.
    Any other trust is invited: it takes part when someone with the researcher role there accepts
    (`site_decide`); until then nothing of it is allocated, enrolled or read. A trust that declined may be
    invited again (same site code)."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    trust = Trust.objects.filter(pk=trust_id).first()
    if trust is None:
        raise ServiceError("Choose a trust.", field="trust", code="trust_required")
    study = access.study
    own_trust = trust.pk in researcher_trust_ids(actor=actor)
    with transaction.atomic():
        site = StudySite.objects.select_for_update().filter(study=study, trust=trust).first()
        if site is not None and site.status == StudySite.Status.ACTIVE:
            raise ServiceError(
                f"{trust.name} is already a site of this study.",
                field="trust",
                code="site_already_taking_part",
                params={"trust": trust.name},
            )
        if site is not None and site.status == StudySite.Status.INVITED:
            raise ServiceError(
                f"{trust.name} is already invited: it takes part once a researcher there accepts.",
                field="trust",
                code="site_already_invited",
                params={"trust": trust.name},
            )
        if site is None:
            number = study.sites.count() + 1
            while study.sites.filter(code=f"site{number:02d}").exists():
                number += 1
            site = StudySite(study=study, trust=trust, code=f"site{number:02d}")
        now = timezone.now()
        site.invited_by, site.invited_at = user, now
        if own_trust:
            site.status, site.decided_by, site.decided_at = StudySite.Status.ACTIVE, user, now
        else:
            site.status, site.decided_by, site.decided_at = StudySite.Status.INVITED, None, None
        site.save()
        audit_record(
            actor=user,
            action="study.site_added" if own_trust else "study.site_invited",
            object_type="study",
            object_id=study.pk,
            summary={"site": site.code, "trust_id": trust.pk, "status": site.status},
        )
    return site


def site_decide(*, actor: Actor, site_id: int, accept: bool) -> StudySite:
    """Someone with the researcher role in an invited trust accepts (the trust takes part from now) or declines
    the invitation. NotFoundError for anyone else, an unknown id or an invitation already answered."""
    actor = as_actor(actor)
    user = actor.user
    with transaction.atomic():
        site = selectors.site_invitation_get(actor=actor, site_id=site_id)
        site = StudySite.objects.select_for_update().select_related("study", "trust").get(pk=site.pk)
        if site.status != StudySite.Status.INVITED:  # answered by someone else a moment ago
            raise ServiceError(
                f"{site.trust.name}'s invitation has already been answered.",
                code="invitation_already_answered",
                params={"trust": site.trust.name},
            )
        site.status = StudySite.Status.ACTIVE if accept else StudySite.Status.DECLINED
        site.decided_by, site.decided_at = user, timezone.now()
        site.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=user,
            action="study.site_accepted" if accept else "study.site_declined",
            object_type="study",
            object_id=site.study_id,
            summary={"site": site.code, "trust_id": site.trust_id, "study": site.study.code},
        )
    return site


def _next_team_code(study: Study) -> str:
    number = study.teams.count() + 1
    while study.teams.filter(code=f"T{number:02d}").exists():
        number += 1
    return f"T{number:02d}"


def _team_for_site(study: Study, team_id: int) -> tuple[Team, StudySite]:
    team = Team.objects.filter(pk=team_id).select_related("trust").first()
    if team is None:
        raise ServiceError("Choose a team.", field="team", code="team_required")
    site = study.sites.filter(trust_id=team.trust_id).first()
    if site is None:
        raise ServiceError(
            f"{team.name}'s trust is not a site of this study: add the site first.",
            field="team",
            code="team_trust_not_site",
            params={"team": team.name},
        )
    if site.status != StudySite.Status.ACTIVE:
        raise ServiceError(
            f"{team.trust.name} has not accepted the invitation to take part: its teams can be allocated "
            "once a researcher there accepts.",
            field="team",
            code="team_trust_not_accepted",
            params={"trust": team.trust.name},
        )
    existing = study.teams.filter(team=team).first()
    if existing is not None:
        raise ServiceError(
            f"{team.name} is already allocated to the {existing.get_arm_display().lower()} arm "
            f"(as {existing.code}); a team is in one arm only.",
            field="team",
            code="team_already_allocated",
            params={"team": team.name, "arm": existing.arm, "code": existing.code},
        )
    return team, site


def team_allocate(*, actor: Actor, access: StudyAccess, team_id: int, arm: str) -> StudyTeam:
    """Allocates one team to an arm by choice. A team already in the study (either arm) is refused."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    if arm not in Arm.values:
        raise ServiceError("Choose an arm.", field="arm", code="arm_required")
    study = access.study
    team, site = _team_for_site(study, team_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                allocated = StudyTeam.objects.create(
                    study=study,
                    site=site,
                    team=team,
                    code=_next_team_code(study),
                    arm=arm,
                    method=StudyTeam.Method.CHOSEN,
                    allocated_by=user,
                )
        except IntegrityError:
            raise _allocation_clash([team]) from None
        _audit_allocation(user, study, [allocated])
    return allocated


def teams_allocate_random(
    *, actor: Actor, access: StudyAccess, team_ids: list[int], seed: int | None = None
) -> list[StudyTeam]:
    """Allocates the given teams at random within their sites (see `allocation`), with `seed` (a new one is
    drawn and recorded when None). Every team must be new to the study; nothing is saved otherwise."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    if not team_ids:
        raise ServiceError("Choose the teams to allocate.", field="teams", code="teams_required")
    study = access.study
    seed = secrets.randbelow(10**9) if seed is None else seed
    chosen: list[tuple[Team, StudySite]] = [
        _team_for_site(study, team_id) for team_id in sorted(set(team_ids))
    ]
    try:
        with transaction.atomic():
            allocated = _allocate_random(user, study, chosen, seed)
    except IntegrityError:
        raise _allocation_clash([team for team, _site in chosen]) from None
    return allocated


def _allocate_random(
    user: User, study: Study, chosen: list[tuple[Team, StudySite]], seed: int
) -> list[StudyTeam]:
    with transaction.atomic():
        codes = {}
        for team, site in chosen:
            code = _next_team_code(study)
            codes[team.pk] = code
            # Reserve the code by creating rows as we go; arms are set below once every team has a code.
            StudyTeam.objects.create(
                study=study,
                site=site,
                team=team,
                code=code,
                arm=Arm.INTERVENTION,
                method=StudyTeam.Method.RANDOM,
                seed=seed,
                allocated_by=user,
            )
        by_site: dict[str, list[str]] = {}
        for team, site in chosen:
            by_site.setdefault(site.code, []).append(codes[team.pk])
        already: dict[str, dict[str, int]] = {}
        for site_code, arm in study.teams.exclude(code__in=list(codes.values())).values_list(
            "site__code", "arm"
        ):
            already.setdefault(site_code, {}).setdefault(arm, 0)
            already[site_code][arm] += 1
        arms = allocation.allocate_within_sites(by_site, seed, already=already)
        allocated = list(study.teams.filter(code__in=list(arms)).select_related("site"))
        for row in allocated:
            row.arm = arms[row.code]
        StudyTeam.objects.bulk_update(allocated, ["arm"])
        if study.allocation_seed is None:
            study.allocation_seed = seed
            study.save(update_fields=["allocation_seed"])
        _audit_allocation(user, study, allocated, seed=seed)
    return sorted(allocated, key=lambda row: row.code)


def _allocation_clash(teams: list[Team]) -> ServiceError:
    """Someone else allocated one of these teams, or took the next team code, at the same moment."""
    names = ", ".join(team.name for team in teams)
    return ServiceError(
        f"The study's teams changed while you were choosing ({names}): look at the list again and retry. "
        "A team is in one arm only.",
        field="team",
        code="allocation_changed",
        params={"teams": names},
    )


def _audit_allocation(user: User, study: Study, rows: list[StudyTeam], seed: int | None = None) -> None:
    audit_record(
        actor=user,
        action="study.teams_allocated",
        object_type="study",
        object_id=study.pk,
        summary={
            "teams": {
                row.code: {"team_id": row.team_id, "arm": row.arm, "site": row.site.code} for row in rows
            },
            "method": rows[0].method,
            **({"seed": seed} if seed is not None else {}),
        },
    )


def _locked_timepoint(access: StudyAccess, timepoint_id: int, expected_version: int) -> Timepoint:
    point = access.study.timepoints.select_for_update().filter(pk=timepoint_id).first()
    if point is None:
        raise NotFoundError("No such timepoint")
    if point.version != expected_version:
        raise StaleRecordError()
    return point


@dataclass(frozen=True)
class TimepointData:
    """A timepoint's own fields: its code and label, its target day and its window (days before and after)."""

    code: str
    label: str
    target_day: int
    window_before: int
    window_after: int


def timepoint_save(
    *,
    actor: Actor,
    access: StudyAccess,
    data: TimepointData,
    timepoint_id: int | None = None,
    expected_version: int | None = None,
) -> Timepoint:
    """Adds a timepoint, or changes one (`timepoint_id`, at `expected_version`: StaleRecordError when someone
    saved it or its schedule since). Baseline (day 0) cannot open before enrolment."""
    actor = as_actor(actor)
    user = actor.user
    code, label, target_day = data.code, data.label, data.target_day
    window_before, window_after = data.window_before, data.window_after
    _lead(access)
    study = access.study
    if window_before > target_day:
        raise ServiceError(
            "The window cannot open before the participant's baseline.",
            field="window_before",
            code="window_before_baseline",
        )
    with transaction.atomic():
        point = None
        if timepoint_id is not None:
            point = _locked_timepoint(access, timepoint_id, expected_version or 0)
        clash = study.timepoints.exclude(pk=getattr(point, "pk", None))
        if clash.filter(code=code).exists():
            raise ServiceError(
                f"There is already a timepoint {code}.",
                field="code",
                code="timepoint_code_taken",
                params={"code": code},
            )
        if clash.filter(target_day=target_day).exists():
            raise ServiceError(
                f"There is already a timepoint on day {target_day}.",
                field="target_day",
                code="timepoint_day_taken",
                params={"target_day": target_day},
            )
        if point is not None and point.target_day == 0 and target_day != 0 and point.assessments.exists():
            raise ServiceError(
                "Baseline has assessments: it must stay on day 0.",
                field="target_day",
                code="baseline_has_assessments",
            )
        if point is None:
            point = Timepoint(study=study)
        else:
            point.version += 1
        point.code, point.label, point.target_day = code, label.strip(), target_day
        point.window_before, point.window_after = window_before, window_after
        point.save()
        for assessment in point.assessments.select_related("participant"):
            _place(assessment, point)
            assessment.save(update_fields=["day", "in_window"])
        audit_record(
            actor=user,
            action="study.timepoint_saved",
            object_type="study",
            object_id=study.pk,
            summary={
                "timepoint": code,
                "target_day": target_day,
                "window": [target_day - window_before, target_day + window_after],
            },
        )
    return point


def schedule_set(
    *, actor: Actor, access: StudyAccess, timepoint_id: int, expected_version: int, instrument_ids: list[str]
) -> Timepoint:
    """The instruments to be completed at a timepoint, in order. One already recorded cannot be taken off.
    StaleRecordError when someone saved the timepoint or its schedule since `expected_version`."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    for instrument_id in instrument_ids:
        _instrument(instrument_id)
    if not instrument_ids:
        raise ServiceError(
            "Choose at least one instrument.", field="instruments", code="instruments_required"
        )
    with transaction.atomic():
        point = _locked_timepoint(access, timepoint_id, expected_version)
        recorded = set(point.assessments.values_list("instrument_id", flat=True))
        dropped = sorted(recorded - set(instrument_ids))
        if dropped:
            raise ServiceError(
                f"Already recorded at {point.label}, so it stays in the schedule: {', '.join(dropped)}.",
                field="instruments",
                code="schedule_instrument_recorded",
                params={"timepoint": point.code, "instruments": dropped},
            )
        point.version += 1
        point.save(update_fields=["version"])
        point.schedule.all().delete()
        ScheduledInstrument.objects.bulk_create(
            ScheduledInstrument(timepoint=point, instrument_id=instrument_id, position=index)
            for index, instrument_id in enumerate(instrument_ids)
        )
        audit_record(
            actor=user,
            action="study.schedule_set",
            object_type="study",
            object_id=access.study.pk,
            summary={"timepoint": point.code, "instruments": list(instrument_ids)},
        )
    return point


def unit_costs_set(
    *,
    actor: Actor,
    access: StudyAccess,
    expected_version: int,
    price_year: str,
    currency: str,
    source: str,
    costs: dict[str, tuple[str, Decimal]],
) -> Study:
    """Replaces the unit-cost table: {service: (unit, cost)} for a stated price year. A table set here is no
    longer marked illustrative. Services the service-use instrument does not have are refused. StaleRecordError
    when someone saved the study's status or unit costs since `expected_version`."""
    actor = as_actor(actor)
    user = actor.user
    _lead(access)
    study = access.study
    instrument = _instrument(study.service_use_instrument)
    # The service-use instrument's services, and the units the intervention's delivery is costed in.
    from connecting_people.study.analysis.delivery import KEYS as DELIVERY_KEYS  # the analysis only when used

    known = {item.id for item in instrument.items} | set(DELIVERY_KEYS)
    unknown = sorted(set(costs) - known)
    if unknown:
        raise ServiceError(
            f"Not a service of {instrument.title}: {', '.join(unknown)}.",
            field="costs",
            code="unit_cost_service_unknown",
            params={"instrument": instrument.id, "services": unknown},
        )
    if not price_year.strip():
        raise ServiceError(
            "Enter the price year, for example 2024/25.",
            field="price_year",
            code="price_year_required",
        )
    for service, (_unit, cost) in costs.items():
        if cost < 0:
            raise ServiceError(
                f"The cost of {service} cannot be negative.",
                field="costs",
                code="unit_cost_negative",
                params={"service": service},
            )
    with transaction.atomic():
        study = _locked_study(access, expected_version)
        study.version += 1
        study.unit_costs.all().delete()
        UnitCost.objects.bulk_create(
            UnitCost(study=study, service=service, unit=unit, cost=cost)
            for service, (unit, cost) in costs.items()
        )
        study.price_year, study.currency = price_year.strip(), currency.strip().upper() or "GBP"
        study.unit_cost_source, study.unit_costs_illustrative = source.strip()[:300], False
        study.save(
            update_fields=["price_year", "currency", "unit_cost_source", "unit_costs_illustrative", "version"]
        )
        recosted = _recost_service_use(study, instrument)
        audit_record(
            actor=user,
            action="study.unit_costs_set",
            object_type="study",
            object_id=study.pk,
            summary={
                "price_year": study.price_year,
                "currency": study.currency,
                "services": sorted(costs),
                "assessments_recosted": recosted,
            },
        )
    return study


def _recost_service_use(study: Study, instrument) -> int:
    """Costs every stored service-use interview of the study again from its (new) table, so stored costs, the
    export and the analysis agree. Returns how many were costed again. Raises ServiceError when the table lacks
    a service (the caller's transaction then saves nothing)."""
    stored = list(
        Assessment.objects.filter(participant__study=study, instrument_id=instrument.id).only(
            "id", "answers", "instrument_version"
        )
    )
    if not stored:
        return 0
    options = {**registry.scoring_options(instrument), "unit_costs": unit_cost_table(study)}
    for assessment in stored:
        try:
            scores = score_for_storage(instrument, assessment.answers, **options)
        except ScoringOptionError as error:
            raise ServiceError(str(error), field="costs", code="scoring_option_invalid") from error
        assessment.total, assessment.subscales = scores.total, scores.subscales
    Assessment.objects.bulk_update(stored, ["total", "subscales"], batch_size=500)
    return len(stored)


# --- participants -------------------------------------------------------------------------------------------


def _study_team(access: StudyAccess, study_team_id: int) -> StudyTeam:
    team = access.teams().filter(pk=study_team_id).first()
    if team is None:
        raise ServiceError("Choose one of the study's teams.", field="study_team", code="study_team_required")
    return team


def _check_enrolment(study: Study, enrolled_on: date, consented_on: date, today: date) -> None:
    if study.status != Study.Status.RECRUITING:
        raise ServiceError(
            f"{study.code} is not recruiting ({study.get_status_display().lower()}).",
            code="study_not_recruiting",
            params={"study": study.code, "status": study.status},
        )
    if enrolled_on > today:
        raise ServiceError(
            "The enrolment date cannot be in the future.",
            field="enrolled_on",
            code="enrolment_in_future",
        )
    if enrolled_on < study.starts_on:
        raise ServiceError(
            "The enrolment date cannot be before the study starts.",
            field="enrolled_on",
            code="enrolment_before_study_start",
        )
    if consented_on > enrolled_on:
        raise ServiceError(
            "Consent must be given on or before the day of enrolment.",
            field="consented_on",
            code="consent_after_enrolment",
        )


def _create_participant(
    *,
    actor: Actor,
    study: Study,
    study_team: StudyTeam,
    person=None,
    date_of_birth=None,
    enrolled_on: date,
    consented_on: date,
    eligibility_notes: str,
) -> Participant:
    actor = as_actor(actor)
    user = actor.user
    prefix = study.code.upper()
    for _attempt in range(5):
        number = f"{prefix}-{study.participants.count() + 1 + _attempt:04d}"
        try:
            with transaction.atomic():
                participant = Participant.objects.create(
                    study=study,
                    number=number,
                    site=study_team.site,
                    study_team=study_team,
                    person=person,
                    date_of_birth=date_of_birth,
                    enrolled_on=enrolled_on,
                    enrolled_by=user,
                    eligibility_notes=eligibility_notes.strip(),
                )
        except IntegrityError as error:
            if person is not None and study.participants.filter(person=person).exists():
                raise ServiceError(
                    "This person is already enrolled in the study.",
                    code="already_enrolled",
                    params={"study": study.code},
                ) from error
            continue
        break
    else:  # pragma: no cover - five clashes in a row
        raise ServiceError(
            "Could not give the participant a study number: try again.",
            code="study_number_unavailable",
        )
    Consent.objects.create(
        participant=participant, version=study.consent_version, consented_on=consented_on, recorded_by=user
    )
    audit_record(
        actor=user,
        action="study.participant_enrolled",
        object_type="study_participant",
        object_id=participant.pk,
        person_id=person.pk if person is not None else None,
        summary={
            "study": study.code,
            "number": participant.number,
            "team": study_team.code,
            "arm": study_team.arm,
            "enrolled_on": enrolled_on,
            "consent_version": study.consent_version,
            "research_only": person is None,
        },
    )
    return participant


def participant_enrol(
    *,
    actor: Actor,
    access: StudyAccess,
    study_team_id: int,
    enrolled_on: date,
    consented_on: date,
    date_of_birth: date | None = None,
    eligibility_notes: str = "",
    today: date | None = None,
) -> Participant:
    """A research-only participant (no practice record), enrolled by a study member at one of the study's teams."""
    actor = as_actor(actor)
    today = today or timezone.localdate()
    study_team = _study_team(access, study_team_id)
    _check_enrolment(access.study, enrolled_on, consented_on, today)
    if date_of_birth is not None and date_of_birth >= enrolled_on:
        raise ServiceError(
            "The date of birth must be before enrolment.",
            field="date_of_birth",
            code="birth_after_enrolment",
        )
    with transaction.atomic():
        return _create_participant(
            actor=actor,
            study=access.study,
            study_team=study_team,
            date_of_birth=date_of_birth,
            enrolled_on=enrolled_on,
            consented_on=consented_on,
            eligibility_notes=eligibility_notes,
        )


def person_enrol(
    *,
    actor: Actor,
    person_id: int,
    study_team_id: int,
    enrolled_on: date,
    consented_on: date,
    eligibility_notes: str = "",
    today: date | None = None,
) -> Participant:
    """A person supported, enrolled by staff who work with them (404 otherwise), into a recruiting study whose
    teams include the person's team. The researchers then see them under their study number only."""
    actor = as_actor(actor)
    user = actor.user
    today = today or timezone.localdate()
    person = person_for_change(user=user, person_id=person_id)
    study_team = (
        StudyTeam.objects.filter(selectors.site_taking_part(), pk=study_team_id, team_id=person.team_id)
        .select_related("study", "site")
        .first()
    )
    if study_team is None:
        raise ServiceError(
            "Choose a study the person's team takes part in.",
            field="study_team",
            code="study_team_required",
        )
    study = study_team.study
    _check_enrolment(study, enrolled_on, consented_on, today)
    if study.participants.filter(person=person).exists():
        raise ServiceError(
            f"{person.full_name} is already enrolled in {study.code}.",
            code="already_enrolled",
            params={"study": study.code},
        )
    if person.status != Person.Status.OPEN:
        raise ServiceError(
            f"{person.full_name}'s case is closed: only people currently supported are enrolled.",
            code="case_closed",
        )
    if person.research_consent is False:
        raise ServiceError(
            f"{person.full_name}'s record says they did not agree to take part in research. If they have "
            "changed their mind, update the record first.",
            code="research_consent_refused",
        )
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)  # again, locked: see its docstring
        participant = _create_participant(
            actor=actor,
            study=study,
            study_team=study_team,
            person=person,
            enrolled_on=enrolled_on,
            consented_on=consented_on,
            eligibility_notes=eligibility_notes,
        )
        person_research_consent_given(
            actor=user, person=person, consented_on=consented_on, reason="study_enrolment"
        )
    return participant


def consent_record(
    *, actor: Actor, access: StudyAccess, participant: Participant, version: str, consented_on: date
) -> Consent:
    """Consent to a (new) version of the consent form."""
    actor = as_actor(actor)
    user = actor.user
    version = _consent_version(version, "version")
    if participant.withdrawn:
        raise ServiceError(
            f"{participant.number} has withdrawn.",
            code="participant_withdrawn",
            params={"number": participant.number},
        )
    if consented_on > timezone.localdate():
        raise ServiceError(
            "The date of consent cannot be in the future.",
            field="consented_on",
            code="consent_in_future",
        )
    if participant.consents.filter(version=version).exists():
        raise ServiceError(
            f"Consent to version {version} is already recorded.",
            field="version",
            code="consent_already_recorded",
            params={"version": version},
        )
    with transaction.atomic():
        person_change_check(person_id=participant.person_id)
        consent = Consent.objects.create(
            participant=participant, version=version, consented_on=consented_on, recorded_by=user
        )
        audit_record(
            actor=user,
            action="study.consent_recorded",
            object_type="study_participant",
            object_id=participant.pk,
            person_id=participant.person_id,
            summary={"number": participant.number, "version": version, "consented_on": consented_on},
        )
    return consent


def participant_withdraw(
    *,
    actor: Actor,
    access: StudyAccess,
    participant: Participant,
    withdrawn_on: date,
    reason: str,
    choice: str,
) -> Participant:
    """Records withdrawal with the participant's choice about the data already collected (keep or remove).
    Nothing is deleted: data of a participant who chose removal is left out of every export and analysis."""
    actor = as_actor(actor)
    user = actor.user
    if participant.withdrawn:
        raise ServiceError(
            f"{participant.number} has already withdrawn.",
            code="participant_withdrawn",
            params={"number": participant.number},
        )
    if reason not in Participant.WithdrawalReason.values:
        raise ServiceError("Choose a reason.", field="reason", code="reason_required")
    if choice not in Participant.DataChoice.values:
        raise ServiceError(
            "Choose what happens to the data already collected.",
            field="choice",
            code="data_choice_required",
        )
    if withdrawn_on < participant.enrolled_on:
        raise ServiceError(
            "Withdrawal cannot be before enrolment.",
            field="withdrawn_on",
            code="withdrawal_before_enrolment",
        )
    if withdrawn_on > timezone.localdate():
        raise ServiceError(
            "The date of withdrawal cannot be in the future.",
            field="withdrawn_on",
            code="withdrawal_in_future",
        )
    later = participant.assessments.filter(administered_on__gt=withdrawn_on).count()
    if later and choice == Participant.DataChoice.KEEP:
        raise ServiceError(
            f"{later} assessment(s) are dated after {withdrawn_on:%d %B %Y}: check the date of withdrawal.",
            field="withdrawn_on",
            code="assessments_after_withdrawal",
            params={"assessments": later, "withdrawn_on": withdrawn_on},
        )
    with transaction.atomic():
        participant.status = Participant.Status.WITHDRAWN
        participant.withdrawn_on, participant.withdrawal_reason = withdrawn_on, reason
        participant.withdrawal_choice = choice
        participant.save(update_fields=["status", "withdrawn_on", "withdrawal_reason", "withdrawal_choice"])
        audit_record(
            actor=user,
            action="study.participant_withdrawn",
            object_type="study_participant",
            object_id=participant.pk,
            person_id=participant.person_id,
            summary={
                "number": participant.number,
                "withdrawn_on": withdrawn_on,
                "reason": reason,
                "choice": choice,
            },
        )
    return participant


def screening_record(
    *, actor: Actor, access: StudyAccess, site_id: int, screened_on: date, reason: str, count: int
) -> Screening:
    """People assessed for eligibility and not enrolled (counts by reason, for the flow diagram)."""
    actor = as_actor(actor)
    user = actor.user
    site = access.sites().filter(pk=site_id).first()
    if site is None:
        raise ServiceError("Choose a site.", field="site", code="site_required")
    if reason not in Screening.Reason.values:
        raise ServiceError("Choose a reason.", field="reason", code="reason_required")
    if count < 1:
        raise ServiceError("Enter how many people, 1 or more.", field="count", code="count_too_small")
    if screened_on > timezone.localdate():
        raise ServiceError("The date cannot be in the future.", field="screened_on", code="date_in_future")
    with transaction.atomic():
        screening = Screening.objects.create(
            study=access.study,
            site=site,
            screened_on=screened_on,
            reason=reason,
            count=count,
            recorded_by=user,
        )
        audit_record(
            actor=user,
            action="study.screening_recorded",
            object_type="study",
            object_id=access.study.pk,
            summary={"site": site.code, "reason": reason, "count": count, "screened_on": screened_on},
        )
    return screening


# --- assessments --------------------------------------------------------------------------------------------


def _window(point: Timepoint) -> schedule.Window:
    return schedule.Window(point.target_day, point.window_before, point.window_after)


def _place(assessment: Assessment, point: Timepoint) -> None:
    """Days from the participant's baseline, and whether the date is in the timepoint's window (baseline's
    window counts from enrolment: `schedule.window_anchor`)."""
    participant = assessment.participant
    assessment.day = (assessment.administered_on - participant.anchor_on).days
    anchor = schedule.window_anchor(
        point.target_day, enrolled_on=participant.enrolled_on, baseline_on=participant.baseline_on
    )
    assessment.in_window = _window(point).in_window(anchor, assessment.administered_on)


def assessment_record(
    *,
    actor: Actor,
    access: StudyAccess,
    participant: Participant,
    timepoint_id: int,
    instrument_id: str,
    answers: list[float | None],
    administered_on: date,
) -> Assessment:
    """Scores (measures engine) and saves one instrument at one timepoint.

    Refused: an instrument not scheduled at the timepoint, one already recorded there, a date in the future or
    before consent, any data from a participant who chose to have their data removed, and data dated after a
    withdrawal. Allowed and flagged: a date outside the timepoint's window (`in_window` False).
    """
    actor = as_actor(actor)
    user = actor.user
    point = access.study.timepoints.filter(pk=timepoint_id).first()
    if point is None:
        raise NotFoundError("No such timepoint")
    if not point.schedule.filter(instrument_id=instrument_id).exists():
        raise ServiceError(
            f"{instrument_id} is not scheduled at {point.label}.",
            field="instrument_id",
            code="instrument_not_scheduled",
            params={"instrument": instrument_id, "timepoint": point.code},
        )
    instrument = _instrument(instrument_id)
    if access.study.status == Study.Status.CLOSED:
        raise ServiceError(
            f"{access.study.code.upper()} is closed: no more data are recorded.",
            code="study_closed",
            params={"study": access.study.code},
        )
    if participant.withdrawn and participant.withdrawal_choice == Participant.DataChoice.REMOVE:
        raise ServiceError(
            f"{participant.number} withdrew and asked for their data to be removed: nothing more is recorded.",
            code="participant_data_removed",
            params={"number": participant.number},
        )
    if participant.withdrawn and administered_on > participant.withdrawn_on:
        raise ServiceError(
            f"{participant.number} withdrew on {participant.withdrawn_on:%d %B %Y}: data dated after that "
            "cannot be recorded.",
            field="administered_on",
            code="date_after_withdrawal",
            params={"number": participant.number, "withdrawn_on": participant.withdrawn_on},
        )
    if administered_on > timezone.localdate():
        raise ServiceError(
            "The date cannot be in the future.", field="administered_on", code="date_in_future"
        )
    first_consent = (
        participant.consents.order_by("consented_on").values_list("consented_on", flat=True).first()
    )
    if first_consent is not None and administered_on < first_consent:
        raise ServiceError(
            "The date cannot be before the participant consented.",
            field="administered_on",
            code="date_before_consent",
        )
    if participant.assessments.filter(timepoint=point, instrument_id=instrument.id).exists():
        raise ServiceError(
            f"{instrument.title} is already recorded at {point.label}.",
            field="instrument_id",
            code="assessment_already_recorded",
            params={"instrument": instrument.id, "timepoint": point.code},
        )
    try:
        checked = scoring.check_answers(instrument, answers)
    except AnswerError as error:
        raise ServiceError(
            str(error),
            field=error.item_id,
            code="answer_invalid",
            params={"item": error.item_id},
        ) from error
    options = registry.scoring_options(instrument)
    if instrument.id == access.study.service_use_instrument and instrument.scoring.type == "csri_cost":
        # Service use is costed from the study's own table, at its stated price year.
        options["unit_costs"] = unit_cost_table(access.study)
    try:
        scores = score_for_storage(instrument, checked, **options)
    except ScoringOptionError as error:
        raise ServiceError(
            f"{error}. Add the missing unit costs to the study's unit-cost table first."
            if "unit costs" in str(error)
            else str(error),
            code="scoring_option_invalid",
        ) from error
    with transaction.atomic():
        person_change_check(person_id=participant.person_id)
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        moved = False
        if point.target_day == 0 and (
            participant.baseline_on is None or administered_on < participant.baseline_on
        ):
            participant.baseline_on = administered_on
            participant.save(update_fields=["baseline_on"])
            moved = True
        assessment = Assessment(
            participant=participant,
            timepoint=point,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            administered_on=administered_on,
            answers=checked,
            **scores.fields(),
            recorded_by=user,
        )
        _place(assessment, point)
        try:
            with transaction.atomic():
                assessment.save()
        except IntegrityError:
            raise ServiceError(
                f"{instrument.title} is already recorded at {point.label}.",
                field="instrument_id",
                code="assessment_already_recorded",
                params={"instrument": instrument.id, "timepoint": point.code},
            ) from None
        if moved:  # days count from the baseline: place the participant's other assessments again
            others = list(participant.assessments.exclude(pk=assessment.pk).select_related("timepoint"))
            for other in others:
                other.participant = participant
                _place(other, other.timepoint)
            Assessment.objects.bulk_update(others, ["day", "in_window"])
        audit_record(
            actor=user,
            action="study.assessment_recorded",
            object_type="study_assessment",
            object_id=assessment.pk,
            person_id=participant.person_id,
            summary={
                "number": participant.number,
                "timepoint": point.code,
                "instrument": instrument.id,
                "version": instrument.version,
                "administered_on": administered_on,
                "day": assessment.day,
                "in_window": assessment.in_window,
            },
        )
    return assessment


@dataclass(frozen=True)
class ParticipationsErased:
    removed: dict[str, int]  # rows removed, by model
    kept: int  # participations kept under their study number, detached from the person
    removed_count: int  # participations removed


def participations_erase_for_person(*, person: Person) -> ParticipationsErased:
    """Erasure (privacy app, which has locked the person and audits the erasure), in the caller's transaction: a
    participant who chose to keep the data collected stays under the study number, detached from the person
    and without the free-text eligibility notes; any other is removed with their consents and assessments."""
    removed: dict[str, int] = {}
    kept = removed_count = 0
    for participant in Participant.objects.filter(person=person).select_for_update():
        if participant.withdrawal_choice == Participant.DataChoice.KEEP:
            participant.person = None
            participant.eligibility_notes = ""
            participant.save(update_fields=["person", "eligibility_notes"])
            kept += 1
        else:
            for label, count in participant.delete()[1].items():
                removed[label] = removed.get(label, 0) + count
            removed_count += 1
    return ParticipationsErased(removed=removed, kept=kept, removed_count=removed_count)


def participants_remove_for_retention(*, actor: Actor, participant_ids: list[int]) -> list[str]:
    """Retention (privacy app, which has decided which are due): remove these participants with their consents
    and assessments, each audited as `study.participant_removed`, in the caller's transaction. Their study
    numbers, in the order removed."""
    numbers = []
    for participant in Participant.objects.filter(pk__in=participant_ids).select_related("study"):
        numbers.append(participant.number)
        participant_id = participant.pk
        participant.delete()
        audit_record(
            actor=actor,
            action="study.participant_removed",
            object_type="study_participant",
            object_id=participant_id,
            person_id=participant.person_id,
            summary={"study": participant.study.code, "number": participant.number, "source": "retention"},
        )
    return numbers
