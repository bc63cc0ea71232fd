from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "connecting_people.audit"
    label = "audit"
    verbose_name = "Audit"
