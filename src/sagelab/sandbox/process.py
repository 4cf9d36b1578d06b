"""The sandbox process: one detached server per project home, its whereabouts in
<home>/.sagelab/sandbox.json, and the `python -m sagelab.sandbox serve` entry it runs. Imports no moto."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagelab.sandbox.common import (
    API_PREFIX,
    HOST,
    READY_PREFIX,
    START_TIMEOUT,
    STOP_TIMEOUT,
    SandboxError,
    transition_seconds,
)

# --- a detached sandbox process per project home ---------------------------------------------------

_children: dict[int, subprocess.Popen[bytes]] = {}  # started here: reaped here, or they linger as zombies


def state_path(home: Path) -> Path:
    return Path(home) / ".sagelab" / "sandbox.json"


def _read_state(home: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(state_path(home).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and {"pid", "endpoint_url"} <= set(state) else None


def _pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    try:  # a zombie (exited, not yet reaped: e.g. PID 1 of a container that reaps nobody) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc here
        return True


def _ping(url: str, timeout: float = 1.0) -> int | None:
    """The pid a sandbox at url reports, or None when nothing (or something else) answers there."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: never via a proxy
    try:
        with opener.open(f"{url}{API_PREFIX}ping", timeout=timeout) as reply:
            data = json.loads(reply.read())
    except (OSError, ValueError):
        return None
    return data.get("pid") if isinstance(data, dict) and data.get("sandbox") == "sagelab" else None


def status(home: Path) -> dict[str, Any] | None:
    """The sandbox recorded under home when it is alive and answering, else None."""
    state = _read_state(home)
    if state and _pid_alive(state["pid"]) and _ping(state["endpoint_url"]) == state["pid"]:
        return state
    return None


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _announced_endpoint(log: Path) -> str | None:
    try:
        match = re.search(re.escape(READY_PREFIX) + r"(http://\S+)", log.read_text(errors="replace"))
    except OSError:
        return None
    return match.group(1) if match else None


def start(home: Path, port: int | None = None) -> dict[str, Any]:
    """Start a detached sandbox for home (any free port when port is None) and record it, or return the
    one recorded there if it is alive and answering. Raises SandboxError when it does not come up."""
    current = status(home)
    if current:
        return current
    stop(home)  # a recorded sandbox that no longer answers, or a stale record
    state_dir = state_path(home).parent
    state_dir.mkdir(parents=True, exist_ok=True)
    transition_seconds()  # a bad setting fails here, with its message, rather than in the child's log
    log = state_dir / "sandbox.log"
    env = dict(os.environ)
    source_root = str(Path(__file__).resolve().parents[2])  # this sagelab, even when not installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "sagelab.sandbox", "serve", "--port", str(port or 0)]
    with log.open("wb") as log_file:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                 env=env, cwd=state_dir, start_new_session=True)
    _children[child.pid] = child
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SandboxError(f"the sandbox exited (status {child.returncode}) before it answered; "
                               f"{log}:\n{_log_tail(log)}")
        url = _announced_endpoint(log)
        if url and _ping(url) == child.pid:
            state = {"pid": child.pid, "port": int(url.rpartition(":")[2]), "endpoint_url": url,
                     "started": datetime.now(UTC).isoformat(timespec="seconds")}
            state_path(home).write_text(json.dumps(state, indent=2) + "\n")
            return state
        time.sleep(0.05)
    child.kill()
    child.wait()
    raise SandboxError(f"the sandbox did not answer within {START_TIMEOUT:g} s; {log}:\n{_log_tail(log)}")


def _is_sandbox_process(state: dict[str, Any]) -> bool:
    """Whether the recorded pid is still our sandbox, so that a recycled pid is never signalled."""
    pid = state["pid"]
    if not _pid_alive(pid):
        return False
    if pid in _children or _ping(state["endpoint_url"]) == pid:
        return True
    try:  # alive but not answering (hung): trust the command line where the system shows it
        return b"sagelab.sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def stop(home: Path) -> bool:
    """Stop the sandbox recorded under home and forget it; False when none was running."""
    state = _read_state(home)
    if state is None:
        return False
    stopped = _is_sandbox_process(state)
    if stopped:
        pid = state["pid"]
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        if pid in _children:
            _children.pop(pid).wait()
    state_path(home).unlink(missing_ok=True)
    return stopped


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m sagelab.sandbox serve [--port N]`: what start() runs in the detached process."""
    parser = argparse.ArgumentParser(prog="python -m sagelab.sandbox",
                                     description="Serve sagelab's AWS sandbox on 127.0.0.1 (blocking).")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="serve until terminated")
    serve_parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    args = parser.parse_args(argv)
    from sagelab.sandbox.server import serve  # moto: only the server process imports it

    try:
        serve(HOST, args.port)
    except KeyboardInterrupt:
        pass
    except (OSError, SandboxError) as exc:
        print(f"sagelab sandbox: error: {exc}", file=sys.stderr)
        return 1
    return 0
