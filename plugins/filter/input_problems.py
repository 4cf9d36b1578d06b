# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.input_problems: the roles' preflights check their variables with the same rules
the modules use (plugins/module_utils/_validators.py), so a rule is written once
(documentation: input_problems.yml beside this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules


def input_problems(checks: list | dict, rule: str = "") -> list[str]:
    """One message per value a rule refuses; checks is a list of [rule, variable, value], or a mapping of
    variable to value all checked with one rule."""
    if isinstance(checks, dict) and rule:
        checks = [[rule, variable, value] for variable, value in checks.items()]
    if not isinstance(checks, list):
        raise AnsibleFilterError(f"input_problems: expects a list of [rule, variable, value], got "
                                 f"{type(checks).__name__}")
    problems = []
    for check in checks:
        if not isinstance(check, (list, tuple)) or len(check) != 3 or check[0] not in rules.RULES:
            raise AnsibleFilterError(f"input_problems: {check!r} is not allowed; allowed: [rule, variable, "
                                     f"value] with rule one of {', '.join(sorted(rules.RULES))}")
        name, variable, value = check
        message = rules.RULES[name](str(variable), value)
        if message:
            problems.append(message)
    return problems


class FilterModule:
    def filters(self) -> dict:
        return {"input_problems": input_problems}
