"""Imports point one way (docs/architecture.md): shared helpers, then
territories, then workshops (atelier), then synthesis, then the site (web),
then the project's own wiring. A module importing one of a higher layer — at
the top of the file or inside a function — fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("atelier", "territories", "synthesis", "web", "api")
# The project's wiring: settings, the root URL table, Celery, the servers'
# entry points and the package that loads Celery. They may import anything.
PROJECT = ("atelier.settings", "atelier.urls", "atelier.celery", "atelier.wsgi", "atelier.asgi")
# api: the versioned public interface, beside the site (web) at the top;
# nothing imports it but the URL table.
LAYERS = ["lib", "territories", "atelier", "synthesis", "web", "api", "project"]


def layer(module: str) -> str | None:
    """The layer of a module of ours; None for anything else."""
    if module == "atelier" or any(module == p or module.startswith(p + ".") for p in PROJECT):
        return "project"
    if module == "atelier.lib" or module.startswith("atelier.lib."):
        return "lib"
    head = module.split(".")[0]
    return head if head in PACKAGES else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, function-level ones included;
    `from x import y` counts as x.y."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from atelier import markup` imports atelier.markup, not the
            # package's own wiring: each name counts, as a module or as one of
            # the module's attributes (then its own layer is the module's).
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def upward_imports(paths) -> list[str]:
    problems = []
    for path in paths:
        here = layer(module_name(path))
        for line, target in imported(path):
            there = layer(target)
            if here and there and LAYERS.index(there) > LAYERS.index(here):
                problems.append(
                    f"{path.relative_to(ROOT)}:{line} ({here}) imports {target} ({there})"
                )
    return problems


def our_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_imports_point_one_way():
    assert upward_imports(our_modules()) == []


def test_no_two_apps_import_each_other():
    edges = set()
    for path in our_modules():
        here = layer(module_name(path))
        for _, target in imported(path):
            there = layer(target)
            if here and there and here != there:
                edges.add((here, there))
    assert {(a, b) for a, b in edges if (b, a) in edges} == set()


def test_an_upward_import_is_caught(tmp_path, monkeypatch):
    fake = ROOT / "territories" / "_layering_probe.py"
    monkeypatch.setattr(
        Path, "read_text", lambda self, **kw: "def f():\n    from synthesis import models\n"
    )
    assert upward_imports([fake]) == [
        "territories/_layering_probe.py:2 (territories) imports synthesis.models (synthesis)"
    ]


def test_relative_imports_are_resolved():
    path = ROOT / "synthesis" / "views.py"
    targets = {target for _, target in imported(path)}
    assert "synthesis.permissions" in targets and "synthesis.models.Statement" in targets
