"""Views never touch `.objects` of a personal-data model: reads go through scoped selectors."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

import connecting_people
from connecting_people.core.personal_data import PERSONAL_DATA_APPS, PERSONAL_DATA_MODELS

PACKAGE_DIR = Path(connecting_people.__file__).parent


def view_modules() -> list[str]:
    names = []
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="connecting_people."):
        last = module.name.rsplit(".", 1)[-1]
        if (last == "views" or ".views." in module.name) and ".tests" not in module.name:
            names.append(module.name)
    return names


def personal_manager_uses(module_name: str, source: str | None = None) -> list[str]:
    """Lines where `<Name>.objects` (or `_default_manager`/`_base_manager`) is used on a personal-data model."""
    module = importlib.import_module(module_name)
    tree = ast.parse(source if source is not None else Path(module.__file__).read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager", "_base_manager"}:
            target = node.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            candidate = getattr(module, name, None) if name else None
            if candidate is None and name:
                candidate = next((m for m in apps.get_models() if m.__name__ == name), None)
            if isinstance(candidate, type) and issubclass(candidate, models.Model):
                if candidate._meta.label in PERSONAL_DATA_MODELS:
                    found.append(f"{module_name}:{node.lineno} {name}.{node.attr}")
    return found


def test_there_are_view_modules_to_check():
    assert "connecting_people.people.views" in view_modules()


@pytest.mark.parametrize("module_name", view_modules())
def test_views_do_not_touch_personal_models_directly(module_name):
    assert personal_manager_uses(module_name) == []


def test_the_check_catches_a_direct_query():
    offending = "from connecting_people.people.models import Person\n\ndef view(request):\n    return Person.objects.all()\n"
    assert personal_manager_uses("connecting_people.people.views", offending) == [
        "connecting_people.people.views:4 Person.objects"
    ]


def test_every_model_in_personal_apps_is_listed():
    unlisted = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PERSONAL_DATA_APPS
        and model._meta.label not in PERSONAL_DATA_MODELS
        and not model._meta.auto_created
    ]
    assert unlisted == []
