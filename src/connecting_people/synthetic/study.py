"""Synthetic evaluation-study data for the demo and the generated scales: a simulated study
(`study.simulation.simulate`) laid onto teams that already exist, loaded by `study.simulation.db.load_simulated`.

* The demo (`connecting-people demo`): "cpdemo", led by researcher.a, recruiting, over the demo's two teams
  (one per arm), 12 participants enrolled over the last eight months: each has a baseline, and those enrolled
  early enough have had their six-month interview (a few), so the researcher's lists show done, due and
  overdue assessments.
* Scales (`connecting-people demo --scale S|M|L`): one study per scale, finished (follow-up only), led by the
  synthetic researcher "study.simulator":

  | scale | sites × teams × participants | participants | teams used |
  |---|---|---:|---|
  | S | 1 × 2 × 20 | 40 | the trust's two teams |
  | M | 5 × 4 × 25 | 500 | the trust's 20 teams (M has one trust, so one study site) |
  | L | 10 × 10 × 100 | 10,000 | ten teams in each of the first ten trusts (the analysis benchmark's size) |

About half of each team's participants (as far as the team has people who agreed to be contacted about
research and whose support began before the study) are linked to a person of that team; the rest are
research-only. The practice's own fidelity ratings of these teams stand (the study adds none). Everything
follows from the seed and today's date.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from connecting_people.accounts.models import Team, User
from connecting_people.people.models import Person
from connecting_people.study.models import Study
from connecting_people.study.simulation import SimulatedStudy, simulate
from connecting_people.study.simulation import db as loading

DEMO_CODE = "cpdemo"
DEMO_TITLE = "Connecting People demo study"
DEMO_PER_TEAM = 6
DEMO_START_DAYS_AGO = 270  # recruitment over 240 days: the last month's recruits are not yet at baseline + 7
DEMO_RECRUITMENT_DAYS = 240
EFFECT = 1.0
LINK_SHARE = 0.5


@dataclass(frozen=True)
class StudyShape:
    sites: int
    teams_per_site: int
    participants_per_team: int


SCALE_STUDIES = {
    "S": StudyShape(sites=1, teams_per_site=2, participants_per_team=20),
    "M": StudyShape(sites=5, teams_per_site=4, participants_per_team=25),
    "L": StudyShape(sites=10, teams_per_site=10, participants_per_team=100),
}


@dataclass(frozen=True)
class StudyCounts:
    studies: int = 0
    participants: int = 0
    linked_to_people: int = 0
    assessments: int = 0


def choose_teams(teams: Sequence[Team], shape: StudyShape) -> tuple[list[Team], StudyShape]:
    """The teams to lay a study of `shape` onto, site by site, and the shape that fits.

    Where enough trusts have enough teams, `teams_per_site` teams of each of the first `sites` such trusts;
    otherwise the first teams in trust order (several simulated sites then share a trust); with fewer teams
    than the shape needs, as many sites of `teams_per_site` as fit, or one site of all the teams (at least two).
    """
    by_trust: dict[int, list[Team]] = defaultdict(list)
    for team in sorted(teams, key=lambda team: (team.trust_id, team.pk)):
        by_trust[team.trust_id].append(team)
    full = [members for members in by_trust.values() if len(members) >= shape.teams_per_site]
    if len(full) >= shape.sites:
        return [team for members in full[: shape.sites] for team in members[: shape.teams_per_site]], shape
    ordered = [team for members in by_trust.values() for team in members]
    needed = shape.sites * shape.teams_per_site
    if len(ordered) >= needed:
        return ordered[:needed], shape
    if len(ordered) >= 2 * shape.teams_per_site:
        sites = len(ordered) // shape.teams_per_site
        return ordered[: sites * shape.teams_per_site], StudyShape(
            sites, shape.teams_per_site, shape.participants_per_team
        )
    return ordered, StudyShape(1, len(ordered), shape.participants_per_team)


def people_to_link(
    sim: SimulatedStudy, teams: Sequence[Team], *, starts_on: date, seed: int, share: float = LINK_SHARE
) -> dict[str, int]:
    """Simulated participant id -> person id for up to `share` of each team's participants: people of the
    team the participant's simulated team is laid onto, who agreed to be contacted about research and whose
    support began before the study started. Each person once."""
    laid = {row["team"]: team.pk for row, team in zip(sim.teams, teams, strict=True)}
    candidates: dict[int, list[int]] = defaultdict(list)
    for team_id, person_id in (
        Person.objects.filter(
            team_id__in=list(laid.values()), research_consent=True, opened_on__lte=starts_on
        )
        .order_by("team_id", "pk")
        .values_list("team_id", "pk")
    ):
        candidates[team_id].append(person_id)
    rng = random.Random(f"synthetic.study:{seed}")
    by_team: dict[str, list[str]] = defaultdict(list)
    for row in sim.participants:
        by_team[row["team"]].append(row["participant"])
    links: dict[str, int] = {}
    for simulated_team, participants in by_team.items():
        people = candidates[laid[simulated_team]]
        count = min(len(people), int(len(participants) * share))
        chosen = rng.sample(participants, count)
        links.update(zip(sorted(chosen), rng.sample(people, count), strict=True))
    return links


def generate_study(
    *,
    teams: Sequence[Team],
    lead: User,
    code: str,
    title: str,
    shape: StudyShape,
    seed: int,
    today: date,
    starts_on: date,
    recruitment_days: int = loading.RECRUITMENT_DAYS,
    status: str = Study.Status.FOLLOW_UP,
) -> StudyCounts:
    """Simulate a study of `shape` and load it over `teams` (site by site, as `choose_teams` gives them), led
    by `lead` (a researcher). Returns what was written."""
    sim = simulate(
        sites=shape.sites,
        teams_per_site=shape.teams_per_site,
        participants_per_team=shape.participants_per_team,
        effect=EFFECT,
        seed=seed,
    )
    study = loading.load_simulated(
        sim,
        actor=lead,
        code=code,
        title=title,
        starts_on=starts_on,
        today=today,
        status=status,
        recruitment_days=recruitment_days,
        teams=teams,
        people=people_to_link(sim, teams, starts_on=starts_on, seed=seed),
    )
    counts = loading.load_counts(study)
    return StudyCounts(
        studies=1,
        participants=counts["participants"],
        linked_to_people=counts["linked_to_people"],
        assessments=counts["assessments"],
    )


def generate_scale_study(*, scale: str, seed: int, teams: Sequence[Team], today: date) -> StudyCounts:
    """The scale's study (see the module docstring), led by the synthetic researcher. None with fewer than two
    teams (a study needs one in each arm)."""
    if len(teams) < 2:
        return StudyCounts()
    chosen, shape = choose_teams(teams, SCALE_STUDIES[scale])
    return generate_study(
        teams=chosen,
        lead=loading.simulator_account(trust=chosen[0].trust),
        code=loading.free_code(f"{scale.lower()}{seed}-study"),
        title=f"Synthetic scale {scale} study (seed {seed})",
        shape=shape,
        seed=seed,
        today=today,
        starts_on=today - timedelta(days=loading.DEFAULT_START_DAYS_AGO),
    )


def generate_demo_study(*, teams: Sequence[Team], researcher: User, seed: int, today: date) -> StudyCounts:
    """ "cpdemo" over the demo's teams, led by `researcher`, recruiting (see the module docstring). Nothing when
    it exists already."""
    if Study.objects.filter(code=DEMO_CODE).exists():
        return StudyCounts()
    return generate_study(
        teams=list(teams),
        lead=researcher,
        code=DEMO_CODE,
        title=DEMO_TITLE,
        shape=StudyShape(sites=1, teams_per_site=len(teams), participants_per_team=DEMO_PER_TEAM),
        seed=seed,
        today=today,
        starts_on=today - timedelta(days=DEMO_START_DAYS_AGO),
        recruitment_days=DEMO_RECRUITMENT_DAYS,
        status=Study.Status.RECRUITING,
    )
