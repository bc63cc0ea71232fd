from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "connecting_people.measures"
    label = "measures"
    verbose_name = "Outcome measures"

    def ready(self) -> None:
        # Registers the system checks, and the scope rules (core.scoping).
        from connecting_people.measures import checks, scopes  # noqa: F401
