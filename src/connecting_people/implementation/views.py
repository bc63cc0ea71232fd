"""Implementation pages: fidelity ratings, training, champion, supervision, community links, the checklist, and
guidance. Thin: parse, call one service or selector, render. Out of reach is 404 (the selectors decide)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from connecting_people.accounts.selectors import teams_led_by, trusts_for_implementation
from connecting_people.core.forms import form_saved, posted
from connecting_people.implementation import presenters, registry, selectors, services
from connecting_people.implementation.forms import (
    AttendanceForm,
    ChampionForm,
    ChecklistStatusForm,
    CommunityLinkForm,
    FidelityRatingForm,
    SupervisionForm,
    TrainingSessionForm,
)
from connecting_people.implementation.models import FidelityRating


def _require_user_of_pages(request) -> None:
    if not selectors.uses_implementation_pages(actor=request.actor):
        raise Http404("Not available")


# ---------------------------------------------------------------------------------------------------------
# Overview


@login_required
def index(request):
    _require_user_of_pages(request)
    scope = request.actor.scope
    return render(
        request,
        "implementation/index.jinja",
        {
            "scope": scope,
            "summaries": selectors.team_implementation_summaries(actor=request.actor),
            "coverage": {row["team_id"]: row for row in selectors.training_coverage(actor=request.actor)},
            "led_teams": list(teams_led_by(user=request.user)),
            "trusts": list(trusts_for_implementation(user=request.user)),
            "page_title": "Implementation and fidelity",
        },
    )


@login_required
def mine(request):
    practice = selectors.own_practice(actor=request.actor)
    return render(
        request,
        "implementation/mine.jinja",
        {
            "practice": practice,
            "sections": presenters.history_sections(selectors.rating_histories(practice.self_ratings)),
            "scales": registry.scales_for("worker"),
            "page_title": "Your practice",
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Fidelity ratings


def _rating_page(request, *, scale, kind, team, worker=None, teams=None, back_url, heading, caption):
    form = FidelityRatingForm(
        posted(request),
        scale=scale,
        teams=teams,
        initial=FidelityRatingForm.initial_dates(timezone.localdate()),
    )
    saved = form_saved(
        request,
        form,
        lambda: services.fidelity_rating_record(
            actor=request.actor,
            kind=kind,
            scale_id=scale.id,
            answers=form.answers(),
            rated_on=form.cleaned_data["rated_on"],
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
            team_id=form.chosen_team_id() or team.pk,
            worker_id=worker.pk if worker else None,
        ),
        then=back_url,
        saved=lambda rating: f"Rating saved: total {presenters.format_score(rating.total)}.",
        field_names={item.id: form.service_field(item.id) for item in scale.items},
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/rate.jinja",
        {
            "form": form,
            "scale": scale,
            "back_url": back_url,
            "heading": heading,
            "caption": caption,
            "page_title": heading,
        },
    )


@login_required
def self_rate(request, scale_id: str):
    teams = list(selectors.practitioner_teams(actor=request.actor))
    if not teams:
        raise Http404("Not a practitioner")
    scale = registry.scale_or_404(scale_id, "worker")
    return _rating_page(
        request,
        scale=scale,
        kind=FidelityRating.Kind.SELF,
        team=teams[0],
        teams=teams,
        back_url=_url("implementation:mine"),
        heading="Rate your own practice",
        caption=request.user.display_name,
    )


@login_required
def worker_rate(request, team_id: int, worker_id: int, scale_id: str):
    team, worker = selectors.worker_in_team(actor=request.actor, team_id=team_id, worker_id=worker_id)
    scale = registry.scale_or_404(scale_id, "worker")
    return _rating_page(
        request,
        scale=scale,
        kind=FidelityRating.Kind.SUPERVISOR,
        team=team,
        worker=worker,
        back_url=_url("implementation:worker", team.pk, worker.pk),
        heading=f"Rate {worker.display_name}'s practice",
        caption=team.name,
    )


@login_required
def team_rate(request, team_id: int, scale_id: str):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    scale = registry.scale_or_404(scale_id, "team")
    return _rating_page(
        request,
        scale=scale,
        kind=FidelityRating.Kind.TEAM,
        team=team,
        back_url=_url("implementation:team_fidelity", team.pk),
        heading="Rate the team's practice",
        caption=team.name,
    )


@login_required
def team_fidelity(request, team_id: int):
    access = selectors.team_access(actor=request.actor, team_id=team_id)
    ratings = selectors.team_ratings(actor=request.actor, team_id=access.team.pk)
    return render(
        request,
        "implementation/team_fidelity.jinja",
        {
            "access": access,
            "team": access.team,
            "sections": presenters.history_sections(selectors.rating_histories(ratings)),
            "scales": registry.scales_for("team"),
            "worker_summaries": selectors.worker_rating_summaries(
                actor=request.actor, team_ids=[access.team.pk]
            ),
            "threshold": settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD,
            "page_title": f"Fidelity ratings: {access.team.name}",
        },
    )


@login_required
def worker(request, team_id: int, worker_id: int):
    team, member = selectors.worker_in_team(actor=request.actor, team_id=team_id, worker_id=worker_id)
    ratings = selectors.worker_ratings(actor=request.actor, team_id=team.pk, worker_id=member.pk)
    return render(
        request,
        "implementation/worker.jinja",
        {
            "team": team,
            "worker": member,
            "sections": presenters.history_sections(selectors.rating_histories(ratings)),
            "scales": registry.scales_for("worker"),
            "supervision": selectors.worker_supervision(
                actor=request.actor, team_id=team.pk, worker_id=member.pk
            ),
            "training": selectors.worker_training(actor=request.actor, team_id=team.pk, worker_id=member.pk),
            "page_title": f"{member.display_name}: practice",
        },
    )


@login_required
def rating(request, rating_id: int):
    found = selectors.rating_get(actor=request.actor, rating_id=rating_id)
    scale = selectors.scale_of(found)
    if found.kind == FidelityRating.Kind.TEAM:
        back_url = _url("implementation:team_fidelity", found.team_id)
    elif found.worker_id == request.user.pk:
        back_url = _url("implementation:mine")
    else:
        back_url = _url("implementation:worker", found.team_id, found.worker_id)
    return render(
        request,
        "implementation/rating.jinja",
        {
            "rating": found,
            "scale": scale,
            "items": presenters.rating_items(found, scale),
            "domains": presenters.rating_domains(found, scale),
            "total": presenters.rating_total(found, scale),
            "back_url": back_url,
            "page_title": f"{found.get_kind_display()} of {found.rated_on:%d %B %Y}",
        },
    )


# ---------------------------------------------------------------------------------------------------------
# The team


@login_required
def team(request, team_id: int):
    access = selectors.team_access(actor=request.actor, team_id=team_id)
    summary = selectors.team_implementation_summaries(actor=request.actor, team_ids=[access.team.pk])[0]
    context = {
        "access": access,
        "team": access.team,
        "summary": summary,
        "coverage": selectors.training_coverage(actor=request.actor, team_ids=[access.team.pk])[0],
        "links": selectors.community_links_of(team=access.team),
        "team_scales": registry.scales_for("team"),
        "page_title": f"Implementation: {access.team.name}",
    }
    if access.as_lead:
        context["workers"] = selectors.team_workers(actor=request.actor, team_id=access.team.pk)
        context["supervision"] = selectors.team_supervision(
            actor=request.actor, team_id=access.team.pk, limit=10
        )
        context["worker_scales"] = registry.scales_for("worker")
    else:
        context["supervision_summary"] = selectors.supervision_summaries(
            actor=request.actor, team_ids=[access.team.pk]
        )[0]
        context["threshold"] = settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD
    return render(request, "implementation/team.jinja", context)


@login_required
def champion(request, team_id: int):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    history = selectors.champion_history(team=team)
    current = next((entry for entry in history if entry.until is None), None)
    form = ChampionForm(
        posted(request),
        members=selectors.team_members(team=team),
        initial={"since": timezone.localdate(), "current": current.pk if current else 0},
    )
    saved = form_saved(
        request,
        form,
        lambda: services.champion_name(
            actor=request.actor,
            team_id=team.pk,
            expected_current_id=form.cleaned_data["current"],
            champion_id=int(form.cleaned_data["champion"]),
            since=form.cleaned_data["since"],
        ),
        then=_url("implementation:team", team.pk),
        saved="Champion named.",
        stale_to=_url("implementation:champion", team.pk),
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/champion.jinja",
        {
            "team": team,
            "form": form,
            "history": history,
            "page_title": "Name the team's champion",
        },
    )


@login_required
def supervision_new(request, team_id: int):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    workers = [w for w in selectors.team_practitioners(team=team) if w.pk != request.user.pk]
    form = SupervisionForm(posted(request), workers=workers, initial={"held_on": timezone.localdate()})
    saved = form_saved(
        request,
        form,
        lambda: services.supervision_record(
            actor=request.actor,
            team_id=team.pk,
            worker_id=int(form.cleaned_data["worker"]),
            held_on=form.cleaned_data["held_on"],
            connection_work_discussed=form.discussed(),
            notes=form.cleaned_data["notes"],
        ),
        then=_url("implementation:team", team.pk),
        saved="Supervision recorded.",
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/form_page.jinja",
        {
            "team": team,
            "form": form,
            "heading": "Record a supervision",
            "submit": "Save supervision",
            "back_url": _url("implementation:team", team.pk),
            "page_title": "Record a supervision",
        },
    )


def _organisation_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in selectors.directory_organisations().values_list("pk", "name")]


@login_required
def community_link_new(request, team_id: int):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    form = CommunityLinkForm(
        posted(request), organisations=_organisation_choices(), initial={"since": timezone.localdate()}
    )
    saved = form_saved(
        request,
        form,
        lambda: services.community_link_create(actor=request.actor, team_id=team.pk, data=form.link_data()),
        then=_url("implementation:team", team.pk) + "#community-links",
        saved="Community link added.",
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/form_page.jinja",
        {
            "team": team,
            "form": form,
            "heading": "Add a link with a community organisation",
            "submit": "Add link",
            "back_url": _url("implementation:team", team.pk),
            "page_title": "Add a community link",
        },
    )


@login_required
def community_link_edit(request, team_id: int, link_id: int):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    link = selectors.community_link_of(team=team, link_id=link_id)
    form = CommunityLinkForm(
        posted(request),
        organisations=_organisation_choices(),
        editing=True,
        initial={
            "organisation": str(link.organisation_id or ""),
            "name": "" if link.organisation_id else link.name,
            "contact": link.contact,
            "since": link.since,
            "ended_on": link.ended_on,
            "notes": link.notes,
            "version": link.version,
        },
    )
    links = _url("implementation:team", team.pk) + "#community-links"
    saved = form_saved(
        request,
        form,
        lambda: services.community_link_update(
            actor=request.actor,
            team_id=team.pk,
            link_id=link.pk,
            expected_version=form.cleaned_data["version"],
            data=form.link_data(),
        ),
        then=links,
        saved="Community link updated.",
        stale_to=links,
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/form_page.jinja",
        {
            "team": team,
            "form": form,
            "heading": f"Change the link with {link.name}",
            "submit": "Save changes",
            "back_url": _url("implementation:team", team.pk),
            "page_title": "Change a community link",
        },
    )


@login_required
def checklist(request, team_id: int):
    access = selectors.team_access(actor=request.actor, team_id=team_id)
    return render(
        request,
        "implementation/checklist.jinja",
        {
            "access": access,
            "team": access.team,
            "rows": selectors.checklist_for(team=access.team),
            "page_title": f"Implementation checklist: {access.team.name}",
        },
    )


@login_required
def checklist_item(request, team_id: int, item_id: str):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    row = selectors.checklist_row(team=team, item_id=item_id)
    form = ChecklistStatusForm(
        posted(request),
        initial={
            "status": row.status_code,
            "status_on": row.status.status_on if row.status else timezone.localdate(),
            "version": row.status.version if row.status else 0,
        },
    )
    saved = form_saved(
        request,
        form,
        lambda: services.checklist_status_set(
            actor=request.actor,
            team_id=team.pk,
            item_id=row.item.id,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
            status_on=form.cleaned_data["status_on"],
        ),
        then=_url("implementation:checklist", team.pk),
        saved="Checklist updated.",
        stale_to=_url("implementation:checklist", team.pk),
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/form_page.jinja",
        {
            "team": team,
            "form": form,
            "heading": row.item.text,
            "intro": row.item.hint,
            "submit": "Save",
            "back_url": _url("implementation:checklist", team.pk),
            "page_title": "Update the checklist",
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Training


def _training_choices(request) -> tuple[list[tuple[str, str]], dict[int, int]]:
    """Who a new session can be for ("trust:<id>" / "team:<id>", label), and each team's trust."""
    scope = request.actor.scope
    audiences, trust_of_team, trusts_done = [], {}, set()
    for team in selectors.implementation_teams(actor=request.actor):
        if team.trust_id in scope.implementation_trust_ids and team.trust_id not in trusts_done:
            trusts_done.add(team.trust_id)
            audiences.append((f"trust:{team.trust_id}", f"Everyone in {team.trust.name}"))
        if team.pk in scope.lead_team_ids or team.trust_id in scope.implementation_trust_ids:
            audiences.append((f"team:{team.pk}", team.name))
            trust_of_team[team.pk] = team.trust_id
    return audiences, trust_of_team


def _candidate_choices(request, trust_ids) -> list[tuple[str, str]]:
    out, seen = [], set()
    for trust_id in trust_ids:
        for member, member_team in selectors.attendance_candidates(actor=request.actor, trust_id=trust_id):
            if member.pk not in seen:
                seen.add(member.pk)
                out.append((str(member.pk), f"{member.display_name} ({member_team.name})"))
    return out


def _require_training_pages(request) -> None:
    scope = request.actor.scope
    if not (scope.is_team_lead or scope.is_implementation_lead):
        raise Http404("Not available")


@login_required
def training(request):
    _require_training_pages(request)
    return render(
        request,
        "implementation/training.jinja",
        {"sessions": selectors.training_sessions(actor=request.actor), "page_title": "Training"},
    )


@login_required
def training_new(request):
    _require_training_pages(request)
    audiences, trust_of_team = _training_choices(request)
    candidates = _candidate_choices(request, sorted(set(trust_of_team.values())))
    form = TrainingSessionForm(
        posted(request),
        audiences=audiences,
        candidates=candidates,
        initial={"held_on": timezone.localdate()},
    )
    saved = form_saved(
        request,
        form,
        lambda: services.training_session_create(
            actor=request.actor, data=form.training_data(trust_of_team), attendee_ids=form.attendee_ids()
        ),
        then=lambda session: _url("implementation:training_session", session.pk),
        saved="Training session recorded.",
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/training_new.jinja",
        {"form": form, "page_title": "Record a training session"},
    )


@login_required
def training_session(request, session_id: int):
    session = selectors.training_session_get(actor=request.actor, session_id=session_id)
    attendees = selectors.session_attendees(actor=request.actor, session=session)
    return render(
        request,
        "implementation/training_session.jinja",
        {
            "session": session,
            "attendees": attendees,
            "others": selectors.session_attendee_count(session=session) - len(attendees),
            "page_title": session.title,
        },
    )


@login_required
def training_attendance(request, session_id: int):
    session = selectors.training_session_get(actor=request.actor, session_id=session_id)
    candidates = _candidate_choices(request, [session.trust_id])
    present = [str(a.attendee_id) for a in selectors.session_attendees(actor=request.actor, session=session)]
    form = AttendanceForm(
        posted(request), candidates=candidates, initial={"attendees": present, "version": session.version}
    )
    saved = form_saved(
        request,
        form,
        lambda: services.training_attendance_set(
            actor=request.actor,
            session_id=session.pk,
            expected_version=form.cleaned_data["version"],
            attendee_ids=form.attendee_ids(),
        ),
        then=_url("implementation:training_session", session.pk),
        saved="Attendance saved.",
        stale_to=_url("implementation:training_session", session.pk),
    )
    if saved:
        return saved
    return render(
        request,
        "implementation/form_page.jinja",
        {
            "form": form,
            "heading": "Who attended?",
            "caption": session.title,
            "submit": "Save attendance",
            "back_url": _url("implementation:training_session", session.pk),
            "page_title": f"Attendance: {session.title}",
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Guidance: every signed-in member of staff


@login_required
def guidance_index(request):
    return render(
        request,
        "implementation/guidance_index.jinja",
        {"pages": selectors.guidance_pages(), "page_title": "Guidance"},
    )


def _guidance(request, slug: str, template: str):
    page = selectors.guidance_page(slug=slug)
    sections = [
        {"heading": section.heading, "blocks": presenters.section_blocks(section.text)}
        for section in page.sections.all()
    ]
    return render(request, template, {"page": page, "sections": sections, "page_title": page.title})


@login_required
def guidance_page(request, slug: str):
    return _guidance(request, slug, "implementation/guidance_page.jinja")


@login_required
def guidance_print(request, slug: str):
    return _guidance(request, slug, "implementation/guidance_print.jinja")


def _url(name: str, *args) -> str:
    return reverse(name, args=args or None)
