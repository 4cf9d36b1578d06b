# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""sagelab's workstation roles, declared once: the order they run in and when each one runs.

Read by playbooks/workstation.yml (the preflight of every role, and a unit test holds its static `roles:`
list to this one), playbooks/wheelhouse.yml and the fast-path fingerprint of roles/validate, whose input
is every variable these roles' meta/argument_specs.yml declare (filters roles.py).
"""

from __future__ import annotations

import os

ROUTES = ("venv", "conda")

# (role, the setting it runs with): None always; a route name when sagelab_route is that route;
# "wheelhouse" with sagelab_wheelhouse true; "aws_cli" with sagelab_aws_cli_enabled true (the default).
WORKSTATION_ROLES = (
    ("wheelhouse", "wheelhouse"),
    ("python", None),
    ("venv", "venv"),
    ("conda", "conda"),
    ("sagemaker_sdk", None),
    ("jupyter_kernel", None),
    ("aws_cli", "aws_cli"),
    ("validate", None),
)

# the collection root is three folders up: plugins/module_utils/_roles.py
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "roles")


def workstation_roles(route="venv", wheelhouse=False, aws_cli=True, validate=True):
    """The workstation roles that run, in their order, for this route and these settings."""
    if route not in ROUTES:
        raise ValueError(f"sagelab_route: {route!r} is not a known route; allowed: {', '.join(ROUTES)}")
    runs = {None: True, "venv": route == "venv", "conda": route == "conda", "wheelhouse": bool(wheelhouse),
            "aws_cli": bool(aws_cli)}
    return [role for role, setting in WORKSTATION_ROLES if runs[setting] and (validate or role != "validate")]


def role_options(roles, roles_dir=ROLES_DIR):
    """Every variable the roles take: the options of each entry point of their meta/argument_specs.yml."""
    import yaml  # pylint: disable=import-outside-toplevel  # controller-side only; module_utils load without it

    names = set()
    for role in roles:
        path = os.path.join(roles_dir, role, "meta", "argument_specs.yml")
        with open(path, encoding="utf-8") as spec:
            entries = (yaml.safe_load(spec) or {}).get("argument_specs") or {}
        for entry in entries.values():
            names.update((entry or {}).get("options") or {})
    return sorted(names)
