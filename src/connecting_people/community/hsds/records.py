"""Plain records of the directory, as read from or written to Open Referral (pure: no Django).

An import reads a source into a `Directory`: organisations, opportunities and what was rejected. The services
turn those records into rows; the export turns rows back into records and then into HSDS JSON.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import date, time
from typing import Any

# The most services one import takes: a region's directory (the synthetic scale L has 20,000), where a local
# authority's holds a few thousand. 20,000 full services of the Open Referral UK example's shape are about
# 100 MB of JSON (sources.MAX_SOURCE_BYTES) and need about 500 MB of memory to read, since everything is read
# before anything is saved (so that a source that fails half way saves nothing).
MAX_SERVICES = 20_000

# Our field sizes (community/models.py); a test keeps these in step with the models.
LIMITS = {
    "source_id": 200,
    "name": 200,
    "address": 300,
    "postcode": 10,
    "schedule": 300,
    "cost_details": 300,
    "contact_name": 100,
    "contact_phone": 40,
    "contact_email": 254,
    "website": 500,
    "interest": 60,
    "organisation_name": 200,
    "organisation_phone": 40,
    "organisation_email": 254,
    "organisation_website": 500,
}

CATEGORIES = (
    "social",
    "arts",
    "sport",
    "nature",
    "learning",
    "volunteering",
    "faith",
    "peer_support",
    "work",
    "community",
    "other",
)
COSTS = ("free", "low", "paid", "unknown")


@dataclass(frozen=True)
class SessionRecord:
    """A regular time an opportunity meets. weekday: 0 = Monday ... 6 = Sunday; times are local."""

    weekday: int
    starts_at: time | None = None
    ends_at: time | None = None

    def sort_key(self) -> tuple[int, time, time]:
        """Order by day, then start and finish (a missing time first)."""
        return (self.weekday, self.starts_at or time.min, self.ends_at or time.min)


def sorted_sessions(sessions) -> tuple[SessionRecord, ...]:
    """Sessions without repeats, in order of day and time."""
    return tuple(sorted(set(sessions), key=SessionRecord.sort_key))


@dataclass(frozen=True)
class OrganisationRecord:
    source_id: str
    name: str
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""

    def values(self) -> dict[str, Any]:
        """The stored fields other than the key (as the Organisation model names them)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source_id"}


@dataclass(frozen=True)
class OpportunityRecord:
    """One opportunity. `organisation_id` is the source id of its organisation in the same Directory.
    `interests` are lower case and sorted; `sessions` sorted, without repeats."""

    source_id: str
    name: str
    organisation_id: str | None = None
    description: str = ""
    category: str = "other"
    address: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    schedule: str = ""
    cost: str = "unknown"
    cost_details: str = ""
    accessibility: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    website: str = ""
    last_verified_on: date | None = None
    active: bool = True
    interests: tuple[str, ...] = ()
    sessions: tuple[SessionRecord, ...] = ()

    # Fields that are columns of Opportunity itself (not the key, the organisation, interests or sessions).
    COLUMNS = (
        "name",
        "description",
        "category",
        "address",
        "postcode",
        "latitude",
        "longitude",
        "schedule",
        "cost",
        "cost_details",
        "accessibility",
        "contact_name",
        "contact_phone",
        "contact_email",
        "website",
        "last_verified_on",
        "active",
    )

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COLUMNS}


@dataclass(frozen=True)
class Rejection:
    """Something in a source that was not imported, and why.

    where     the file (and line, for CSV) or the API request it came from: "schedules.csv:2", "GET /services/7"
    record    which record: "service 7", "location 3a19...", "schedule 4810..."
    reason    what is wrong with it, in plain words
    left_out  what was therefore not imported: "the service", "its coordinates", "this schedule" ...
    """

    where: str
    record: str
    reason: str
    left_out: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.record}: {self.reason} ({self.left_out} left out)"


@dataclass(frozen=True)
class Directory:
    """What a source holds, ready to import: organisations and opportunities keyed by their source ids."""

    organisations: tuple[OrganisationRecord, ...] = ()
    opportunities: tuple[OpportunityRecord, ...] = ()
    rejections: tuple[Rejection, ...] = field(default=())
    # Who published the source, when it says: "organisation:<identifier>" when every service it holds belongs
    # to one organisation (its organization_identifiers first, else its id); "" otherwise.
    publisher: str = ""
    # What the source held that we have no place for, each once: a service field with how many services had
    # it ("capacities: 3 services"), a CSV table with its rows ("service_capacity.csv: 2 rows").
    ignored: tuple[str, ...] = ()
    # Services rejected whole, each {"id", "name", "where", "reasons"} (the rejections say so too).
    rejected_services: tuple[dict[str, Any], ...] = ()


class NotHSDSError(ValueError):
    """The data is not Open Referral / HSDS in any shape we read: nothing can be imported from it."""


class TooManyServices(NotHSDSError):
    """More services than an import takes (MAX_SERVICES). Nothing is imported."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count:,} services, but an import takes at most {MAX_SERVICES:,}")
