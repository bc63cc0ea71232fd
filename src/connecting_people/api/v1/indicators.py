"""/api/v1/indicators: implementation indicators, aggregates only (never a person, never a worker): the numbers
of the team dashboard (for the team's lead, any dates) and of the trust dashboard (for the trust's implementation
lead, whole calendar periods that have ended, small numbers hidden), worked out by the dashboards' own
functions."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from connecting_people.api.auth import require_scope
from connecting_people.api.responses import json_response
from connecting_people.core.errors import ServiceError
from connecting_people.implementation import dashboards, periods, selectors
from connecting_people.implementation import indicators as ind

router = Router(tags=["indicators"])


class IndicatorOut(Schema):
    key: str
    title: str
    value: float | None = Field(
        description="A share from 0 to 1, or days for the medians; null: no data or hidden"
    )
    numerator: int | None
    denominator: int | None
    suppressed: bool = Field(
        description="Hidden: a count from 1 to the small-number threshold stands behind it"
    )


class OverdueOut(Schema):
    open_people: int | None
    map_overdue: int | None
    steps_overdue: int | None
    review_overdue: int | None
    no_goal: int | None
    no_link: int | None


class OutcomeChangeOut(Schema):
    instrument_id: str
    title: str
    people: int
    mean_first: float | None
    mean_latest: float | None
    mean_change: float | None


class TeamIndicatorsOut(Schema):
    team_id: int
    team: str
    start: date
    end: date
    caseload: int | None = Field(description="The active caseload at the period's end (null when hidden)")
    indicators: list[IndicatorOut]
    overdue: OverdueOut = Field(description="Work overdue today (counts of people or steps)")
    outcomes: list[OutcomeChangeOut]


class TrustIndicatorsOut(Schema):
    trust_id: int
    trust: str
    period: str = Field(description="The calendar period: 2026-03, 2026-Q1 or 2026")
    start: date
    end: date
    small_number_threshold: int
    teams: list[TeamIndicatorsOut]


def _team_out(row: dashboards.TeamNumbers, start: date, end: date) -> TeamIndicatorsOut:
    return TeamIndicatorsOut(
        team_id=row.team.pk,
        team=row.team.name,
        start=start,
        end=end,
        caseload=row.caseload,
        indicators=[
            IndicatorOut(key=key, title=ind.TITLES[key], **row.indicators[key].as_dict()) for key in ind.KEYS
        ],
        overdue=OverdueOut(**row.overdue.__dict__),
        outcomes=[OutcomeChangeOut(**change.__dict__) for change in row.outcomes],
    )


class TeamPeriod(Schema):
    start: date | None = Field(None, description="First day (default: 91 days before the end)")
    end: date | None = Field(None, description="Last day (default: today)")


@router.get(
    "/teams/{int:team_id}",
    response=TeamIndicatorsOut,
    url_name="indicators_team",
    summary="A team's indicators (its lead)",
)
def team_indicators(request, team_id: int, period: Query[TeamPeriod]):
    """The numbers of the team dashboard for a team you lead, for the days asked (both included)."""
    require_scope(request, "indicators:read")
    team = selectors.team_for_lead(actor=request.actor, team_id=team_id)
    today = timezone.localdate()
    end = period.end or today
    start = period.start or end - timedelta(days=dashboards.DEFAULT_DAYS - 1)
    if end > today:
        raise ServiceError("The end of the period must be today or in the past", "end", code="end_in_future")
    if start > end:
        raise ServiceError(
            "The end of the period must be on or after its start", "end", code="end_before_start"
        )
    row = dashboards.team_numbers(team=team, start=start, end=end)
    return json_response(_team_out(row, start, end))


class TrustPeriod(Schema):
    period: str | None = Field(
        None,
        max_length=7,
        description="A whole calendar month, quarter or year that has ended: 2026-03, 2026-Q1 or 2026 "
        "(default: the latest quarter that has ended)",
    )


@router.get(
    "/trusts/{int:trust_id}",
    response=TrustIndicatorsOut,
    url_name="indicators_trust",
    summary="A trust's teams side by side (its implementation lead)",
)
def trust_indicators(request, trust_id: int, asked: Query[TrustPeriod]):
    """The numbers of the trust dashboard: each team's, for a whole calendar period that has ended, with counts
    from 1 to the small-number threshold hidden."""
    require_scope(request, "indicators:read")
    teams = dashboards.trust_teams(actor=request.actor, trust_id=trust_id)
    today = timezone.localdate()
    if asked.period is None:
        period = periods.latest_quarter(today)
    else:
        offered = {each.key: each for each in periods.ended_periods(today)}
        if asked.period not in offered:
            raise ServiceError(
                "Choose a whole calendar month, quarter or year that has ended, like 2026-03, 2026-Q1 or 2026",
                "period",
                code="period_not_offered",
            )
        period = offered[asked.period]
    rows = dashboards.trust_numbers(teams=teams, period=period)
    return json_response(
        TrustIndicatorsOut(
            trust_id=trust_id,
            trust=teams[0].trust.name,
            period=period.key,
            start=period.start,
            end=period.end,
            small_number_threshold=settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD,
            teams=[_team_out(row, period.start, period.end) for row in rows],
        )
    )
