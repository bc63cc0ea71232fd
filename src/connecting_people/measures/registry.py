"""The deployment's instruments: the shipped definitions plus any in CONNECTING_PEOPLE_INSTRUMENTS_DIR.

Loaded once per process. A broken definition stops start-up (see checks.py) with a message naming the file and
field, rather than failing later on a page.
"""

from functools import lru_cache

from django.conf import settings

from connecting_people.measures.definitions import SHIPPED_DIR, Catalogue, Instrument, load_definitions
from connecting_people.measures.scoring import eq5d


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    directories = [SHIPPED_DIR]
    if settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR:
        directories.append(settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR)
    return load_definitions(directories)


def default_value_set() -> str:
    """The EQ-5D-5L value set this deployment reports indices under (a setting; reported with every index)."""
    return settings.CONNECTING_PEOPLE_EQ5D_VALUE_SET


def instrument(instrument_id: str, version: str | None = None) -> Instrument:
    return catalogue().get(instrument_id, version)


def scoring_options(instrument: Instrument) -> dict:
    """Deployment-wide options for scoring this instrument (the EQ-5D-5L value set)."""
    if instrument.scoring.type == "eq5d":
        return {"value_set": default_value_set()}
    return {}


def value_set_ids(instrument: Instrument) -> tuple[str, ...]:
    return tuple(eq5d.value_set_ids(instrument))
