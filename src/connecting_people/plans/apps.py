from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "connecting_people.plans"
    label = "plans"
    verbose_name = "Plan, do and review"
