from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    name = "connecting_people.implementation"
    label = "implementation"
    verbose_name = "Implementation and fidelity"

    def ready(self) -> None:
        from connecting_people.implementation import (
            checks,  # noqa: F401 - registers the system checks
            scopes,  # noqa: F401 - registers the scope rules
        )
