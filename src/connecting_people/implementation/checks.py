"""System checks: the fidelity scales load, and no fidelity scale sits among the outcome measures."""

from django.core.checks import Error, register

from connecting_people.measures.errors import DefinitionError


@register()
def fidelity_scales_load(app_configs=None, **kwargs):
    from connecting_people.implementation import registry
    from connecting_people.measures import registry as measures_registry

    errors = []
    registry.catalogue.cache_clear()
    try:
        registry.catalogue()
    except DefinitionError as error:
        errors.append(Error(f"Fidelity scale definition refused: {error}", id="implementation.E001"))
    try:
        outcome_measures = list(measures_registry.catalogue())
    except DefinitionError:
        outcome_measures = []  # the measures check reports it
    for instrument in outcome_measures:
        if instrument.rated:
            errors.append(
                Error(
                    f"{instrument.source.name} defines a fidelity scale ({instrument.id}) among the outcome "
                    "measures.",
                    hint="Move it to the directory named by CONNECTING_PEOPLE_FIDELITY_DIR.",
                    id="implementation.E002",
                )
            )
    return errors
