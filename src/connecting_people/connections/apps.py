from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connecting_people.connections"
    label = "connections"
    verbose_name = "Connections maps"

    def ready(self) -> None:
        from connecting_people.connections import scopes  # noqa: F401 - registers the scope rules (core.scoping)
