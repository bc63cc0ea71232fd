"""Fidelity scales as data: definition files in the measures format, with one more field, ``rated``.

A fidelity scale is loaded with the measures definition parser and scored with the measures scoring engine; this
module only adds what is particular to fidelity. Every scale must say who it rates (``rated: [worker]``,
``[team]`` or both): a file without it is an outcome measure and is refused here, as a fidelity scale in the
outcome-measures directories is refused by the system check (checks.py), so that neither appears in the other's
pages.

Pure: no Django. ``registry.py`` adds the deployment's directory from settings.
"""

from collections.abc import Iterable
from pathlib import Path

from connecting_people.measures.definitions import Catalogue, Instrument, load_definitions
from connecting_people.measures.errors import DefinitionError

SHIPPED_DIR = Path(__file__).resolve().parent / "scales"
OUR_SCALE_ID = "cp_practice_fidelity"
WORKER, TEAM = "worker", "team"


def load_fidelity_scales(paths_or_dirs: Iterable[str | Path]) -> Catalogue:
    """Load fidelity scale definitions from files or directories (the measures merge rule applies: each
    (id, version) once, wording files after). Raises DefinitionError for a broken file or one without `rated`."""
    catalogue = load_definitions(paths_or_dirs)
    for scale in catalogue:
        if not scale.rated:
            raise DefinitionError(
                scale.source,
                "rated",
                "a fidelity scale must say who it rates: rated: [worker], [team] or both",
            )
    return catalogue


def load_shipped_scales() -> Catalogue:
    return load_fidelity_scales([SHIPPED_DIR])


def scales_rating(catalogue: Catalogue, level: str) -> list[Instrument]:
    """The latest version of every scale that rates `level` ("worker" or "team"), ours first, then by title."""
    latest = [catalogue.get(scale_id) for scale_id in catalogue.ids()]
    chosen = [scale for scale in latest if level in scale.rated]
    return sorted(chosen, key=lambda scale: (scale.id != OUR_SCALE_ID, scale.title.casefold()))


def domains_of(scale: Instrument) -> list[tuple[str | None, str, list]]:
    """Items grouped by domain (subscale) in the definition's order: (domain id, domain label, items).
    Items in no domain come last, under the id None."""
    grouped = []
    placed: set[str] = set()
    for subscale in scale.subscales:
        items = [scale.item(item_id) for item_id in subscale.items if item_id not in placed]
        placed.update(item.id for item in items)
        if items:
            grouped.append((subscale.id, subscale.label, items))
    rest = [item for item in scale.items if item.id not in placed]
    if rest:
        grouped.append((None, "other items", rest))
    return grouped
