from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "connecting_people.people"
    label = "people"
    verbose_name = "People supported"

    def ready(self) -> None:
        from connecting_people.people import scopes  # noqa: F401 - registers the scope rules
