"""The shape of the code, checked: the apps import one another in one direction only; pure modules import no
Django; personal data is read through the owning app's selectors, starting from a scope rule; every URL has a
place in the permission matrix; the roles the tests use are listed once. docs/architecture.md draws the picture;
ADR 0015 says why.

Allow-lists below name what is known and not yet put right. They only shrink: an entry that is no longer needed
fails the test that owns it, so it is taken out as soon as its module is fixed."""

import ast
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from connecting_people.core.personal_data import PERSONAL_DATA_MODELS
from connecting_people.core.scoping import registered_labels
from connecting_people.core.tests import import_graph
from connecting_people.core.tests.import_graph import PACKAGE_DIR, module_name, source_files

# --- (a) one direction of imports between apps -------------------------------------------------------------


def test_no_app_imports_an_app_above_it_or_an_interface():
    """Every import (at module level or inside a function, tests aside) goes down the order in
    import_graph.LAYERS; only the interfaces (web, api, cli, config, synthetic) may import any app."""
    wrong = import_graph.upward_imports(import_graph.app_imports())
    assert [f"{each.source}:{each.line} {each.importer} -> {each.imported}" for each in wrong] == []


def test_the_apps_form_no_import_cycle():
    graph = import_graph.edges(import_graph.app_imports())
    assert import_graph.mutual_pairs(graph) == []
    assert import_graph.strongly_connected(graph) == []


def test_every_app_and_package_has_its_place_in_the_order():
    units = {path.relative_to(PACKAGE_DIR).parts[0] for path in source_files()}
    units = {unit.removesuffix(".py") for unit in units} - {"__init__"}
    assert units == import_graph.APPS | import_graph.TOP


def test_the_order_is_the_documented_one():
    assert [sorted(layer) for layer in import_graph.LAYERS] == [
        ["core"],
        ["audit"],
        ["accounts"],
        ["people"],
        ["community", "connections", "measures"],
        ["plans"],
        ["implementation"],
        ["study"],
        ["privacy"],
    ]


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    package = tmp_path / "connecting_people"
    (package / "people").mkdir(parents=True)
    (package / "people" / "__init__.py").write_text("")
    (package / "people" / "views.py").write_text(
        "def page():\n    from connecting_people.plans.selectors import prompts\n    return prompts\n"
    )
    (package / "audit").mkdir()
    (package / "audit" / "__init__.py").write_text("from ..people import views\n")
    original = import_graph.PACKAGE_DIR
    import_graph.PACKAGE_DIR = package
    try:
        found = import_graph.app_imports(sorted(package.rglob("*.py")))
    finally:
        import_graph.PACKAGE_DIR = original
    assert {(each.importer, each.imported) for each in found} == {("people", "plans"), ("audit", "people")}
    assert [each.importer for each in import_graph.upward_imports(found)] == ["audit", "people"]


def test_a_cycle_is_found():
    graph = {"core": {"people"}, "people": {"plans"}, "plans": {"core"}, "audit": {"core"}}
    assert import_graph.strongly_connected(graph) == [["core", "people", "plans"]]
    assert import_graph.elementary_cycles(graph) == [["core", "people", "plans"]]


# --- (b) pure modules import no Django ----------------------------------------------------------------------

# Plain functions over plain data (DESIGN.md, "Layers inside an app"): scoring, network measures, map rendering,
# interchange formats, analysis, export, report, what is due. A path names a module (without .py) or a package;
# in a package every module is pure except `db.py`, its one Django adapter (study's convention).
PURE = [
    "api/fhir/importing",
    "api/fhir/mapping",
    "audit/chain",
    "community/geo",
    "community/hsds",
    "connections/domain",
    "connections/interchange",
    "connections/lexicon",
    "connections/metrics",
    "connections/render",
    "implementation/fidelity",
    "implementation/indicators",
    "implementation/periods",
    "measures/answers",
    "measures/definitions",
    "measures/render",
    "measures/scoring",
    "people/due",
    "plans/due",
    "privacy/retention",
    "study/analysis",
    "study/completeness",
    "study/export",
    "study/report",
    "study/simulation",
]
# Study's capability sub-packages are pure whatever their names (the convention in study/__init__.py).
NOT_CAPABILITIES = {"views", "forms", "commands", "management", "migrations", "tests", "jinja2", "templates"}
DJANGO_WORLD = {
    "django",
    "rules",
    "django_otp",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "whitenoise",
}


def pure_modules() -> list[str]:
    paths: list[Path] = []
    study_packages = [
        path.relative_to(PACKAGE_DIR).as_posix()
        for path in (PACKAGE_DIR / "study").iterdir()
        if (path / "__init__.py").exists() and path.name not in NOT_CAPABILITIES
    ]
    for entry in sorted(set(PURE) | set(study_packages)):
        module, package = PACKAGE_DIR / f"{entry}.py", PACKAGE_DIR / entry
        assert module.exists() or package.is_dir(), f"{entry} is listed as pure but is not there"
        paths += [module] if module.exists() else sorted(package.rglob("*.py"))
    return [
        module_name(path)
        for path in paths
        if path.name != "db.py" and "tests" not in path.relative_to(PACKAGE_DIR).parts
    ]


def _own_module(target: str, known: set[str]) -> str | None:
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def django_reached_from(start: str) -> list[str]:
    """The chain of our imports from `start` to a module that imports Django (empty when there is none)."""
    files = {module_name(path): path for path in source_files()}
    seen: set[str] = set()

    def visit(name: str, chain: list[str]) -> list[str]:
        if name in seen:
            return []
        seen.add(name)
        path = files[name]
        tree = ast.parse(path.read_text())
        for _, target in import_graph.imported_modules(tree, name, path.name == "__init__.py"):
            if target.split(".")[0] in DJANGO_WORLD:
                return [*chain, name, target]
            own = _own_module(target, set(files))
            if own and own != name:
                found = visit(own, [*chain, name])
                if found:
                    return found
        return []

    return visit(start, [])


def test_there_are_pure_modules_in_every_kind():
    names = pure_modules()
    for kind in ("measures.scoring.", "connections.metrics", "connections.render", "study.analysis."):
        assert any(kind in name for name in names), kind


@pytest.mark.parametrize("name", pure_modules())
def test_a_pure_module_imports_no_django(name):
    assert django_reached_from(name) == []


# --- (c) personal data is read by its own app's selectors ---------------------------------------------------

MANAGERS = {"objects", "_default_manager", "_base_manager"}
# Inside the app that owns a model, the modules that may use its manager: the reads (selectors, and study's
# `db.py` adapters that feed its pure packages), the writes (services), the scope rules, the models, the commands
# and the migrations.
OWNER_MODULES = {"selectors", "services", "scopes", "models", "db", "jobs"}
OWNER_PACKAGES = {"management", "migrations", "commands"}
# A model whose scope rule lives in another app (the rule needs what only that app knows): the audit trail about
# a person follows reach to the person (people/scopes.py).
RULE_HOMES = {"audit.AuditEvent": "people"}

# The synthetic data generator (demo and benchmark scales) writes rows in bulk as nobody in particular and reads
# nothing for anyone: it is set-up, not a way in to personal data.
EXEMPT = ("connecting_people.synthetic",)

# Modules allowed to read another app's personal data directly, module -> models. Emptied by issue 14; an entry
# added here needs a reason in a comment and an issue to take it off again.
KNOWN_OFFENDERS: dict[str, set[str]] = {}


def _model_named(module, name: str):
    candidate = getattr(module, name, None)
    if not (isinstance(candidate, type) and issubclass(candidate, models.Model)):
        candidate = next((m for m in apps.get_models() if m.__name__ == name), None)
    return candidate


def personal_manager_uses(name: str, source: str | None = None) -> list[tuple[int, str]]:
    """(line, model label) for every `<Model>.objects` (or `_default_manager`, `_base_manager`) of a
    personal-data model in the module."""
    module = importlib.import_module(name)
    tree = ast.parse(source if source is not None else Path(module.__file__).read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            target = node.value
            model_name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            model = _model_named(module, model_name) if model_name else None
            if model is not None and model._meta.label in PERSONAL_DATA_MODELS:
                found.append((node.lineno, model._meta.label))
    return found


def may_use_manager(name: str, label: str) -> bool:
    parts = name.split(".")
    owner = RULE_HOMES.get(label) if parts[-1] == "scopes" else None
    app = label.split(".")[0]
    if parts[1] not in {app, owner}:
        return False
    return parts[-1] in OWNER_MODULES or bool(OWNER_PACKAGES & set(parts[2:-1]))


def non_test_modules() -> list[str]:
    """Every module but the settings (the production settings refuse to load without their secrets)."""
    return [
        name
        for name in map(module_name, source_files())
        if not name.startswith("connecting_people.config.settings")
    ]


def offences() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name in non_test_modules():
        if name.endswith(".migrations") or ".migrations." in name or name.startswith(EXEMPT):
            continue
        for _line, label in personal_manager_uses(name):
            if not may_use_manager(name, label):
                found.setdefault(name, set()).add(label)
    return found


def test_personal_data_is_read_only_through_its_own_apps_selectors():
    """No module outside a model's own app (and, inside it, nothing but selectors, services, scope rules,
    models, commands and migrations) uses the manager of a personal-data model: others call its selectors."""
    found = offences()
    new = {name: labels - KNOWN_OFFENDERS.get(name, set()) for name, labels in found.items()}
    assert {name: sorted(labels) for name, labels in new.items() if labels} == {}


def test_the_known_offenders_only_shrink():
    """An allow-listed module that no longer reads a model directly comes off the list."""
    found = offences()
    stale = {
        name: sorted(labels - found.get(name, set()))
        for name, labels in KNOWN_OFFENDERS.items()
        if labels - found.get(name, set())
    }
    assert stale == {}, "take these off KNOWN_OFFENDERS: they are fixed"


def test_the_check_catches_a_direct_query_anywhere():
    offending = (
        "from connecting_people.people.models import Person\n\ndef rows():\n    return Person.objects.all()\n"
    )
    assert personal_manager_uses("connecting_people.web.due", offending) == [(4, "people.Person")]
    assert not may_use_manager("connecting_people.web.due", "people.Person")
    assert not may_use_manager("connecting_people.people.views", "people.Person")
    assert not may_use_manager("connecting_people.plans.selectors", "people.Person")
    assert may_use_manager("connecting_people.people.selectors", "people.Person")
    assert may_use_manager("connecting_people.people.scopes", "audit.AuditEvent")
    assert may_use_manager("connecting_people.privacy.management.commands.privacy", "privacy.Restriction")


# --- (d) every personal-data model has a scope rule ----------------------------------------------------------

# Apps that have not registered their models' rules yet (issue 14: the practice and study branches add them).
# Only shrinks.
WITHOUT_RULES_YET: set[str] = set()


def _app(label: str) -> str:
    return label.split(".")[0]


def test_every_personal_data_model_has_a_scope_rule():
    missing = PERSONAL_DATA_MODELS - registered_labels()
    assert sorted(label for label in missing if _app(label) not in WITHOUT_RULES_YET) == []


def test_the_apps_without_rules_only_shrink():
    """An app comes off the list once every one of its personal-data models has a rule."""
    missing_apps = {_app(label) for label in PERSONAL_DATA_MODELS - registered_labels()}
    assert sorted(WITHOUT_RULES_YET - missing_apps) == [], "take these off WITHOUT_RULES_YET"


def test_every_rule_is_for_a_personal_data_model():
    assert sorted(registered_labels() - PERSONAL_DATA_MODELS) == []


# --- (e) every URL pattern is in the permission matrix -------------------------------------------------------


def test_every_url_pattern_is_in_the_permission_matrix():
    """The matrix (core/tests/matrix) is generated from the resolver; every pattern of every namespace, ours and
    the admin's, has its expected access there, so a new URL cannot escape it."""
    from django.urls import get_resolver

    from connecting_people.core.tests.matrix import url_matrix

    patterns = url_matrix.url_patterns()
    assert [pattern.key for pattern in patterns if url_matrix.access_for(pattern) is None] == []
    # Names of patterns shadowed by an earlier one with the same path count too: that path is in the matrix.
    tried = {pattern.regex for pattern in patterns}
    walked = list(url_matrix._walk(get_resolver(), "", ""))
    assert {pattern.regex for pattern in walked} == tried
    named = {pattern.key for pattern in walked if pattern.name}
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        names = {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
        assert names <= named, namespace


# --- (f) the roles the tests sign in as are listed once ------------------------------------------------------


def test_the_roles_are_listed_once():
    """A list of the organisation's roles written out again in a test module (rather than taken from
    core/tests/roles.py) is a copy that drifts."""
    from connecting_people.core.tests.roles import ORG_ROLES

    copies = []
    for path in sorted(PACKAGE_DIR.rglob("test_*.py")) + sorted(PACKAGE_DIR.rglob("conftest.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                words = {elt.value for elt in node.elts if isinstance(elt, ast.Constant)}
                # A page's list of who may see it names a few roles; a copy names (nearly) all of them.
                if len(words & set(ORG_ROLES)) >= len(ORG_ROLES) - 1:
                    copies.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}")
    assert copies == []


# --- errors carry a code ---------------------------------------------------------------------------------------

# Apps whose services still raise ServiceError without a code (issue 14: the practice and study branches code
# theirs). Only shrinks.
UNCODED_ERRORS_YET: set[str] = set()


def uncoded_errors() -> dict[str, list[str]]:
    """`ServiceError(...)` raised without `code=`, by app (its subclasses carry their own code)."""
    found: dict[str, list[str]] = {}
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "ServiceError"
                and not any(keyword.arg == "code" for keyword in node.keywords)
            ):
                app = path.relative_to(PACKAGE_DIR).parts[0]
                found.setdefault(app, []).append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}")
    return found


def test_every_service_error_has_a_code():
    """An API answers a refusal with problem JSON from its code, and a translation finds its words by code."""
    found = uncoded_errors()
    assert {app: places for app, places in found.items() if app not in UNCODED_ERRORS_YET} == {}


def test_the_apps_without_codes_only_shrink():
    assert sorted(UNCODED_ERRORS_YET - set(uncoded_errors())) == [], "take these off UNCODED_ERRORS_YET"
