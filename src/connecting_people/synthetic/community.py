"""Synthetic community opportunities, reproducibly from a seed, as Open Referral (HSDS 3.0) services.

Made-up groups (walking groups, choirs, allotments, peer support, job clubs ...) run by made-up organisations,
spread around a town centre within a few miles, with postcodes in an area that does not exist ("CP", one
district per compass sector and ring, so that searching near "CP3" works), phone numbers from Ofcom's range
for drama (01632 960xxx) and web and email addresses under example.org. Each service carries taxonomy terms
in words, as a publisher's would, so the importer's vocabulary is what gives categories and interests.

    hsds_services(count=..., seed=...)           a list of HSDS service dicts (for files and benchmarks)
    generate_opportunities(count=..., seed=...)  imported into the directory through the real importer
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from connecting_people.accounts.actor import actor_for
from connecting_people.community import geo, hsds
from connecting_people.community.services import ImportReport, directory_import
from connecting_people.synthetic.generate import INTERESTS

# The numbers are somewhere in England; every name, postcode and phone number around them is made up.
TOWN_CENTRE = geo.Point(53.9590, -1.0815)
RADIUS_MILES = 8.0
SOURCE_PREFIX = "synthetic"


@dataclass(frozen=True)
class Activity:
    name: str  # follows a neighbourhood name: "Riverside Walking Group"
    terms: tuple[str, ...]  # taxonomy terms in words, as a publisher would tag it
    interests: tuple[str, ...]  # what the importer's vocabulary should find (checked by a test)
    times: tuple[tuple[str, str], ...]  # typical start and finish times


MORNING = (("10:00", "12:00"), ("10:30", "12:30"), ("09:30", "11:30"))
AFTERNOON = (("13:30", "15:30"), ("14:00", "16:00"))
EVENING = (("18:00", "20:00"), ("19:00", "21:00"), ("18:30", "20:30"))

ACTIVITIES = (
    Activity("Walking Group", ("Walking",), ("walking",), MORNING),
    Activity("Gardening Club", ("Gardening",), ("gardening",), MORNING + AFTERNOON),
    Activity("Allotment Volunteers", ("Allotments", "Volunteering"), ("gardening", "volunteering"), MORNING),
    Activity("Knit and Natter", ("Knitting", "Social groups"), ("crafts",), AFTERNOON),
    Activity("Community Choir", ("Singing",), ("music",), EVENING),
    Activity("Book Club", ("Book club",), ("reading",), EVENING + AFTERNOON),
    Activity("Art Group", ("Painting and drawing",), ("art",), MORNING + AFTERNOON),
    Activity("Photography Walks", ("Photography", "Walking"), ("photography", "walking"), MORNING),
    Activity("Local History Society", ("Local history",), ("history",), EVENING),
    Activity("Cycling Club", ("Cycling",), ("cycling",), MORNING + EVENING),
    Activity("Angling Club", ("Angling",), ("fishing",), MORNING),
    Activity("Film Club", ("Cinema",), ("films",), EVENING),
    Activity("Dance Class", ("Dance",), ("dancing",), EVENING),
    Activity("Cookery Course", ("Cookery",), ("cooking",), AFTERNOON + EVENING),
    Activity("Board Games Night", ("Board games",), ("gaming",), EVENING),
    Activity("Swimming Sessions", ("Swimming",), ("swimming",), MORNING + EVENING),
    Activity("Walking Football", ("Walking football",), ("football", "walking"), MORNING + AFTERNOON),
    Activity("Five-a-side Football", ("Football",), ("football",), EVENING),
    Activity("Conservation Volunteers", ("Conservation", "Volunteering"), ("volunteering",), MORNING),
    Activity("Faith Lunch Club", ("Faith groups", "Lunch club"), ("faith",), AFTERNOON),
    Activity("Craft Café", ("Crafts", "Community café"), ("crafts",), AFTERNOON),
    Activity("Peer Support Group", ("Peer support",), (), AFTERNOON + EVENING),
    Activity("Hearing Voices Group", ("Hearing voices", "Peer support"), (), AFTERNOON),
    Activity("Coffee Morning", ("Coffee morning", "Befriending"), (), MORNING),
    Activity("Job Club", ("Job club", "Employment"), (), MORNING),
    Activity("Community Centre Drop-in", ("Community centre",), (), MORNING + AFTERNOON),
)
NEIGHBOURHOODS = (
    "Riverside", "Northfield", "Hillcrest", "Eastgate", "Westbrook", "St Anne's", "Millbank", "Oakwood",
    "Abbeyfields", "Castlegate", "Meadowside", "Southbank", "Larchmont", "Kingsmead", "Fernlea", "Brookside",
    "Ashgrove", "Holly Bank", "Old Town", "Station Quarter",
)  # fmt: skip
ORGANISATION_FORMS = (
    "{place} Community Trust",
    "Friends of {place} Park",
    "{place} Neighbourhood Association",
    "{surname} Centre",
    "{place} Wellbeing Network",
    "{surname} Street Church",
    "{place} Sports Association",
    "{place} Arts Collective",
)
ACCESS = (
    "Step-free access and an accessible toilet.",
    "Ground floor room with a hearing loop.",
    "Up one flight of stairs; no lift.",
    "Quiet room available if it gets busy.",
    "Meets outdoors: paths can be muddy.",
    "",
)
DESCRIPTIONS = (
    "A friendly group for adults. Come along on your own or bring someone; nobody minds if you just watch "
    "the first time.",
    "Relaxed and welcoming, with tea and a chat afterwards. No experience needed.",
    "Run by volunteers who remember what it was like to walk in for the first time.",
    "A small, steady group that has met for years and is glad of new faces.",
)
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _check_interests() -> None:
    unknown = {i for activity in ACTIVITIES for i in activity.interests} - set(INTERESTS)
    if unknown:  # pragma: no cover - a guard for whoever edits the lists
        raise ValueError(f"interests not in synthetic.generate.INTERESTS: {sorted(unknown)}")


def _point(rng: random.Random, centre: geo.Point, radius_miles: float) -> tuple[geo.Point, float, float]:
    """A point spread evenly over a disc around the centre; with its distance (miles) and bearing (radians)."""
    distance = radius_miles * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / geo.MILES_PER_DEGREE_LATITUDE
    dlon = (
        distance * math.sin(bearing) / (geo.MILES_PER_DEGREE_LATITUDE * geo.longitude_scale(centre.latitude))
    )
    point = geo.Point(round(centre.latitude + dlat, 5), round(centre.longitude + dlon, 5))
    return point, distance, bearing


def _postcode(rng: random.Random, distance: float, bearing: float, radius_miles: float) -> str:
    """CP1 to CP16: eight compass sectors, inner and outer ring (districts are places, not random)."""
    sector = int(bearing / (2 * math.pi) * 8) % 8
    district = sector + 1 + (8 if distance > radius_miles / 2 else 0)
    return f"CP{district} {rng.randint(1, 9)}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"


def _slug(text: str) -> str:
    return (
        "".join(ch if ch.isalnum() else "-" for ch in text.lower().replace("'", ""))
        .strip("-")
        .replace("--", "-")
    )


def _schedules(rng: random.Random, service_id: str, activity: Activity) -> list[dict]:
    roll = rng.random()
    if roll < 0.05:
        return [{"id": f"{service_id}-s1", "description": "Drop in any time the centre is open."}]
    opens_at, closes_at = rng.choice(activity.times)
    if roll < 0.15:
        return [
            {
                "id": f"{service_id}-s1",
                "freq": "MONTHLY",
                "byday": f"{rng.choice(('1', '2', '3', '-1'))}{rng.choice(DAY_CODES[:6])}",
                "opens_at": opens_at,
                "closes_at": closes_at,
            }
        ]
    days = sorted(rng.sample(range(7), 2 if rng.random() < 0.2 else 1))
    return [
        {
            "id": f"{service_id}-s1",
            "freq": "WEEKLY",
            "byday": ",".join(DAY_CODES[day] for day in days),
            "opens_at": opens_at,
            "closes_at": closes_at,
        }
    ]


def _cost_options(rng: random.Random, service_id: str) -> list[dict]:
    roll = rng.random()
    if roll < 0.55:
        return [{"id": f"{service_id}-c1", "amount": 0, "currency": "GBP"}]
    if roll < 0.8:
        amount = rng.choice((1, 1.5, 2, 2.5, 3, 4))
        return [
            {"id": f"{service_id}-c1", "amount": amount, "currency": "GBP", "amount_description": "a session"}
        ]
    if roll < 0.95:
        amount = rng.choice((5, 6, 8, 10, 12))
        return [
            {"id": f"{service_id}-c1", "amount": amount, "currency": "GBP", "amount_description": "a session"}
        ]
    return []


def hsds_services(
    *,
    count: int,
    seed: int,
    centre: geo.Point = TOWN_CENTRE,
    radius_miles: float = RADIUS_MILES,
    id_prefix: str | None = None,
    today: date | None = None,
) -> list[dict]:
    """`count` full HSDS 3.0 services (about one organisation to five services), the same for the same seed.
    Ids start with `id_prefix` (default "syn<seed>"), so two seeds never share an id."""
    _check_interests()
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    surnames = [fake.last_name() for _ in range(120)]
    first_names = [fake.first_name() for _ in range(120)]
    streets = [fake.street_name() for _ in range(200)]
    today = today or date(2026, 3, 1)
    prefix = id_prefix or f"syn{seed}"
    organisations = []
    for number in range(max(1, count // 5)):
        form = rng.choice(ORGANISATION_FORMS)
        name = form.format(place=rng.choice(NEIGHBOURHOODS), surname=rng.choice(surnames))
        organisations.append(
            {
                "id": f"{prefix}-org{number}",
                "name": name,
                "description": f"{name} runs groups and activities for people living nearby.",
                "website": f"https://{_slug(name)}.example.org",
                "email": f"hello@{_slug(name)}.example.org",
            }
        )
    services = []
    for number in range(count):
        service_id = f"{prefix}-{number}"
        activity = rng.choice(ACTIVITIES)
        place = rng.choice(NEIGHBOURHOODS)
        name = f"{place} {activity.name}"
        point, distance, bearing = _point(rng, centre, radius_miles)
        organisation = rng.choice(organisations)
        access = rng.choice(ACCESS)
        contact = rng.choice(first_names)
        services.append(
            {
                "id": service_id,
                "name": name,
                "description": rng.choice(DESCRIPTIONS),
                "url": f"{organisation['website']}/{_slug(activity.name)}",
                "status": "inactive" if rng.random() < 0.05 else "active",
                "assured_date": (today - timedelta(days=rng.randint(0, 730))).isoformat(),
                "organization": organisation,
                "service_at_locations": [
                    {
                        "id": f"{service_id}-at",
                        "location": {
                            "id": f"{service_id}-loc",
                            "location_type": "physical",
                            "name": f"{place} {rng.choice(('Community Centre', 'Library', 'Park', 'Church Hall'))}",
                            "latitude": point.latitude,
                            "longitude": point.longitude,
                            "addresses": [
                                {
                                    "id": f"{service_id}-addr",
                                    "address_1": f"{rng.randint(1, 180)} {rng.choice(streets)}",
                                    "city": "Connecting Town",
                                    "state_province": "",
                                    "postal_code": _postcode(rng, distance, bearing, radius_miles),
                                    "country": "GB",
                                    "address_type": "physical",
                                }
                            ],
                            "accessibility": [{"id": f"{service_id}-acc", "description": access}]
                            if access
                            else [],
                        },
                    }
                ],
                "schedules": _schedules(rng, service_id, activity),
                "cost_options": _cost_options(rng, service_id),
                "contacts": [
                    {
                        "id": f"{service_id}-contact",
                        "name": contact,
                        "email": f"{contact.lower()}@{_slug(organisation['name'])}.example.org",
                        "phones": [
                            {"id": f"{service_id}-phone", "number": f"01632 960{rng.randint(0, 999):03d}"}
                        ],
                    }
                ],
                "attributes": [
                    {
                        "id": f"{service_id}-t{index}",
                        "taxonomy_term": {
                            "id": f"term-{_slug(term)}",
                            "name": term,
                            "taxonomy": "example-activities",
                        },
                    }
                    for index, term in enumerate(activity.terms)
                ],
            }
        )
    return services


def service_list(services: list[dict]) -> dict:
    """Services as one HSDS page, the shape a file export or `GET /services` has."""
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "contents": services,
    }


def generate_opportunities(
    *,
    count: int,
    seed: int,
    centre: geo.Point = TOWN_CENTRE,
    source: str | None = None,
    user=None,
    log=print,
) -> ImportReport:
    """Import `count` synthetic opportunities into the directory (through the real importer: audited, all or
    nothing). Their source is `source`, default "synthetic:<seed>"; running it again changes nothing."""
    directory = hsds.read_json(
        service_list(hsds_services(count=count, seed=seed, centre=centre)), where="synthetic"
    )
    report = directory_import(
        records=directory, source=source or f"{SOURCE_PREFIX}:{seed}", actor=actor_for(user)
    )
    log(
        f"Community directory: {report.created} opportunities added, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    return report
