# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Action sagelab.sagemaker.preflight: a role's input checked once, before anything changes - its
meta/argument_specs.yml entry point with ansible-core's ArgumentSpecValidator, then the shared rules of
_validators.py and the role's cross-variable rules (plugins/plugin_utils/_preflight_rules.py); one failure
listing every problem (documentation: plugins/modules/preflight.py)."""

from __future__ import annotations

import os
import re

import yaml
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.sagelab.sagemaker.plugins.plugin_utils import _preflight_rules as role_rules

CHOICE_RE = re.compile(r"^value of (?P<name>\S+) must be one of: (?P<choices>.*), got: (?P<got>.*?)"
                       r"(?P<found> found in .*)?$")
# ansible-core's type messages (module_utils/common/parameters.py _validate_argument_types/_elements)
CONTEXT = r"(?: found in '(?P<context>[^']*)'\.?)?"
TYPE_RE = re.compile(r"^argument '(?P<name>[^']+)' is of type (?P<type>\S+?)" + CONTEXT
                     + r" and we were unable to convert to (?P<wanted>\w+): .*$", re.DOTALL)
ELEMENT_RE = re.compile(r"^Elements value for option '(?P<name>[^']+)'" + CONTEXT + r" is of type "
                        r"(?P<type>\S+) and we were unable to convert to (?P<wanted>\w+): .*$", re.DOTALL)
TYPES = {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
         "list": "a list", "dict": "a mapping", "path": "a path", "raw": "any value",
         "bytes": "a size in bytes", "bits": "a size in bits", "json": "a JSON document",
         "jsonarg": "a JSON document"}
MASK = "********"


def spec_of(role_path, entry_point="main"):
    """The options of a role's argument_specs entry point."""
    path = os.path.join(role_path, "meta", "argument_specs.yml")
    try:
        with open(path, encoding="utf-8") as handle:
            specs = (yaml.safe_load(handle) or {}).get("argument_specs") or {}
    except OSError as exc:
        raise AnsibleError(f"preflight: {path} cannot be read: {exc}") from exc
    if entry_point not in specs:
        raise AnsibleError(f"preflight: entry_point '{entry_point}' is not allowed; allowed: "
                           f"{', '.join(sorted(specs)) or 'an entry point of ' + path}")
    return specs[entry_point].get("options") or {}


def _shown(value):
    """A value as sagelab's messages show it: strings quoted, booleans as YAML writes them."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_message(match, given, element):
    """ansible-core's type message in sagelab's form: the variable (its key path inside another), what was
    given and the type allowed."""
    context = [part.strip() for part in (match["context"] or "").split("->") if part.strip()]
    name = ".".join([*context, match["name"]])
    if element:
        return (f"{name}: an element of type {match['type']} is not allowed; allowed: a list of "
                f"{match['wanted']} elements ({TYPES.get(match['wanted'], match['wanted'])} each)")
    wanted = f"{TYPES.get(match['wanted'], match['wanted'])} ({match['wanted']})"
    if not context and match["name"] in given:
        return f"{name}: {_shown(given[match['name']])} is not allowed; allowed: {wanted}"
    return f"{name}: a value of type {match['type']} is not allowed; allowed: {wanted}"


def _not_strings(options, given):
    """The variables the spec types str that were given a list or a mapping: ansible-core would turn them
    into their text silently (check_type_str allows the conversion), sagelab refuses them."""
    return {name: f"{name}: {_shown(value)} is not allowed; allowed: {TYPES['str']} (str)"
            for name, value in given.items()
            if (options[name].get("type") or "str") == "str" and isinstance(value, (list, dict))}


def _spec_message(message, given=None):
    """ansible-core's choice and type messages in sagelab's form ("X: 'v' is not allowed; allowed: ...");
    every other message as it is, on one line. given: the variables checked (their values are shown)."""
    match = CHOICE_RE.match(message)
    if match:
        return (f"{match['name']}: '{match['got']}' is not allowed; allowed: {match['choices']}"
                f"{match['found'] or ''}")
    for pattern, element in ((TYPE_RE, False), (ELEMENT_RE, True)):
        match = pattern.match(message)
        if match:
            return _type_message(match, given or {}, element)
    return " ".join(message.split())


def _no_log_values(options, values):
    """The values of the options the spec marks no_log (and of their suboptions)."""
    secrets = set()
    for name, option in options.items():
        value = values.get(name) if isinstance(values, dict) else None
        if option.get("no_log") and value not in (None, ""):
            secrets.add(str(value))
        if option.get("options") and value:
            for item in value if isinstance(value, list) else [value]:
                secrets |= _no_log_values(option["options"], item)
    return secrets


def check(role, options, raw):
    """Every problem with a role's variables (raw: their rendered values) as one line each."""
    validator = ArgumentSpecValidator(options)
    given = {k: v for k, v in raw.items() if k in options}
    not_strings = _not_strings(options, given)
    given = {k: v for k, v in given.items() if k not in not_strings}
    result = validator.validate(given, validate_role_argument_spec=True)
    spec_errors = [*not_strings.values(), *(_spec_message(m, given) for m in result.error_messages)]
    refused = {name for name in options for m in spec_errors if re.search(rf"\b{re.escape(name)}\b", m)}
    validated = {**raw, **result.validated_parameters}
    values = role_rules.Values(validated, raw, refused)
    errors = spec_errors + role_rules.problems(role, values)
    secrets = _no_log_values(options, raw)
    for secret in sorted(secrets, key=len, reverse=True):
        errors = [e.replace(secret, MASK) for e in errors]
    return errors


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        unknown = sorted(set(self._task.args) - {"entry_point"})
        if unknown:
            return {**result, "failed": True,
                    "msg": f"preflight: {', '.join(unknown)} is not allowed; allowed: entry_point"}
        role = self._task._role
        if role is None:
            return {**result, "failed": True,
                    "msg": "preflight: the task is not in a role; allowed: a task of a role's tasks/"}
        role_path = role.get_role_path()
        name = os.path.basename(role_path.rstrip("/"))
        options = spec_of(role_path, self._task.args.get("entry_point", "main"))
        raw, errors = {}, []
        for variable in [*options, *role_rules.EXTRA_VARS.get(name, [])]:
            if variable in task_vars:
                try:
                    raw[variable] = self._templar.template(task_vars[variable])
                except AnsibleError as exc:
                    errors.append(f"{variable}: cannot be rendered: {' '.join(str(exc).split())}")
        errors += check(name, options, raw)
        result.update(changed=False, role=name, errors=errors)
        if errors:
            result.update(failed=True, msg="\n".join(errors))
        else:
            result["msg"] = f"{name}: {len(options)} variables checked, none refused"
        return result
