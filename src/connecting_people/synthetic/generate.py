"""Builds synthetic organisations, staff and people in bulk, reproducibly from a seed.

Scales (DESIGN.md, "Performance targets"):
  S: 1 trust, 2 teams, 40 people (the demo)
  M: 1 trust, 20 teams, 5,000 people
  L: 50 trusts, 1,000 teams, 250,000 people
Later capabilities add their own data here (measures, maps, plans ...), each in a module of its own.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from faker import Faker

from connecting_people.accounts.models import Membership, Role, Team, Trust, User
from connecting_people.audit.services import audit_record
from connecting_people.people.models import Person, Tag
from connecting_people.synthetic.implementation import generate_implementation
from connecting_people.synthetic.maps import MapCounts, generate_maps
from connecting_people.synthetic.measures import generate_administrations
from connecting_people.synthetic.nhs_numbers import test_range_numbers
from connecting_people.synthetic.plans import PlanCounts, generate_plans
from connecting_people.synthetic.study import generate_scale_study

STRENGTHS = [
    "listening",
    "cooking",
    "humour",
    "organising",
    "kindness",
    "practical skills",
    "art",
    "music",
    "writing",
    "caring for animals",
    "fixing things",
    "languages",
    "patience",
    "sport",
]
INTERESTS = [
    "gardening",
    "football",
    "walking",
    "reading",
    "music",
    "art",
    "cooking",
    "volunteering",
    "faith",
    "gaming",
    "swimming",
    "photography",
    "history",
    "crafts",
    "cycling",
    "fishing",
    "films",
    "dancing",
]


@dataclass(frozen=True)
class Scale:
    name: str
    trusts: int
    teams_per_trust: int
    people: int
    practitioners_per_team: int = 5


SCALES = {
    "S": Scale("S", trusts=1, teams_per_trust=2, people=40, practitioners_per_team=2),
    "M": Scale("M", trusts=1, teams_per_trust=20, people=5_000),
    "L": Scale("L", trusts=50, teams_per_trust=20, people=250_000),
}

BATCH = 5_000


# Community opportunities per scale: a town's worth for the demo and S, a city's for M, a region's for L.
OPPORTUNITIES = {"S": 60, "M": 2_000, "L": 20_000}


def _nhs_numbers_by_trust(
    rng: random.Random, *, batches: list[int], teams: list[Team]
) -> dict[int, Iterator[str]]:
    """Distinct NHS numbers for each trust, enough for batches of people each spread over `teams` in turn."""
    per_trust_needed: dict[int, int] = {}
    for count in batches:
        for i in range(count):
            trust_id = teams[i % len(teams)].trust_id
            per_trust_needed[trust_id] = per_trust_needed.get(trust_id, 0) + 1
    return {trust_id: iter(test_range_numbers(needed, rng)) for trust_id, needed in per_trust_needed.items()}


def person_rows(
    rng: random.Random,
    fake: Faker,
    *,
    count: int,
    teams: list[Team],
    workers_by_team: dict[int, list[int]],
    today: date,
    nhs_numbers: dict[int, Iterator[str]] | None = None,
) -> list[Person]:
    """`count` people spread over `teams` in turn. When calling in batches, pass `nhs_numbers` (from
    _nhs_numbers_by_trust, drawn once for the whole run) so that numbers stay unique within each trust."""
    people = []
    if nhs_numbers is None:
        nhs_numbers = _nhs_numbers_by_trust(rng, batches=[count], teams=teams)
    assigned_teams = [teams[i % len(teams)] for i in range(count)]
    for team in assigned_teams:
        born = today - timedelta(days=rng.randint(18 * 365, 85 * 365))
        opened = today - timedelta(days=rng.randint(7, 900))
        closed = rng.random() < 0.15
        consent_roll = rng.random()
        practice_consent = None if consent_roll < 0.15 else (consent_roll < 0.92)
        research_consent = None if rng.random() < 0.4 else rng.random() < 0.6
        workers = workers_by_team[team.pk]
        worker = rng.choice(workers) if workers and rng.random() < 0.93 else None
        review = None if rng.random() < 0.2 else today + timedelta(days=rng.randint(-30, 120))
        number = next(nhs_numbers[team.trust_id])
        given = fake.first_name()
        people.append(
            Person(
                trust_id=team.trust_id,
                team=team,
                allocated_worker_id=worker,
                given_name=given,
                family_name=fake.last_name(),
                preferred_name=given[:3] if rng.random() < 0.1 else "",
                date_of_birth=born,
                nhs_number=number if rng.random() < 0.9 else None,
                phone=f"07700 900{rng.randrange(1000):03d}" if rng.random() < 0.8 else "",
                email="",
                address="",
                postcode="",
                status=Person.Status.CLOSED if closed else Person.Status.OPEN,
                opened_on=opened,
                closed_on=min(today, opened + timedelta(days=rng.randint(30, 400))) if closed else None,
                closure_reason=rng.choice(Person.ClosureReason.values) if closed else "",
                practice_consent=practice_consent,
                practice_consent_on=opened + timedelta(days=rng.randint(0, 14))
                if practice_consent is not None
                else None,
                research_consent=research_consent,
                research_consent_on=opened + timedelta(days=rng.randint(0, 30))
                if research_consent is not None
                else None,
                next_review_on=None if closed else review,
            )
        )
    return people


def tag_people(rng: random.Random, people_ids: list[int]) -> None:
    tags = {}
    for kind, names in ((Tag.Kind.STRENGTH, STRENGTHS), (Tag.Kind.INTEREST, INTERESTS)):
        for name in names:
            tags[(kind, name)] = Tag.objects.get_or_create(kind=kind, name=name)[0].pk
    strength_ids = [tags[(Tag.Kind.STRENGTH, n)] for n in STRENGTHS]
    interest_ids = [tags[(Tag.Kind.INTEREST, n)] for n in INTERESTS]
    through = Person.tags.through
    rows = []
    for person_id in people_ids:
        chosen = rng.sample(strength_ids, rng.randint(0, 3)) + rng.sample(interest_ids, rng.randint(0, 4))
        rows.extend(through(person_id=person_id, tag_id=tag_id) for tag_id in chosen)
        if len(rows) >= BATCH:
            through.objects.bulk_create(rows, batch_size=BATCH)
            rows = []
    through.objects.bulk_create(rows, batch_size=BATCH)


def generate_scale(*, scale: str, seed: int, password: str, log=print) -> dict[str, int]:
    """Create a scale's organisations, staff and people alongside whatever exists. Returns counts created.

    Usernames and organisation names carry the scale and seed, so running it twice with the same seed is refused
    rather than duplicating (the caller checks `scale_exists`)."""
    spec = SCALES[scale]
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    today = date.today()
    prefix = f"{scale.lower()}{seed}"
    password_hash = make_password(password)
    with transaction.atomic():
        trusts = Trust.objects.bulk_create(
            [
                Trust(
                    name=f"Synthetic {scale} trust {i + 1} (seed {seed})", ods_code=f"{prefix}t{i + 1}"[:10]
                )
                for i in range(spec.trusts)
            ]
        )
        teams = Team.objects.bulk_create(
            [
                Team(trust=trust, name=f"Community mental health team {j + 1}")
                for trust in trusts
                for j in range(spec.teams_per_trust)
            ]
        )
        users, memberships, workers_by_team = [], [], {}
        for index in range(len(teams)):
            lead = User(
                username=f"{prefix}.lead{index + 1}",
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                password=password_hash,
            )
            workers = [
                User(
                    username=f"{prefix}.worker{index + 1}.{k + 1}",
                    first_name=fake.first_name(),
                    last_name=fake.last_name(),
                    password=password_hash,
                )
                for k in range(spec.practitioners_per_team)
            ]
            users.extend([lead, *workers])
        # An implementation lead for each trust, named by a Faker of its own: the names drawn above and the
        # people's below stay what the seed gave before these accounts existed.
        implementation_names = Faker("en_GB")
        implementation_names.seed_instance(f"implementation-leads:{seed}")
        users.extend(
            User(
                username=f"{prefix}.impl{number}",
                first_name=implementation_names.first_name(),
                last_name=implementation_names.last_name(),
                password=password_hash,
            )
            for number in range(1, len(trusts) + 1)
        )
        User.objects.bulk_create(users, batch_size=BATCH)
        by_name = dict(User.objects.filter(username__startswith=f"{prefix}.").values_list("username", "pk"))
        leads_by_team = {}
        for index, team in enumerate(teams):
            lead_id = by_name[f"{prefix}.lead{index + 1}"]
            leads_by_team[team.pk] = lead_id
            worker_ids = [
                by_name[f"{prefix}.worker{index + 1}.{k + 1}"] for k in range(spec.practitioners_per_team)
            ]
            memberships.append(Membership(user_id=lead_id, role=Role.TEAM_LEAD, team=team, trust=team.trust))
            memberships.extend(
                Membership(user_id=w, role=Role.PRACTITIONER, team=team, trust=team.trust) for w in worker_ids
            )
            workers_by_team[team.pk] = worker_ids
        memberships.extend(
            Membership(user_id=by_name[f"{prefix}.impl{number}"], role=Role.IMPLEMENTATION_LEAD, trust=trust)
            for number, trust in enumerate(trusts, start=1)
        )
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        log(f"  {len(trusts)} trusts, {len(teams)} teams, {len(users)} staff")

        created = 0
        person_ids: list[int] = []
        # Each batch starts again at the first team; draw each trust's NHS numbers once for all the batches,
        # so that they stay unique within the trust (drawing per batch collides at scale L).
        batches = [min(BATCH * 4, spec.people - start) for start in range(0, spec.people, BATCH * 4)]
        nhs_numbers = _nhs_numbers_by_trust(rng, batches=batches, teams=teams)
        while created < spec.people:
            count = min(BATCH * 4, spec.people - created)
            rows = person_rows(
                rng,
                fake,
                count=count,
                teams=teams,
                workers_by_team=workers_by_team,
                today=today,
                nhs_numbers=nhs_numbers,
            )
            Person.objects.bulk_create(rows, batch_size=BATCH)
            created += count
            log(f"  {created:,} people")
        person_ids = list(Person.objects.filter(trust__in=trusts).values_list("pk", flat=True))
        tag_people(rng, person_ids)
        # The directory first: plans link people to opportunities in it. (Imported here: the directory's
        # generator takes its interest words from this module.)
        from connecting_people.synthetic.community import generate_opportunities

        directory = generate_opportunities(
            count=OPPORTUNITIES[scale], seed=seed, source=f"synthetic:{prefix}", log=lambda *args: None
        )
        log(f"  {directory.created:,} community opportunities")
        administrations = 0
        maps = MapCounts()
        plans = PlanCounts()
        for start in range(0, len(person_ids), BATCH * 4):
            people = list(
                Person.objects.filter(pk__in=person_ids[start : start + BATCH * 4]).only(
                    "pk",
                    "team_id",
                    "allocated_worker_id",
                    "opened_on",
                    "status",
                    "closed_on",
                    "practice_consent",
                    "next_review_on",
                )
            )
            administrations += generate_administrations(
                people=people, workers_by_team=workers_by_team, seed=seed + start, today=today
            )
            maps += generate_maps(
                people=people, workers_by_team=workers_by_team, seed=seed + start, today=today
            )
            plans += generate_plans(
                people=people, workers_by_team=workers_by_team, seed=seed + start, today=today
            )
        log(f"  {administrations:,} outcome-measure administrations")
        log(f"  {maps.snapshots:,} connections maps, {maps.entries:,} entries, {maps.ties:,} ties")
        log(
            f"  {plans.assessments:,} assessments, {plans.goals:,} goals, {plans.steps:,} steps, "
            f"{plans.activities:,} activities, {plans.reviews:,} reviews, {plans.links:,} community links"
        )
        if plans.links_skipped:
            log("  no community opportunities in the directory: community links skipped")
        implementation = generate_implementation(
            teams=teams, workers_by_team=workers_by_team, seed=seed, today=today, leads_by_team=leads_by_team
        )
        log(
            f"  {implementation.ratings:,} fidelity ratings, {implementation.training_sessions:,} training "
            f"sessions ({implementation.attendances:,} attendances), {implementation.champions:,} champions, "
            f"{implementation.supervision:,} supervision records, {implementation.community_links:,} team "
            f"community links, {implementation.checklist_statuses:,} checklist items under way or done"
        )
        study = generate_scale_study(scale=scale, seed=seed, teams=teams, today=today)
        log(
            f"  {study.studies} evaluation study: {study.participants:,} participants "
            f"({study.linked_to_people:,} linked to people), {study.assessments:,} research assessments"
        )
        audit_record(
            actor=None,
            action="synthetic.generated",
            object_type="scale",
            object_id=scale,
            summary={
                "seed": seed,
                "trusts": len(trusts),
                "teams": len(teams),
                "people": created,
                "administrations": administrations,
                "map_snapshots": maps.snapshots,
                "map_entries": maps.entries,
                "goals": plans.goals,
                "reviews": plans.reviews,
                "fidelity_ratings": implementation.ratings,
                "training_sessions": implementation.training_sessions,
                "supervision_records": implementation.supervision,
                "team_community_links": implementation.community_links,
                "study_participants": study.participants,
                "study_assessments": study.assessments,
            },
        )
    return {
        "trusts": len(trusts),
        "teams": len(teams),
        "staff": len(users),
        "people": created,
        "administrations": administrations,
        "map_snapshots": maps.snapshots,
        "map_entries": maps.entries,
        "map_ties": maps.ties,
        "goals": plans.goals,
        "steps": plans.steps,
        "reviews": plans.reviews,
        "community_links": plans.links,
        "fidelity_ratings": implementation.ratings,
        "supervision_records": implementation.supervision,
        "study_participants": study.participants,
        "study_assessments": study.assessments,
    }


def scale_exists(*, scale: str, seed: int) -> bool:
    return Trust.objects.filter(ods_code=f"{scale.lower()}{seed}t1"[:10]).exists()
