"""Directory rows for tests: organisations, opportunities (with interests and sessions) kept by hand."""

from datetime import time

import factory

from connecting_people.community.models import Interest, Opportunity, Organisation, Session


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class OpportunityFactory(factory.django.DjangoModelFactory):
    """`interests=["walking"]` and `sessions=[(1, "10:00", "12:00")]` (weekday, start, finish) add rows."""

    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Opportunity {n}")
    category = Opportunity.Category.SOCIAL

    @factory.post_generation
    def interests(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            Interest.objects.bulk_create(Interest(opportunity=obj, name=name) for name in extracted)

    @factory.post_generation
    def sessions(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            Session.objects.bulk_create(
                Session(
                    opportunity=obj,
                    weekday=weekday,
                    starts_at=time.fromisoformat(starts) if starts else None,
                    ends_at=time.fromisoformat(ends) if ends else None,
                )
                for weekday, starts, ends in extracted
            )
