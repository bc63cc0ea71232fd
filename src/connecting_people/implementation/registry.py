"""The deployment's fidelity scales: ours (shipped in ``scales/``) plus any in CONNECTING_PEOPLE_FIDELITY_DIR.

Loaded once per process; a broken definition stops start-up through the system check (checks.py), naming the
file and field.
"""

from functools import lru_cache

from django.conf import settings

from connecting_people.core.errors import NotFoundError
from connecting_people.implementation.fidelity import SHIPPED_DIR, load_fidelity_scales, scales_rating
from connecting_people.measures.definitions import Catalogue, Instrument
from connecting_people.measures.errors import UnknownInstrumentError


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    directories = [SHIPPED_DIR]
    if settings.CONNECTING_PEOPLE_FIDELITY_DIR:
        directories.append(settings.CONNECTING_PEOPLE_FIDELITY_DIR)
    return load_fidelity_scales(directories)


def scale(scale_id: str, version: str | None = None) -> Instrument:
    """A scale by id (latest version unless `version` is given). Raises UnknownInstrumentError."""
    return catalogue().get(scale_id, version)


def scale_or_404(scale_id: str, level: str) -> Instrument:
    """The latest version of a scale that rates `level`, for a page; 404 for anything else."""
    try:
        found = scale(scale_id)
    except UnknownInstrumentError as error:
        raise NotFoundError("No such fidelity scale") from error
    if level not in found.rated:
        raise NotFoundError("This scale does not rate that level")
    return found


def scales_for(level: str) -> list[Instrument]:
    """Scales that rate "worker" or "team" (latest versions; ours first)."""
    return scales_rating(catalogue(), level)
