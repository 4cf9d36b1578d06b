"""Helpers shared by the reliability and security drills (tests/drills).

The drills reuse the session sandbox (tests/conftest.py) with unique names, except the least-privilege
drill, which starts its own sandbox process with IAM enforcement on.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call_api(url: str, path: str, body: dict | None = None, method: str = "POST") -> str:
    """The sandbox's own endpoints and moto's /moto-api/ (never through a proxy)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        return reply.read().decode()


def operation(request: dict) -> str:
    """A recorded request's AWS operation: X-Amz-Target (JSON), Action (query), else method and path
    (REST)."""
    target = request["headers"].get("X-Amz-Target")
    if target:
        return target.rpartition(".")[2]
    body = request.get("body") or ""
    if request.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    action = parse_qs(body).get("Action") or parse_qs(urlsplit(request["url"]).query).get("Action")
    if action:
        return action[0]
    return f"{request['method']} {urlsplit(request['url']).path}"


READ_PREFIXES = ("Describe", "List", "Get", "GET ", "HEAD ")


def writes(operations: list[str]) -> list[str]:
    return [op for op in operations if not op.startswith(READ_PREFIXES)]


@contextmanager
def recording(url: str) -> Iterator[list[str]]:
    """The AWS operations the sandbox at url received while the block ran (filled in when it ends)."""
    operations: list[str] = []
    call_api(url, "/moto-api/recorder/reset-recording")
    call_api(url, "/moto-api/recorder/start-recording")
    try:
        yield operations
    finally:
        call_api(url, "/moto-api/recorder/stop-recording")
        lines = call_api(url, "/moto-api/recorder/download-recording", method="GET")
        operations.extend(operation(json.loads(line)) for line in lines.splitlines() if line.strip())


def fault(url: str, **spec: Any) -> None:
    call_api(url, "/sagelab-sandbox/faults", spec)


def pending_faults(url: str) -> list[dict]:
    return json.loads(call_api(url, "/sagelab-sandbox/faults", method="GET"))["faults"]


def clear_faults(url: str) -> None:
    call_api(url, "/sagelab-sandbox/faults", method="DELETE")


def play(tasks: list[tuple], folder: Any, env: dict[str, str] | None = None) -> list[dict]:
    """Several module runs in one ansible-playbook run (one Ansible start-up instead of one per run): the
    result of each task for localhost, failures included. A task is (module, args) or (module, args,
    task keywords such as check_mode)."""
    from tests.conftest import run_playbook

    playbook = folder / f"{uuid.uuid4().hex}.yml"
    plays = [{"name": "Drill", "hosts": "localhost", "connection": "local", "gather_facts": False,
              "tasks": [{"name": f"Task {i}", task[0]: task[1], "ignore_errors": True,
                         **(task[2] if len(task) > 2 else {})} for i, task in enumerate(tasks)]}]
    playbook.write_text(json.dumps(plays))
    run = run_playbook(str(playbook), env=env)
    results = [task["hosts"]["localhost"] for task in run.data.get("plays", [{}])[0].get("tasks", [])]
    assert len(results) == len(tasks), run.stdout[-3000:] + run.stderr[-3000:]
    return results


def run_logged(playbook: str, *args: str, extra_vars: dict, env: dict[str, str], log: Any,
               timeout: int = 900) -> Any:
    """ansible-playbook with the json callback, its log (ANSIBLE_LOG_PATH) appended to log; verbose
    output (-vvv) may precede the JSON document on stdout."""
    from tests.conftest import BIN, REPO, PlaybookRun, ansible_env

    cmd = [str(BIN / "ansible-playbook"), str(REPO / playbook), *args, "-e", json.dumps(extra_vars)]
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(ANSIBLE_LOG_PATH=str(log), **env),
                          capture_output=True, text=True, timeout=timeout)
    data: dict = {}
    for match in reversed(list(re.finditer(r"^\{$", proc.stdout, re.M))):
        try:
            data = json.loads(proc.stdout[match.start():])
            break
        except ValueError:
            continue
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, data)
