"""The demo organisation: one trust, two teams, named accounts for each role, about 40 people, and a small
evaluation study ("cpdemo", led by researcher.a: see `synthetic.study`)."""

import random
from datetime import date, timedelta

from django.db import transaction
from faker import Faker

from connecting_people.accounts.models import Membership, Role, Team, Trust, User
from connecting_people.audit.services import audit_record
from connecting_people.people.models import Person
from connecting_people.synthetic.community import UNIT_LETTERS, generate_opportunities
from connecting_people.synthetic.generate import person_rows, tag_people
from connecting_people.synthetic.implementation import generate_implementation
from connecting_people.synthetic.maps import generate_maps
from connecting_people.synthetic.measures import generate_administrations
from connecting_people.synthetic.plans import Shape, generate_plans
from connecting_people.synthetic.study import DEMO_CODE, generate_demo_study

DEMO_TRUST = ("Northshire Community Health NHS Foundation Trust (demo)", "DEMO1")
DEMO_TEAMS = ("Riverside Community Mental Health Team", "Hillside Community Mental Health Team")

# username, first name, last name, role, team index (None for trust-wide roles)
DEMO_STAFF = [
    ("practitioner.a", "Alex", "Morgan", Role.PRACTITIONER, 0),
    ("practitioner.b", "Bea", "Okafor", Role.PRACTITIONER, 0),
    ("lead.a", "Lee", "Adebayo", Role.TEAM_LEAD, 0),
    ("practitioner.c", "Cal", "Hughes", Role.PRACTITIONER, 1),
    ("lead.b", "Lin", "Patel", Role.TEAM_LEAD, 1),
    ("impl.lead", "Imogen", "Reid", Role.IMPLEMENTATION_LEAD, None),
    ("researcher.a", "Ravi", "Shah", Role.RESEARCHER, None),
    ("dpo.a", "Dana", "Kowalski", Role.DATA_PROTECTION, None),
    ("admin", "Ada", "Price", Role.ADMINISTRATOR, None),
]


def load_demo(*, password: str, seed: int = 2026, log=print) -> bool:
    """Create the demo organisation, staff and people. Idempotent: returns False when it already exists
    (passwords are reset to `password` either way, so the printed password always works)."""
    with transaction.atomic():
        trust, _ = Trust.objects.get_or_create(ods_code=DEMO_TRUST[1], defaults={"name": DEMO_TRUST[0]})
        teams = [Team.objects.get_or_create(trust=trust, name=name)[0] for name in DEMO_TEAMS]
        users = {}
        for username, first, last, role, team_index in DEMO_STAFF:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(password)
            if role == Role.ADMINISTRATOR:
                user.is_staff = True
                user.is_superuser = True
            user.save()
            team = teams[team_index] if team_index is not None else None
            Membership.objects.get_or_create(user=user, role=role, team=team, trust=trust)
            users[username] = user
        if Person.objects.filter(trust=trust).exists():
            log("Demo data already present; accounts checked.")
            # Demo data made before the study app had a demo study gets one now.
            study = generate_demo_study(
                teams=teams, researcher=users["researcher.a"], seed=seed, today=date.today()
            )
            if study.studies:
                log(f"Demo study added: {study.participants} participants.")
            return False

        rng = random.Random(seed)
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        workers_by_team = {
            teams[0].pk: [users["practitioner.a"].pk, users["practitioner.b"].pk],
            teams[1].pk: [users["practitioner.c"].pk],
        }
        rows = person_rows(
            rng, fake, count=40, teams=teams, workers_by_team=workers_by_team, today=date.today()
        )
        # Make the two named practitioners' caseloads clearly separate and non-empty.
        riverside = [row for row in rows if row.team_id == teams[0].pk]
        for index, row in enumerate(riverside):
            row.allocated_worker_id = (
                workers_by_team[teams[0].pk][index % 2] if index < len(riverside) - 2 else None
            )
            if index < 4:  # a few open cases in the first practitioners' lists with something overdue
                row.status, row.closed_on, row.closure_reason = Person.Status.OPEN, None, ""
                row.practice_consent, row.practice_consent_on = True, row.opened_on
                row.next_review_on = date.today() - timedelta(days=3 + index)
        # Postcodes in the made-up "CP" area of the demo directory, so that suggestions can say how far each
        # opportunity is from home. A random generator of their own, so the rest of the demo stays as it was.
        postcodes = random.Random(seed + 1)
        for row in rows:
            row.postcode = (
                f"CP{postcodes.randint(1, 16)} {postcodes.randint(1, 9)}"
                f"{postcodes.choice(UNIT_LETTERS)}{postcodes.choice(UNIT_LETTERS)}"
            )
        Person.objects.bulk_create(rows)
        tag_people(rng, list(Person.objects.filter(trust=trust).values_list("pk", flat=True)))
        people = list(Person.objects.filter(trust=trust))
        generate_opportunities(count=60, seed=seed, source="synthetic:demo", log=lambda *args: None)
        generate_administrations(
            people=people, workers_by_team=workers_by_team, seed=seed, today=date.today()
        )
        # Practitioner A's open cases each get two or three maps, so the compare page has something to show.
        practitioner_a = users["practitioner.a"].pk
        maps = generate_maps(
            people=people,
            workers_by_team=workers_by_team,
            seed=seed,
            today=date.today(),
            at_least_two=[
                p.pk
                for p in people
                if p.allocated_worker_id == practitioner_a and p.status == Person.Status.OPEN
            ],
        )
        plans = generate_plans(
            people=people,
            workers_by_team=workers_by_team,
            seed=seed,
            today=date.today(),
            shapes=practitioner_a_plans(people, practitioner_a),
        )
        implementation = generate_implementation(
            teams=teams,
            workers_by_team=workers_by_team,
            seed=seed,
            today=date.today(),
            leads_by_team={teams[0].pk: users["lead.a"].pk, teams[1].pk: users["lead.b"].pk},
        )
        study = generate_demo_study(
            teams=teams, researcher=users["researcher.a"], seed=seed, today=date.today()
        )
        audit_record(
            actor=None,
            action="synthetic.demo_loaded",
            object_type="trust",
            object_id=trust.pk,
            summary={
                "people": len(rows),
                "map_snapshots": maps.snapshots,
                "goals": plans.goals,
                "fidelity_ratings": implementation.ratings,
                "training_sessions": implementation.training_sessions,
                "supervision_records": implementation.supervision,
                "team_community_links": implementation.community_links,
                "study_participants": study.participants,
            },
        )
    log(
        f"Demo data created: 1 trust, {len(teams)} teams, {len(DEMO_STAFF)} named accounts, {len(rows)} people, "
        f"{maps.snapshots} connections maps, {plans.goals} goals, {plans.reviews} reviews, "
        f"{implementation.ratings} fidelity ratings, {implementation.training_sessions} training sessions, "
        f"{implementation.supervision} supervision records, {implementation.community_links} team community links, "
        f"and the study {DEMO_CODE} ({study.participants} participants, led by researcher.a)."
    )
    if plans.links_skipped:
        log("No community opportunities in the directory: community links skipped.")
    return True


def practitioner_a_plans(people: list[Person], practitioner_a: int) -> dict[int, Shape]:
    """Plans made to order for practitioner A's open cases who agreed to work this way, so that the caseload
    shows every kind of prompt: the first has goals, steps (one overdue) and a review; the last two have no
    goals yet (one assessed, one with nothing recorded); the others goals, steps and a review, none overdue."""
    theirs = sorted(
        person.pk
        for person in people
        if person.allocated_worker_id == practitioner_a
        and person.status == Person.Status.OPEN
        and person.practice_consent is True
    )
    shapes = dict.fromkeys(theirs, Shape.FULL)
    if theirs:
        shapes[theirs[0]] = Shape.FULL_OVERDUE
    if len(theirs) >= 3:
        shapes[theirs[-2]], shapes[theirs[-1]] = Shape.NO_GOALS, Shape.NOTHING
    return shapes
