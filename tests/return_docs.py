"""What a module really returned against what its RETURN documents.

Every test that runs one of sagelab's modules through conftest's ansible_module() or play() checks its
result here, so RETURN cannot fall behind the code: a key a module returns and RETURN does not name (at
the top level, or inside a documented dict or list of dicts with `contains`) fails that test.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import yaml

MODULES = Path(__file__).resolve().parent.parent / "plugins" / "modules"
PREFIX = "sagelab.sagemaker."
# Ansible's common return values (documented once for every module) and what the executor adds.
COMMON = {"changed", "failed", "msg", "invocation", "diff", "warnings", "deprecations", "exception",
          "skipped", "skip_reason", "rc", "stdout", "stdout_lines", "stderr", "stderr_lines",
          "backup_file", "ansible_facts", "results", "attempts", "retries", "censored", "item",
          "ansible_loop_var", "action", "_ansible_no_log", "_ansible_verbose_always", "_ansible_item_label",
          "_ansible_ignore_errors", "_ansible_delegated_vars"}


@functools.cache
def return_spec(module: str) -> dict | None:
    """The RETURN of one of this collection's modules (a FQCN or short name), None for other modules."""
    name = module.removeprefix(PREFIX)
    if module.count(".") >= 2 and not module.startswith(PREFIX):
        return None
    path = MODULES / f"{name}.py"
    if not path.is_file():
        return None
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "RETURN" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    return {}


def _walk(value, spec: dict, where: str) -> list[str]:
    missing = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key not in spec:
                missing.append(f"{where}{key}")
                continue
            missing += _walk_entry(inner, spec[key], f"{where}{key}.")
    return missing


def _walk_entry(value, entry: dict, where: str) -> list[str]:
    contains = (entry or {}).get("contains")
    if not contains:
        return []  # a documented dict without `contains` is open (e.g. tags, a free-form document)
    if entry.get("type") == "list" and isinstance(value, list):
        return [m for item in value for m in _walk(item, contains, where)]
    return _walk(value, contains, where)


def undocumented(module: str, result: dict) -> list[str]:
    """Keys of `result` (dotted paths, sorted, unique) that the module's RETURN does not document."""
    spec = return_spec(module)
    if spec is None or result.get("failed"):
        return []
    top = {k: v for k, v in result.items() if k not in COMMON}
    return sorted(set(_walk(top, spec, "")))
