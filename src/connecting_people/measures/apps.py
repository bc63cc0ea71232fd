from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "connecting_people.measures"
    label = "measures"
    verbose_name = "Outcome measures"

    def ready(self) -> None:
        from connecting_people.measures import checks  # noqa: F401 - registers the system checks
