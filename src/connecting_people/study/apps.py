from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "connecting_people.study"
    label = "study"
    verbose_name = "Evaluation study"

    def ready(self) -> None:
        from connecting_people.study import scopes  # noqa: F401 - registers the study's scope rules
