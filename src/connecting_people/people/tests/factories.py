from datetime import date

import factory

from connecting_people.accounts.tests.factories import TeamFactory
from connecting_people.people.models import Person
from connecting_people.synthetic.nhs_numbers import check_digit


def nhs_number_for(n: int) -> str:
    """A valid 999-range NHS number, distinct for each n."""
    while True:
        body = f"999{n % 1_000_000:06d}"
        check = check_digit(body)
        if check is not None:
            return f"{body}{check}"
        n += 1_000_003


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    team = factory.SubFactory(TeamFactory)
    trust = factory.SelfAttribute("team.trust")
    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = date(1980, 5, 17)
    nhs_number = factory.Sequence(lambda n: nhs_number_for(n * 7 + 11))
    opened_on = date(2025, 1, 10)
