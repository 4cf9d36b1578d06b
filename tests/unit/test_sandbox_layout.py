"""The sandbox package's layout: no import circle between its modules, each importable on its own, and the
client side (what `sagelab sandbox status` and `sagelab up` load) free of moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "sagelab.sandbox"
SOURCE = Path(__file__).resolve().parents[2] / "src" / "sagelab" / "sandbox"


def modules() -> list[str]:
    return sorted(path.stem for path in SOURCE.glob("*.py"))


def imports_of(module: str) -> set[str]:
    """The package's modules that module imports, anywhere in it (also inside functions)."""
    tree = ast.parse((SOURCE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .x import y
                base = f"{PACKAGE}.{base}".rstrip(".")
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            if name.startswith(f"{PACKAGE}."):
                stem = name[len(PACKAGE) + 1:].split(".")[0]
                if stem in modules():
                    found.add(stem)
            elif name == PACKAGE and isinstance(node, ast.ImportFrom) \
                    and not any(alias.name in modules() for alias in node.names):
                found.add("__init__")  # a name the package itself exports
    found.discard(module)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in graph, as the path around it, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_the_cycle_finder_finds_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_sandbox_modules_import_each_other_without_a_circle():
    graph = {module: imports_of(module) for module in modules()}
    assert {"server", "process", "common", "sagemaker", "faults"} <= set(graph)
    assert graph["server"] >= {"sagemaker", "iam", "validation", "faults", "common"}  # the reader sees it
    assert cycle(graph) is None, f"import circle: {' -> '.join(cycle(graph) or [])}"
    assert not graph["common"], "common imports nothing of the package"
    assert graph["process"] == {"common", "server"}  # server only inside main(): see below


@pytest.mark.subprocess
def test_each_sandbox_module_imports_on_its_own_and_the_client_side_loads_no_moto():
    """In a fresh interpreter: each module imported first (a circle fails there as a partly initialised
    module), and importing the package, common or process leaves moto unloaded."""
    client_side = [PACKAGE, f"{PACKAGE}.common", f"{PACKAGE}.process"]  # first: moto stays loaded
    server_side = [m for m in modules() if m not in ("__init__", "__main__", "common", "process")]
    names = client_side + [f"{PACKAGE}.{m}" for m in server_side]
    script = f"""
import importlib, sys
for name in {names!r}:
    for loaded in [m for m in sys.modules if m == "{PACKAGE}" or m.startswith("{PACKAGE}.")]:
        del sys.modules[loaded]
    importlib.import_module(name)
    print(name, "moto" in sys.modules)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    loaded = dict(line.rsplit(" ", 1) for line in proc.stdout.splitlines())
    assert list(loaded) == names
    for name in client_side:
        assert loaded[name] == "False", f"{name} loads moto"
    assert loaded[f"{PACKAGE}.server"] == "True"


def test_the_old_flat_modules_are_gone():
    assert not (SOURCE.parent / "sandbox_server.py").exists()
    assert not (SOURCE.parent / "sandbox.py").exists()
