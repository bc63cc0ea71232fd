from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connecting_people.connections"
    label = "connections"
    verbose_name = "Connections maps"
