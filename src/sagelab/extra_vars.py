"""The user's `-e` values, read as ansible-playbook reads them, and the variables sagelab knows.

The CLI reads them itself before anything runs: to say where a value is malformed (ansible-playbook
reports that as an inventory parse failure), to let what the user says win over the CLI's own defaults,
to refuse a clash with one of the CLI's own options, and to warn about a variable no role takes, naming
the closest one that exists (the roles' meta/argument_specs.yml, read once).
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from sagelab.redact import redact

SHARED = re.compile(r"\bsagelab_[a-z0-9_]*[a-z0-9]\b")


class ExtraVarsError(ValueError):
    """A `-e` value that is not valid: the message says which one and where."""


def _excerpt(text: str, line: int, column: int) -> str:
    """The line of text that holds the error, with a caret under the column (credentials masked)."""
    lines = text.splitlines() or [""]
    shown = redact(lines[min(line, len(lines) - 1)])[:120]
    return f"\n  {shown}\n  {' ' * min(column, len(shown))}^"


class _Loader(yaml.SafeLoader):
    """YAML as Ansible writes it: a tagged value (`!vault |`, `!unsafe`) is read as its plain value."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None))


def _load_document(text: str, what: str) -> Any:
    """JSON or YAML, as ansible-playbook takes a `-e` string or @file (JSON is read as YAML)."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader that keeps tags as plain values
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "unreadable"
        raise ExtraVarsError(f"{what} is not valid JSON/YAML{where}: {problem}"
                             + (_excerpt(text, mark.line, mark.column) if mark else "")) from None
    except yaml.YAMLError as exc:
        raise ExtraVarsError(f"{what} is not valid JSON/YAML: {exc}") from None


def _key_values(text: str, what: str) -> dict[str, Any]:
    """`key=value key2="a b"`: what ansible's parse_kv makes of a -e value that is not JSON/YAML."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ExtraVarsError(f"{what} is not valid key=value pairs: {exc} (quote values with spaces, or "
                             "pass JSON/YAML: -e '{\"name\": \"a b\"}')") from None
    pairs: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ExtraVarsError(f"{what}: {redact(word)!r} is not key=value; allowed: key=value pairs, a "
                                 "JSON/YAML mapping, or @file")
        pairs[key] = value
    return pairs


def parse_one(value: str, index: int) -> dict[str, Any]:
    """One -e value as a mapping of variables; ExtraVarsError naming the value and the place when not."""
    what = f"-e value {index}"
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        what = f"-e @{value[1:]}"
        try:
            text = path.read_text()
        except OSError as exc:
            raise ExtraVarsError(f"{what}: cannot read the file: {exc.strerror or exc}") from None
        if text.lstrip().startswith("$ANSIBLE_VAULT"):
            return {}  # a vault-encrypted vars file: ansible-playbook decrypts it, its names stay unknown
        data = _load_document(text, f"{what} (the file)")
    elif value.lstrip().startswith(("{", "[")):
        data = _load_document(value, what)
    elif value.startswith(("/", ".")):
        raise ExtraVarsError(f"{what} looks like a file name; allowed: @{value} (a vars file), key=value "
                             "pairs or a JSON/YAML mapping")
    else:
        data = _key_values(value, what)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ExtraVarsError(f"{what} is a {type(data).__name__}, not a mapping; allowed: key=value pairs, "
                             "a JSON/YAML mapping such as {\"name\": \"value\"}, or @file holding one")
    return dict(data)


def parse(values: Iterable[str]) -> dict[str, Any]:
    """All -e values merged as ansible-playbook merges them (a later value wins, top-level keys)."""
    merged: dict[str, Any] = {}
    for index, value in enumerate(values, 1):
        merged.update(parse_one(value, index))
    return merged


@functools.cache
def known_variables(home: Path) -> frozenset[str]:
    """Every variable a role takes (the options of each entry point in roles/*/meta/argument_specs.yml),
    the shared ones the playbooks set in their vars, and the roles' defaults."""
    names: set[str] = set()
    for spec in sorted(home.glob("roles/*/meta/argument_specs.yml")):
        data = yaml.safe_load(spec.read_text()) or {}
        for entry in (data.get("argument_specs") or {}).values():
            names.update((entry or {}).get("options") or {})
    for defaults in home.glob("roles/*/defaults/main.yml"):
        text = defaults.read_text()
        names.update(yaml.safe_load(text) or {})
        names.update(SHARED.findall(text))
    for playbook in home.glob("playbooks/*.yml"):
        text = playbook.read_text()
        for play in yaml.safe_load(text) or []:
            if isinstance(play, dict) and isinstance(play.get("vars"), dict):
                names.update(play["vars"])
        names.update(SHARED.findall(text))  # the shared variables several roles read (sagelab_route ...)
    return frozenset(names)


def unknown_warnings(user_vars: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """A warning for each variable that nothing sagelab runs takes, naming the closest known one."""
    known = sorted(known)
    warnings = []
    for name in user_vars:
        if name in known or name.startswith("ansible_"):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "no role of sagelab takes it"
        warnings.append(f"-e {name}: not a variable of sagelab's roles or playbooks; {hint}")
    return warnings
