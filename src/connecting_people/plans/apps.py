from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "connecting_people.plans"
    label = "plans"
    verbose_name = "Plan, do and review"

    def ready(self) -> None:
        from connecting_people.plans import scopes  # noqa: F401 - registers the scope rules (core.scoping)
