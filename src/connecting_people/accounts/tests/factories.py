import factory

from connecting_people.accounts.models import Membership, Role, Team, Trust, User


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Test trust {n}")
    ods_code = factory.Sequence(lambda n: f"T{n:04d}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", "test-password-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def member(user, role: str, *, team=None, trust=None) -> Membership:
    """Give `user` a role in a team (practitioner, team lead) or a trust (the other roles)."""
    if team is not None:
        trust = team.trust
    return Membership.objects.create(user=user, role=role, team=team, trust=trust)


def practitioner(team, **kwargs):
    user = UserFactory(**kwargs)
    member(user, Role.PRACTITIONER, team=team)
    return user


def team_lead(team, **kwargs):
    user = UserFactory(**kwargs)
    member(user, Role.TEAM_LEAD, team=team)
    return user
