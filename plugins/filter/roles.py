# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters sagelab.sagemaker.workstation_roles and sagelab.sagemaker.role_options: the workstation roles
declared once (module_utils/_roles.py; documentation: workstation_roles.yml, role_options.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _roles


def workstation_roles(route, wheelhouse=False, aws_cli=True, validate=True):
    """`sagelab_route | default('venv') | sagelab.sagemaker.workstation_roles(...)`: the roles that run."""
    try:
        return _roles.workstation_roles(route, wheelhouse=wheelhouse, aws_cli=aws_cli, validate=validate)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


def role_options(roles):
    """`['python', 'venv'] | sagelab.sagemaker.role_options`: the variables those roles take."""
    if isinstance(roles, str) or not all(isinstance(role, str) for role in roles):
        raise AnsibleFilterError(f"role_options: {roles!r} is not allowed; allowed: a list of role names")
    try:
        return _roles.role_options(roles)
    except FileNotFoundError as error:
        raise AnsibleFilterError(f"role_options: no such role in this collection: {error.filename}") \
            from error


class FilterModule:
    def filters(self):
        return {"workstation_roles": workstation_roles, "role_options": role_options}
