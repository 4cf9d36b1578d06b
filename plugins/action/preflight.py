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


def _spec_message(message):
    """ansible-core's choice message in sagelab's form; every other message as it is, on one line."""
    match = CHOICE_RE.match(message)
    if match:
        return (f"{match['name']}: '{match['got']}' is not allowed; allowed: {match['choices']}"
                f"{match['found'] or ''}")
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
    result = validator.validate(given, validate_role_argument_spec=True)
    spec_errors = [_spec_message(m) for m in result.error_messages]
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
