"""Team and trust dashboards: practice indicators now and over a year, fidelity ratings, training coverage,
what is overdue and outcome change, with a CSV of the same numbers. Aggregates only; on the trust dashboard,
numbers from 1 to the small-number threshold are hidden, and the period is a whole calendar month, quarter or
year that has ended (periods.py: so that comparing two periods cannot uncover a hidden number). A team's lead
chooses any dates on the team's own dashboard: they may see the team's records themselves."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from markupsafe import Markup

from connecting_people.audit.services import audit_download
from connecting_people.core.errors import NotFoundError
from connecting_people.core.forms import DateField, NHSForm
from connecting_people.implementation import indicators as ind
from connecting_people.implementation import periods, practice, selectors
from connecting_people.implementation.models import FidelityRating
from connecting_people.measures.render import score_chart_svg

DEFAULT_DAYS = 91  # the default period: about the last three months
# The indicators shown per worker on the team dashboard (all of them are in the CSV per team).
WORKER_KEYS = ("map_within_28_days", "with_goal", "with_link_introduced", "reviewed_on_time")
CHARTED = ("map_within_28_days", "with_link_introduced", "reviewed_on_time")


class PeriodForm(NHSForm):
    start = DateField(label="From", past_only=True)
    end = DateField(label="To", past_only=True)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end of the period must be on or after its start")
        return data


def period_of(request) -> tuple[PeriodForm, date, date]:
    """The period asked for (GET start_day.. end_year), or the last 91 days; the form carries any errors (and a
    CSV is then not given: see `_wants_csv`)."""
    today = timezone.localdate()
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    asked = any(key.startswith(("start_", "end_")) for key in request.GET)
    form = PeriodForm(request.GET if asked else None, initial={"start": default[0], "end": default[1]})
    if asked and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, *default


class CalendarPeriodForm(NHSForm):
    """One of the calendar periods the trust dashboard offers on `today` (periods.ended_periods)."""

    period = forms.ChoiceField(
        label="Period",
        help_text="A whole calendar quarter, month or year that has ended",
        error_messages={
            "required": "Choose a period",
            "invalid_choice": "Choose a period from the list",
        },
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [
            (period.key, f"{period.label} ({period.kind})") for period in periods.ended_periods(today)
        ]


def calendar_period_of(request) -> tuple[CalendarPeriodForm, periods.Period]:
    """The calendar period asked for (GET period=2026-Q3, 2026-03 or 2026), or the latest quarter that has
    ended; the form carries any error (and a CSV is then not given). Dates (start_day ...) are not read."""
    today = timezone.localdate()
    default = periods.latest_quarter(today)
    asked = "period" in request.GET
    form = CalendarPeriodForm(request.GET if asked else None, today=today, initial={"period": default.key})
    if asked and form.is_valid():
        chosen = periods.period_for_key(form.cleaned_data["period"])
        assert chosen is not None  # every choice is a key of a period
        return form, chosen
    return form, default


def _wants_csv(request, form: NHSForm) -> bool:
    """A CSV only for a period that was understood: with a bad period the page shows what is wrong instead."""
    return request.GET.get("format") == "csv" and not form.errors


def value_text(indicator: ind.Indicator) -> str:
    if indicator.suppressed:
        # Not "fewer than": a small numerator or remainder hides a share of many, and so can a difference.
        return "Hidden"
    if indicator.value is None:
        return "No data"
    if indicator.key in ind.MEDIANS:
        return f"{indicator.value:g} days"
    return f"{indicator.value * 100:.0f}%"


def basis_text(indicator: ind.Indicator) -> str:
    if indicator.suppressed or indicator.value is None:
        return ""
    if indicator.key in ind.MEDIANS:
        return f"over {indicator.denominator}"
    return f"{indicator.numerator} of {indicator.denominator}"


def small(count: int | None, threshold: int) -> int | None:
    return None if count is not None and 0 < count < threshold else count


@dataclass
class TeamNumbers:
    team: object
    caseload: int | None
    indicators: dict[str, ind.Indicator]
    overdue: practice.Overdue
    outcomes: list[practice.OutcomeChange]
    training: dict | None = None
    ratings: list[dict] = field(default_factory=list)


def _numbers(
    teams, facts, overdue, outcomes, start, end, threshold: int | None, period: periods.Period | None = None
) -> list[TeamNumbers]:
    """Each team's numbers for [start, end]; with a threshold, small counts hidden, and then `period` (the
    calendar period start..end) decides what more is hidden so that no two periods uncover a count."""
    rows = []
    for team in teams:
        caseload = ind.caseload_size(facts[team.pk], end)
        counts = overdue[team.pk]
        changes = outcomes[team.pk]
        if threshold and period is not None:
            found = periods.published_indicators(
                facts[team.pk], period, threshold=threshold, today=timezone.localdate()
            )
        else:
            found = ind.indicators(facts[team.pk], start, end, today=timezone.localdate())
            if threshold:
                found = ind.suppressed_beside_caseload(found, caseload, threshold)
        if threshold:
            caseload = small(caseload, threshold)
            counts = practice.Overdue(**{k: small(v, threshold) for k, v in counts.__dict__.items()})
            changes = [change for change in changes if change.people >= threshold]
        rows.append(TeamNumbers(team, caseload, found, counts, changes))
    return rows


def team_numbers(*, team, start: date, end: date, facts=None) -> TeamNumbers:
    """A team's numbers for [start, end], nothing hidden: what its lead's dashboard (and the API) shows. The
    caller has checked the team is one the actor leads (`selectors.team_for_lead`)."""
    teams = [team]
    return _numbers(
        teams,
        facts if facts is not None else practice.practice_facts(teams=teams),
        practice.overdue_by_team(teams=teams),
        practice.outcome_changes(teams=teams),
        start,
        end,
        None,
    )[0]


def trust_teams(*, actor, trust_id: int) -> list:
    """The teams of a trust the actor is an implementation lead of; NotFoundError for any other trust."""
    if trust_id not in actor.scope.implementation_trust_ids:
        raise NotFoundError("No such trust")
    teams = [team for team in practice.teams_in_reach(actor=actor) if team.trust_id == trust_id]
    if not teams:
        raise NotFoundError("No such trust")
    return teams


def trust_numbers(*, teams: list, period: periods.Period) -> list[TeamNumbers]:
    """Each team's numbers for a calendar period, small numbers hidden as on the trust dashboard (and the API)."""
    return _numbers(
        teams,
        practice.practice_facts(teams=teams),
        practice.overdue_by_team(teams=teams),
        practice.outcome_changes(teams=teams),
        period.start,
        period.end,
        settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD,
        period,
    )


def _csv(name: str, rows: list[TeamNumbers], start: date, end: date) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["team_id", "team", "start", "end", "measure", "value", "numerator", "denominator", "suppressed"]
    )
    for row in rows:
        base = [row.team.pk, row.team.name, start.isoformat(), end.isoformat()]
        writer.writerow([*base, "caseload", _cell(row.caseload), "", "", row.caseload is None])
        for key in ind.KEYS:
            found = row.indicators[key]
            writer.writerow(
                [
                    *base,
                    key,
                    _cell(found.value),
                    _cell(found.numerator),
                    _cell(found.denominator),
                    found.suppressed,
                ]
            )
        for name_, count in row.overdue.__dict__.items():
            writer.writerow([*base, f"overdue.{name_}", _cell(count), "", "", count is None])
        for change in row.outcomes:
            writer.writerow(
                [
                    *base,
                    f"outcome_change.{change.instrument_id}",
                    change.mean_change,
                    "",
                    change.people,
                    False,
                ]
            )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.csv"'
    return response


def _audited(
    request, response: HttpResponse, level: str, object_id: int, start: date, end: date
) -> HttpResponse:
    """Audit the download of a dashboard's CSV: which dashboard, the period and how many rows."""
    audit_download(
        user=request.user,
        download=f"{level}_dashboard_csv",
        rows=response.content.count(b"\n") - 1,
        object_type=level,
        object_id=object_id,
        start=start,
        end=end,
    )
    return response


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _monthly(facts, end: date, threshold: int | None) -> tuple[list, list[dict], list[tuple[str, Markup]]]:
    months = ind.months_ending(end, 12)
    today = timezone.localdate()
    series = [ind.indicators(facts, first, last, today=today) for first, last in months]
    if threshold:
        series = [
            ind.suppressed_beside_caseload(found, ind.caseload_size(facts, last), threshold)
            for found, (_, last) in zip(series, months, strict=True)
        ]
    table = [
        {"title": ind.TITLES[key], "cells": [value_text(found[key]) for found in series]} for key in ind.KEYS
    ]
    charts = []
    for index, key in enumerate(CHARTED):
        points = [
            (last, found[key].value * 100)
            for (_first, last), found in zip(months, series, strict=True)
            if found[key].value is not None
        ]
        if points:
            charts.append(
                (
                    ind.TITLES[key],
                    Markup(
                        score_chart_svg(
                            points,
                            low=0,
                            high=100,
                            chart_id=f"indicator-chart-{index}",
                            title=f"{ind.TITLES[key]}, % by month",
                            description=f"{len(points)} months with data; the table below gives every month.",
                        )
                    ),
                )
            )
    return months, table, charts


@login_required
def team_dashboard(request, team_id: int):
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    form, start, end = period_of(request)
    facts = practice.practice_facts(teams=[team])
    row = team_numbers(team=team, start=start, end=end, facts=facts)
    if _wants_csv(request, form):
        return _audited(
            request, _csv(f"team-{team.pk}-dashboard", [row], start, end), "team", team.pk, start, end
        )
    months, monthly, charts = _monthly(facts[team.pk], end, None)
    groups = ind.by_worker(facts[team.pk])
    workers = [
        {
            "name": worker.display_name,
            "caseload": ind.caseload_size(groups.get(worker.pk, []), end),
            "indicators": ind.indicators(groups.get(worker.pk, []), start, end, today=timezone.localdate()),
        }
        for worker in selectors.team_practitioners(team=team)
    ]
    return render(
        request,
        "implementation/dashboard_team.jinja",
        {
            "team": team,
            "form": form,
            "start": start,
            "end": end,
            "row": row,
            "keys": ind.KEYS,
            "titles": ind.TITLES,
            "value_text": value_text,
            "basis_text": basis_text,
            "months": months,
            "monthly": monthly,
            "charts": charts,
            "workers": workers,
            "worker_keys": WORKER_KEYS,
            "training": (selectors.training_coverage(actor=request.actor, team_ids=[team.pk]) or [None])[0],
            "ratings": selectors.worker_rating_summaries(
                actor=request.actor,
                kind=FidelityRating.Kind.SUPERVISOR,
                team_ids=[team.pk],
                start=start,
                end=end,
            ),
            "self_ratings": selectors.worker_rating_summaries(
                actor=request.actor, kind=FidelityRating.Kind.SELF, team_ids=[team.pk], start=start, end=end
            ),
            "team_ratings": selectors.team_ratings(actor=request.actor, team_id=team.pk)[-3:],
            "page_title": f"{team.name}: dashboard",
        },
    )


@login_required
def trust_dashboard(request, trust_id: int):
    try:
        teams = trust_teams(actor=request.actor, trust_id=trust_id)
    except NotFoundError:
        raise Http404("No such trust") from None
    form, period = calendar_period_of(request)
    start, end = period.start, period.end
    threshold = settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD
    rows = trust_numbers(teams=teams, period=period)
    if _wants_csv(request, form):
        return _audited(
            request, _csv(f"trust-{trust_id}-dashboard", rows, start, end), "trust", trust_id, start, end
        )
    training = {
        row["team_id"]: row
        for row in selectors.training_coverage(actor=request.actor, team_ids=[t.pk for t in teams])
    }
    # Workers' ratings for teams the implementation lead does not lead: each worker's latest rating whatever the
    # period asked for. Letting the period move the window would let two means differ by one worker's rating.
    ratings: dict[tuple[str, str], dict[int, dict]] = {}
    for summary in selectors.worker_rating_summaries(
        actor=request.actor, kind=FidelityRating.Kind.SUPERVISOR, team_ids=[t.pk for t in teams]
    ):
        ratings.setdefault((summary["scale_id"], summary["scale_version"]), {})[summary["team_id"]] = summary
    instruments = sorted({(c.instrument_id, c.title) for row in rows for c in row.outcomes})
    return render(
        request,
        "implementation/dashboard_trust.jinja",
        {
            "trust": teams[0].trust,
            "form": form,
            "period": period,
            "start": start,
            "end": end,
            "rows": rows,
            "keys": ind.KEYS,
            "titles": ind.TITLES,
            "value_text": value_text,
            "basis_text": basis_text,
            "training": training,
            "ratings": sorted(ratings.items()),
            "instruments": instruments,
            "threshold": threshold,
            "page_title": f"{teams[0].trust.name}: teams side by side",
        },
    )
