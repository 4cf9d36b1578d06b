# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.state_dir: where controller-side outputs go (documentation: state_dir.yml)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError


def controller_state_dir(environ=None):
    """The controller user's sagelab state folder: $XDG_STATE_HOME/sagelab, else ~/.local/state/sagelab
    (the XDG base directory rule for state data), resolved on the control node."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or ""
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "sagelab")


def state_dir(value, *parts):
    """`sagelab_state_dir | default(none) | sagelab.sagemaker.state_dir('reports')`: the folder the user
    named (sagelab_state_dir), else the controller user's state folder, with parts appended."""
    if value in (None, ""):
        value = controller_state_dir()
    if not isinstance(value, str) or not os.path.isabs(os.path.expanduser(value)):
        raise AnsibleFilterError(f"sagelab_state_dir: '{value}' is not allowed; allowed: an absolute path "
                                 "(empty: $XDG_STATE_HOME/sagelab or ~/.local/state/sagelab)")
    for part in parts:
        if not isinstance(part, str) or not part or part.startswith("/") or ".." in part.split("/"):
            raise AnsibleFilterError(f"state_dir: '{part}' is not allowed; allowed: a relative folder name")
    return os.path.join(os.path.expanduser(value), *parts)


class FilterModule:
    def filters(self):
        return {"state_dir": state_dir}
