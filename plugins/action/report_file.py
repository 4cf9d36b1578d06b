# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Action plugin for sagelab.sagemaker.report_file (documentation: plugins/modules/report_file.py)."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("dir", "name", "data", "mode", "dir_mode"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec={
            "dir": {"type": "path", "required": True},
            "name": {"type": "str", "required": True},
            "data": {"type": "raw", "required": True},
            "mode": {"type": "str", "default": "0644"},
            "dir_mode": {"type": "str", "default": "0755"},
        })
        folder, name = args["dir"], args["name"]
        if not os.path.isabs(folder):
            return dict(result, failed=True, msg=f"dir: '{folder}' is not allowed; allowed: an absolute path")
        if not name or "/" in name or name in (".", ".."):
            return dict(result, failed=True,
                        msg=f"name: '{name}' is not allowed; allowed: a file name (no slashes)")
        modes = {}
        for key in ("mode", "dir_mode"):
            value = args[key]
            if not (len(value) in (3, 4) and all(c in "01234567" for c in value)):
                return dict(result, failed=True,
                            msg=f"{key}: '{value}' is not allowed; allowed: an octal mode, e.g. 0600")
            modes[key] = int(value, 8)
        try:
            text = json.dumps(args["data"], indent=4, sort_keys=True) + "\n"  # as to_nice_json
        except (TypeError, ValueError) as exc:
            return dict(result, failed=True, msg=f"data: not JSON-serialisable ({exc})")
        path = os.path.join(folder, name + ".json")
        try:
            if not os.path.isdir(folder):
                os.makedirs(folder, exist_ok=True)
                os.chmod(folder, modes["dir_mode"])
            fd, tmp_path = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            try:
                with os.fdopen(fd, "w") as out:
                    out.write(text)
                os.chmod(tmp_path, modes["mode"])
                os.replace(tmp_path, path)
            except OSError:
                os.unlink(tmp_path)
                raise
        except OSError as exc:
            return dict(result, failed=True, msg=f"cannot write {path}: {exc}")
        return dict(result, changed=False, path=path)
