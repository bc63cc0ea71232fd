from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "connecting_people.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from connecting_people.audit import checks  # noqa: F401 - registers the deployment check
