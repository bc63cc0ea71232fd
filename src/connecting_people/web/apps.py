from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web pages that put several apps together (home, caseloads, a person's page), the context every page
    gets, and the demo command. It sits above every domain app: it may import any of them, and none imports it
    (docs/architecture.md)."""

    name = "connecting_people.web"
    label = "web"
    verbose_name = "Web pages over the apps"
