"""Deployment checks (`connecting-people check --deploy`): every static file the pages ask for will be served.

Production keeps static files in a manifest storage: `static("x")` answers the collected, content-hashed name of
the file `x`, and raises when `x` has no entry (a folder, a file never collected, or `collectstatic` not run), so
every page using it answers 500. Django's own deploy checks do not look at this. These do, in three ways:

- every `static("...")` call in a template names a file the static files finders collect (and, under the
  manifest storage, that the manifest knows);
- under the manifest storage, the manifest exists: without it no page renders;
- the base layout, which every page extends, renders, and every stylesheet, script and icon it links resolves
  to a collected file, as does every `url(...)` in those stylesheets and every import in those scripts.
"""

import os
import posixpath
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, Tags, register
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from jinja2 import nodes

from connecting_people.core.static_storage import MODULE_IMPORTS

BASE_LAYOUT = "layout.jinja"
_CSS_URL = re.compile(r"""url\(\s*["']?(?P<url>[^"')]+?)["']?\s*\)""")


@register(Tags.staticfiles, deploy=True)
def static_files_resolve(app_configs=None, **kwargs) -> list[Error]:
    manifest = isinstance(staticfiles_storage, ManifestFilesMixin)
    collected: dict[str, str] = {}
    errors: list[Error] = []
    if manifest:
        collected, _ = staticfiles_storage.load_manifest()
        if not collected:
            errors.append(
                Error(
                    f"No manifest of collected static files in {settings.STATIC_ROOT}: every page would answer "
                    "500.",
                    hint="Run `connecting-people collectstatic --noinput` (after `make assets`), then check again.",
                    id="core.E001",
                )
            )
    for template, name in static_calls():
        if name is None:
            errors.append(
                Error(
                    f"{template} calls static() with a name worked out at run time, which this check cannot "
                    "follow.",
                    hint='Call static() with the file\'s path written out, e.g. static("core/js/init.mjs").',
                    id="core.E002",
                )
            )
        elif not _found(name):
            errors.append(
                Error(
                    f"{template} asks static() for {name!r}, which is not a file the static files finders "
                    "collect: every page using it would fail.",
                    hint="Name a file, not a folder, and build the assets first (`make assets`).",
                    id="core.E003",
                )
            )
        elif collected and name not in collected:
            errors.append(
                Error(
                    f"{template} asks static() for {name!r}, which the collected files' manifest does not know.",
                    hint="The collected files are older than the code: run `connecting-people collectstatic` again.",
                    id="core.E004",
                )
            )
    if manifest and not collected:
        return errors  # nothing can render before the files are collected; E001 says so
    return errors + _layout_problems()


def static_calls() -> Iterator[tuple[str, str | None]]:
    """(template, name) for every `static(...)` call in the Jinja2 templates; name is None when not a literal."""
    environment = next(engine.env for engine in engines.all() if isinstance(engine, Jinja2))
    for template in environment.list_templates(extensions=["jinja", "html"]):
        source, _, _ = environment.loader.get_source(environment, template)
        if "static" not in source:
            continue  # parsing is slow; most templates never mention it
        for call in environment.parse(source).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "static":
                first = call.args[0] if call.args else None
                literal = isinstance(first, nodes.Const) and isinstance(first.value, str)
                yield template, first.value if literal else None


def _found(name: str) -> bool:
    """Whether collectstatic would collect a file (not a folder) of this name."""
    path = finders.find(name)
    return isinstance(path, str) and os.path.isfile(path)


def _served(name: str) -> bool:
    """Whether the web process serves this path under STATIC_URL: from STATIC_ROOT once collected (the manifest
    storage), else from the apps' static folders."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        return staticfiles_storage.exists(name)
    return _found(name)


def _read(name: str) -> str:
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        with staticfiles_storage.open(name) as file:
            return file.read().decode("utf-8")
    with open(finders.find(name), encoding="utf-8") as file:
        return file.read()


class _Links(HTMLParser):
    """The stylesheets, scripts, icons and images a page links: (kind, URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("href"):
            kind = "stylesheet" if values.get("rel") == "stylesheet" else "link"
            self.links.append((kind, values["href"]))
        elif tag == "script" and values.get("src"):
            self.links.append(("module" if values.get("type") == "module" else "script", values["src"]))
        elif tag == "img" and values.get("src"):
            self.links.append(("image", values["src"]))


def _layout_problems() -> list[Error]:
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    try:
        html = render_to_string(BASE_LAYOUT, request=request)
    except Exception as error:  # whatever breaks the layout breaks every page: report it, whatever it is
        return [
            Error(
                f"The base layout ({BASE_LAYOUT}) does not render: {error.__class__.__name__}: {error}. Every "
                "page would answer 500.",
                id="core.E005",
            )
        ]
    parser = _Links()
    parser.feed(html)
    errors = []
    for kind, url in parser.links:
        errors += _unresolved(url, f"{BASE_LAYOUT} links {url!r}")
        static_name = _static_name(url)
        if static_name is None or not _served(static_name):
            continue
        if kind == "stylesheet":
            references = (match["url"] for match in _CSS_URL.finditer(_read(static_name)))
        elif kind == "module":
            text = _read(static_name)
            references = (
                match["url"] for pattern, _ in MODULE_IMPORTS for match in re.finditer(pattern, text)
            )
        else:
            continue
        for reference in references:
            if reference.startswith(("data:", "#")):
                continue
            target = reference
            if not (urlsplit(reference).scheme or urlsplit(reference).netloc):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(urlsplit(url).path), reference))
            errors += _unresolved(target, f"{static_name} refers to {reference!r}")
    return errors


def _static_name(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith(settings.STATIC_URL):
        return None
    return parts.path.removeprefix(settings.STATIC_URL)


def _unresolved(url: str, what: str) -> list[Error]:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return [
            Error(
                f"{what}, on another host: pages must load nothing from elsewhere (ADR 0004).",
                id="core.E006",
            )
        ]
    name = _static_name(url)
    if name is None:
        return [
            Error(
                f"{what}, which is not under STATIC_URL ({settings.STATIC_URL}): nothing serves it.",
                hint="Link every file through static().",
                id="core.E007",
            )
        ]
    if not _served(name):
        return [Error(f"{what}, which is not among the static files served.", id="core.E008")]
    return []
