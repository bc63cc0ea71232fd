"""The import graph between the apps, read from the source (no imports run): every `import` and `from … import`
in every non-test module, at module level or inside a function, counts. Used by test_architecture.py and runnable
on its own for the numbers: `python -m connecting_people.core.tests.import_graph`."""

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "connecting_people"
PACKAGE_DIR = Path(__file__).resolve().parents[2]

# The Django apps, lowest first: an app may import only apps listed before it (privacy sits above people and the
# practice apps; connections, measures and community sit side by side and do not import each other).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"audit"}),
    frozenset({"accounts"}),
    frozenset({"people"}),
    frozenset({"connections", "measures", "community"}),
    frozenset({"plans"}),
    frozenset({"implementation"}),
    frozenset({"study"}),
    frozenset({"privacy"}),
)
APPS = frozenset().union(*LAYERS)
# Interfaces and set-up over all the apps: they may import any app; no app imports them.
TOP = frozenset({"web", "api", "cli", "config", "synthetic"})


@dataclass(frozen=True)
class Import:
    source: str  # the importing module's file, relative to the package
    line: int
    importer: str  # the importing app (or top-level package)
    imported: str  # the imported app (or top-level package)


def unit_of(module: str) -> str | None:
    """`connecting_people.people.views` -> "people"."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != PACKAGE:
        return None
    return parts[1]


def is_test_module(path: Path) -> bool:
    relative = path.relative_to(PACKAGE_DIR).parts
    return "tests" in relative or relative[-1].startswith("test_") or relative[-1] == "conftest.py"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imported_modules(tree: ast.AST, this_module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in the tree, relative imports resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this_module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or (node.level == 0 and target == PACKAGE):
                # `from connecting_people import people` or `from . import x`: each name may be a module.
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def source_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE_DIR.rglob("*.py")
        if not is_test_module(path) and "migrations" not in path.relative_to(PACKAGE_DIR).parts
    )


def app_imports(files: list[Path] | None = None) -> list[Import]:
    """Every import from one app (or top-level package) into another."""
    found = []
    for path in files if files is not None else source_files():
        this = module_name(path)
        importer = unit_of(this) or "?"
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, target in imported_modules(tree, this, path.name == "__init__.py"):
            imported = unit_of(target)
            if imported and imported != importer:
                found.append(Import(str(path.relative_to(PACKAGE_DIR)), line, importer, imported))
    return found


def edges(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for each in imports:
        graph[each.importer].add(each.imported)
    return graph


def mutual_pairs(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of apps that reach each other (Tarjan); a group of more than one is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    nodes = sorted(set(graph) | {b for targets in graph.values() for b in targets})

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            groups.append(sorted(group))

    for node in nodes:
        if node not in index:
            visit(node)
    return [group for group in groups if len(group) > 1]


def elementary_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every simple cycle, each once (started from its smallest app)."""
    cycles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target == start:
                cycles.append([*path])
            elif target > start and target not in path:
                walk(start, target, [*path, target])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


def layer_of(unit: str) -> int | None:
    return next((level for level, layer in enumerate(LAYERS) if unit in layer), None)


def upward_imports(imports: list[Import]) -> list[Import]:
    """Imports against the order: an app importing an app above it or beside it, or any interface."""
    wrong = []
    for each in imports:
        if each.importer in TOP:
            continue
        below, above = layer_of(each.importer), layer_of(each.imported)
        if each.imported in TOP or below is None or above is None or above >= below:
            wrong.append(each)
    return wrong


def main() -> None:
    imports = app_imports()
    graph = edges(imports)
    apps_only = {a: {b for b in targets if b in APPS} for a, targets in graph.items() if a in APPS}
    pairs = mutual_pairs(apps_only)
    print(f"app-to-app edges: {sum(len(t) for t in apps_only.values())}")
    print(f"mutual pairs: {len(pairs)}: " + ", ".join(f"{a}<->{b}" for a, b in pairs))
    groups = strongly_connected(apps_only)
    print(f"groups of apps in a cycle: {len(groups)}: " + "; ".join(" ".join(g) for g in groups))
    print(f"elementary cycles: {len(elementary_cycles(apps_only))}")
    wrong = upward_imports(imports)
    print(f"imports against the order: {len(wrong)}")
    if "-v" in sys.argv:
        for each in wrong:
            print(f"  {each.source}:{each.line} {each.importer} -> {each.imported}")


if __name__ == "__main__":
    main()
