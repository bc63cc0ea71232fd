"""`check --deploy` fails when a page would ask for a static file production cannot serve.

The fault it was written for: the layout passed a folder to static(), the manifest storage production uses
raised on it, and every page answered 500 while `check --deploy` passed.
"""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import override_settings

from connecting_people.core.checks import static_files_resolve
from connecting_people.core.tests.deployment import require_built_assets

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "connecting_people.core.static_storage.ManifestStaticStorage"},
}

# The layout as it was when every production page answered 500.
FOLDER_LAYOUT = """{% extends "nhsuk/template.jinja" %}
{% set assetPath = static("nhsuk/assets") %}
{% block head %}<link rel="stylesheet" href="{{ static('nhsuk/css/app.css') }}">{% endblock %}
"""


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """The built assets collected once with production's manifest storage."""
    require_built_assets()
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_storage(settings, collected):
    settings.STATIC_ROOT = collected
    settings.STORAGES = MANIFEST_STORAGES


@pytest.fixture
def layout(settings, tmp_path):
    """Put a layout of the test's own in front of ours."""

    def use(text: str, **static_files: str) -> None:
        templates = tmp_path / "templates"
        templates.mkdir(exist_ok=True)
        (templates / "layout.jinja").write_text(text)
        jinja, *others = django_settings.TEMPLATES
        settings.TEMPLATES = [{**jinja, "DIRS": [templates]}, *others]
        if static_files:
            static = tmp_path / "static"
            for name, content in static_files.items():
                (static / name).parent.mkdir(parents=True, exist_ok=True)
                (static / name).write_text(content)
            settings.STATICFILES_DIRS = [static]

    return use


def ids(errors) -> list[str]:
    return sorted(error.id for error in errors)


def test_passes_once_the_built_assets_are_collected(production_storage):
    assert static_files_resolve() == []


def test_fails_before_collectstatic_because_no_page_could_render(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "never-collected"
    settings.STORAGES = MANIFEST_STORAGES
    errors = static_files_resolve()
    assert ids(errors) == ["core.E001"]
    assert "collectstatic" in errors[0].hint


def test_fails_on_a_folder_passed_to_static_as_the_layout_once_did(production_storage, layout):
    layout(FOLDER_LAYOUT)
    errors = static_files_resolve()
    assert ids(errors) == ["core.E003", "core.E005"]
    assert "Missing staticfiles manifest entry for 'nhsuk/assets'" in errors[1].msg
    assert "every page" in errors[0].msg


def test_fails_on_icons_linked_outside_the_static_files(production_storage, layout):
    """The design system template's own icon links, without an asset path, point at /assets/..., which
    nothing serves."""
    layout('{% extends "nhsuk/template.jinja" %}')
    errors = static_files_resolve()
    assert ids(errors) == ["core.E007"] * 5
    assert "/assets/images/favicon.ico" in errors[0].msg


def test_fails_on_a_file_from_another_host(production_storage, layout):
    layout(
        '{% extends "nhsuk/template.jinja" %}{% block headIcons %}{% endblock %}'
        '{% block head %}<script src="https://cdn.example.org/nhsuk.js"></script>{% endblock %}'
    )
    assert ids(static_files_resolve()) == ["core.E006"]


def test_fails_on_a_stylesheet_that_refers_to_a_missing_image(layout):
    """Checked from the apps' static folders too, before anything is collected."""
    layout(
        '{% extends "nhsuk/template.jinja" %}{% block headIcons %}{% endblock %}'
        '{% block head %}<link rel="stylesheet" href="{{ static(\'extra/site.css\') }}">{% endblock %}',
        **{
            "extra/site.css": 'a { background: url("../images/missing.svg"); } b { background: url(data:,x); }'
        },
    )
    errors = static_files_resolve()
    assert ids(errors) == ["core.E008"]
    assert "extra/site.css refers to '../images/missing.svg'" in errors[0].msg


def test_fails_on_a_static_name_worked_out_at_run_time(production_storage, layout):
    layout('{% extends "nhsuk/template.jinja" %}{% block headIcons %}{{ static(icon_name) }}{% endblock %}')
    assert "core.E002" in ids(static_files_resolve())
