"""System checks: the instrument definitions load, and the configured EQ-5D-5L value set exists."""

from django.core.checks import Error, register

from connecting_people.measures.errors import DefinitionError


@register()
def instruments_load(app_configs=None, **kwargs):
    from connecting_people.measures import registry

    registry.catalogue.cache_clear()
    try:
        catalogue = registry.catalogue()
    except DefinitionError as error:
        return [Error(f"Instrument definition refused: {error}", id="measures.E001")]
    value_set = registry.default_value_set()
    if "eq5d5l" in catalogue:
        known = registry.value_set_ids(catalogue.get("eq5d5l"))
        if value_set not in known:
            return [
                Error(
                    f"CONNECTING_PEOPLE_EQ5D_VALUE_SET is {value_set!r}; choose one of {', '.join(known)}.",
                    id="measures.E002",
                )
            ]
    return []
