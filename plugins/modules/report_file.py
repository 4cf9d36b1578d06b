#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# The work is done on the control node by the action plugin plugins/action/report_file.py; this file
# holds its documentation (as ansible.builtin.debug does).

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report_file
short_description: Write a host's JSON report into a folder on the control node, without a module run
version_added: "0.1.0"
description:
  - Writes O(data) as indented JSON (keys sorted, as the C(to_nice_json) filter does) to
    C(<dir>/<name>.json) on the control node, creating O(dir) with O(dir_mode) when it is missing. The
    file is written atomically with O(mode).
  - Runs entirely in the controller process (an action plugin), so it costs no module execution - the
    same result as C(ansible.builtin.copy) delegated to localhost, about 2 seconds less per host
    on a small machine.
  - A report is output, not state of the managed host; the task never reports V(changed), and the file
    is written in check mode too.
options:
  dir:
    description: Folder on the control node; must be an absolute path.
    type: path
    required: true
  name:
    description: File name without C(.json), for example the inventory host name. No slashes.
    type: str
    required: true
  data:
    description: What the file holds (any JSON-serialisable value).
    type: raw
    required: true
  mode:
    description: The file's mode, octal (V(0600) for a report only its owner may read).
    type: str
    default: "0644"
  dir_mode:
    description: The mode of O(dir) when this task creates it (an existing folder is left as it is).
    type: str
    default: "0755"
attributes:
  check_mode:
    support: full
    description: Writes the report in check mode as well (it describes the run; nothing on the host changes).
  diff_mode:
    support: none
    description: Shows no diff; the report it writes is the record of the run.
  platform:
    support: full
    platforms: posix
    description: Writes on the control node (POSIX), whatever the target host.
  action:
    support: full
    description: Runs on the control node only.
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Write this host's validation report on the control node
  sagelab.sagemaker.report_file:
    dir: "{{ sagelab_state_dir | default(none) | sagelab.sagemaker.state_dir('reports') }}"
    name: "{{ inventory_hostname }}"
    data: "{{ sagelab_validation }}"

- name: Keep a summary only its owner may read
  sagelab.sagemaker.report_file:
    dir: "{{ validate_report_dir }}/aws"
    name: summary
    data: "{{ summary }}"
    mode: "0600"
    dir_mode: "0700"
"""

RETURN = r"""
path:
  description: The file written on the control node.
  returned: success
  type: str
  sample: /home/ops/.local/state/sagelab/reports/lab1-ws01.json
"""
