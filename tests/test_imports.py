"""The layers of DESIGN.md, read from the code: imports run downward only, and no module
imports itself back through others (lazy imports inside functions count too)."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

SRC = REPO / "src"
# Lower numbers are lower layers; a module may import its own layer or any below it.
LAYERS = {
    "config": 0, "compat": 0, "samples": 0,
    "run": 1, "training": 1,
    "groups": 2,
    "steps": 3, "compare": 3,
    "pipeline": 4,
    "cli": 5,
}  # fmt: skip
TOP_LEVEL_MODULES_AT_MOST = 8


def module_name(path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every hydratune module -> the hydratune modules it imports (anywhere in its body)."""
    found = {}
    for path in sorted((SRC / "hydratune").rglob("*.py")):
        name, targets = module_name(path), set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module  # `from pkg import module` depends on the module
                named = {f"{base}.{alias.name}" for alias in node.names}
                modules = {n for n in named if _is_module(n)}
                targets |= modules or {base}
                if len(modules) < len(named):
                    targets.add(base)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        found[name] = {t for t in targets if t.startswith("hydratune.")}
    return {name: {t for t in targets if t in found} for name, targets in found.items()}


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_no_import_runs_up_a_layer():
    upward = [
        f"{importer} -> {imported}"
        for importer, targets in imports().items()
        for imported in targets
        if layer(importer) is not None
        and layer(imported) is not None
        and layer(imported) > layer(importer)
    ]
    assert not upward, upward


def test_no_import_circles():
    graph = imports()
    circles = []

    def visit(module, path):
        for target in graph[module]:
            if target in path:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in graph:
        if module not in done:
            visit(module, [module])
    assert not circles, sorted(set(circles))


def test_every_package_has_a_layer():
    packages = {module_name(p) for p in (SRC / "hydratune").iterdir() if p.suffix == ".py"}
    packages |= {f"hydratune.{p.name}" for p in (SRC / "hydratune").iterdir() if p.is_dir()}
    unknown = {
        p for p in packages
        if p != "hydratune" and p.split(".")[1] not in {*LAYERS, "conf", "__pycache__"}
    }  # fmt: skip
    assert not unknown, f"give {sorted(unknown)} a layer in LAYERS"


def test_few_loose_modules_at_the_top():
    loose = sorted(p.name for p in (SRC / "hydratune").glob("*.py"))
    assert len(loose) <= TOP_LEVEL_MODULES_AT_MOST, loose


@pytest.mark.parametrize("package", ["config", "compat"])
def test_the_bottom_layer_imports_no_heavy_library_at_import_time(package):
    heavy = {"torch", "transformers", "trl", "peft", "datasets", "wandb"}
    found = []
    for path in (SRC / "hydratune" / package).rglob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only: lazy ones are fine
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in heavy]
    assert not found, found
