"""The Jinja2 environment: our templates first, then the NHS.UK frontend macros."""

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from connecting_people.community import presenters as community_presenters
from connecting_people.core import presenters
from connecting_people.core.components import error_summary, field
from connecting_people.implementation.presenters import guidance_link
from connecting_people.measures import presenters as measure_presenters
from connecting_people.plans import presenters as plan_presenters


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options) -> Environment:
    options["loader"] = ChoiceLoader([options["loader"], PackageLoader("nhsuk_frontend_jinja")])
    # The NHS.UK macros read chained attributes of optional parameters.
    options["undefined"] = ChainableUndefined
    env = Environment(**options)
    env.globals.update(
        {
            "static": static,
            "url": url,
            "get_messages": messages.get_messages,
            "settings_service_name": "Connecting People",
            "debug": settings.DEBUG,
            "field": field,
            "error_summary": error_summary,
            "guidance_link": guidance_link,
            "suggestion_facts": community_presenters.suggestion_facts,
            "link_moves": plan_presenters.link_moves,
        }
    )
    env.filters.update(
        {
            "date_long": presenters.date_long,
            "date_short": presenters.date_short,
            "datetime_short": presenters.datetime_short,
            "nhs_number": presenters.nhs_number,
            "age": presenters.age,
            "score_change": measure_presenters.format_change,
            "headline_label": measure_presenters.headline_label,
            "barrier_name": plan_presenters.barrier_name,
            "prompt_url": plan_presenters.prompt_url,
        }
    )
    return env
