"""Open Referral UK / HSDS 3.0: reading JSON documents and CSV packages into directory records, and writing the
directory back out as HSDS JSON. Pure Python (no Django): the community services do the saving."""

from .export import service_list
from .reader import Found, directory_from, is_partial, kind_of, page_of_services, read_json, services_in
from .records import (
    CATEGORIES,
    COSTS,
    LIMITS,
    MAX_SERVICES,
    Directory,
    NotHSDSError,
    OpportunityRecord,
    OrganisationRecord,
    Rejection,
    SessionRecord,
    TooManyServices,
    sorted_sessions,
)
from .tables import read_tables

__all__ = [
    "CATEGORIES",
    "COSTS",
    "LIMITS",
    "MAX_SERVICES",
    "Directory",
    "Found",
    "NotHSDSError",
    "OpportunityRecord",
    "OrganisationRecord",
    "Rejection",
    "SessionRecord",
    "TooManyServices",
    "directory_from",
    "is_partial",
    "kind_of",
    "page_of_services",
    "read_json",
    "read_tables",
    "service_list",
    "services_in",
    "sorted_sessions",
]
