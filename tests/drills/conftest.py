"""Helpers shared by the reliability and security drills (tests/drills).

The drills reuse the session sandbox (tests/conftest.py) with unique names, except the least-privilege
drill, which starts its own sandbox process with IAM enforcement on.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.conftest import call_api


def fault(url: str, **spec: Any) -> None:
    call_api(url, "/sagelab-sandbox/faults", spec)


def pending_faults(url: str) -> list[dict]:
    return json.loads(call_api(url, "/sagelab-sandbox/faults", method="GET"))["faults"]


def clear_faults(url: str) -> None:
    call_api(url, "/sagelab-sandbox/faults", method="DELETE")


def run_logged(playbook: str, *args: str, extra_vars: dict, env: dict[str, str], log: Any,
               timeout: int = 900) -> Any:
    """ansible-playbook with the json callback, its log (ANSIBLE_LOG_PATH) appended to log; verbose
    output (-vvv) may precede the JSON document on stdout."""
    from tests.conftest import BIN, REPO, PlaybookRun, ansible_env, json_document

    cmd = [str(BIN / "ansible-playbook"), str(REPO / playbook), *args, "-e", json.dumps(extra_vars)]
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(ANSIBLE_LOG_PATH=str(log), **env),
                          capture_output=True, text=True, timeout=timeout, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, json_document(proc.stdout))
