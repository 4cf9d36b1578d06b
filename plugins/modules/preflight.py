#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# The work is done on the control node by the action plugin plugins/action/preflight.py; this file
# holds its documentation (as ansible.builtin.validate_argument_spec does).

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Check a role's input once, before anything changes, and report every problem at once
version_added: "0.1.0"
description:
  - Called first thing in a role's C(tasks/preflight.yml). Reads the role's C(meta/argument_specs.yml)
    entry point O(entry_point) (the role's path comes from the task), takes the value of each of its
    options from the task's variables (rendered, so a default computed from C(sagelab_*) variables is
    checked as the role will use it) and validates them with ansible-core's ArgumentSpecValidator (types,
    choices, required options, list elements and suboptions).
  - Then applies sagelab's shared rules (C(plugins/module_utils/_validators.py), the same the modules use)
    bound to the role's variables, and the role's cross-variable rules (a KMS key only with C(aws:kms)
    encryption, security groups only with a subnet, each IAM user once, ...), both declared in
    C(plugins/plugin_utils/_preflight_rules.py). A variable the spec refused is not checked again.
  - >-
    Fails once, listing every problem, one line each in the form
    C(<variable>: '<value>' is not allowed; allowed: ...). The values of options the spec marks C(no_log)
    never appear in a message (they are replaced by C(********)).
  - Changes nothing and needs no connection to the host; it runs in check mode as well and never reports
    V(changed).
  - A role's own entry point C(main) is validated by ansible-core before its first task as well; sagelab's
    playbooks run C(tasks_from=preflight) for every role first, where this action is the only check (that
    entry point has no argument spec of its own), so type errors and rule errors come in one list.
options:
  entry_point:
    description: The entry point of the role's C(meta/argument_specs.yml) whose options are checked.
    type: str
    default: main
attributes:
  check_mode:
    support: full
    description: Runs in check mode too; it only reads variables.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the control node, whatever the target host.
  action:
    support: full
    description: Runs on the control node only.
notes:
  - The task must belong to a role (C(tasks/preflight.yml) of a role, or a role included with
    C(tasks_from)); outside a role it fails.
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
# roles/<role>/tasks/preflight.yml
- name: Ensure the role's input is valid before anything changes
  sagelab.sagemaker.preflight:

- name: Check the variables of another entry point
  sagelab.sagemaker.preflight:
    entry_point: config
"""

RETURN = r"""
role:
  description: The name of the role whose input was checked.
  returned: when the task belongs to a role
  type: str
  sample: notebook_instance
errors:
  description: Every problem found, one line each (empty when the input passed).
  returned: when the task belongs to a role
  type: list
  elements: str
  sample:
    - "notebook_instance_volume_size: '2' is not allowed; allowed: a whole number of GB from 5 to 16384"
    - "notebook_instance_state: 'running' is not allowed; allowed: present, started, stopped, absent"
"""
