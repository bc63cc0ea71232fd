from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "connecting_people.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from connecting_people.core import checks  # noqa: F401 - registers the deployment checks
