"""Run one playbook of the project with ansible-runner and collect what the report needs."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ansible_runner

from sagelab.redact import MASK, redact_data

EventHandler = Callable[[dict[str, Any]], None]

# Runs whose artifacts are kept (the oldest go first); $SAGELAB_KEEP_ARTIFACTS overrides, 0 keeps all.
ROTATE_ARTIFACTS = 20
DEFAULT_INVENTORY = "inventories/local/hosts.yml"
# Environment variable names whose values never reach artifacts/<ident>/command.
SENSITIVE_ENV = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|_KEY|KEY_", re.IGNORECASE)


# The collection the wheel carries as package data (pyproject.toml: force-include), laid out as Ansible
# finds collections: <collections path>/ansible_collections/sagelab/sagemaker.
PACKAGED = Path(__file__).resolve().parent / "_collection" / "ansible_collections" / "sagelab" / "sagemaker"


def project_home() -> Path:
    """The collection's root (playbooks, roles, inventories; read only): $SAGELAB_HOME, else the checkout
    this package lives in (run from a clone), else the collection the installed wheel carries."""
    home = os.environ.get("SAGELAB_HOME")
    if home:
        return Path(home).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "galaxy.yml").is_file() and (checkout / "playbooks").is_dir() or not PACKAGED.is_dir():
        return checkout
    return PACKAGED


def user_state_dir(environ: dict[str, str] | None = None) -> Path:
    """The user's sagelab state folder: $XDG_STATE_HOME/sagelab, else ~/.local/state/sagelab."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    return Path(base if os.path.isabs(base) else Path.home() / ".local" / "state") / "sagelab"


def project_dir(home: Path, named: str | Path | None = None) -> Path:
    """Where the CLI's state lives (in <project>/.sagelab: artifacts, sandbox, delivered keys, reports):
    --project-dir or $SAGELAB_PROJECT_DIR, else the clone it runs from (as it always did), else the user's
    state folder. Never the install folder."""
    named = named or os.environ.get("SAGELAB_PROJECT_DIR")
    if named:
        return Path(named).expanduser().resolve()
    return user_state_dir() if home == PACKAGED else home


def ansible_environment(home: Path, project: Path) -> dict[str, str]:
    """ANSIBLE_* for a run of the collection at home: its ansible.cfg; installed from the wheel, the
    collection itself and the dependency collections in the state folder (installed there on first run,
    see sagelab.dependencies)."""
    env = {"ANSIBLE_CONFIG": str(home / "ansible.cfg")}
    if home == PACKAGED:
        from sagelab import dependencies

        dest = project / ".sagelab" / "collections" / "ansible_collections"
        if dependencies.missing(dest):
            dependencies.ensure(dest, home / "requirements.yml", project / ".sagelab" / "cache")
        env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([str(home.parents[2]), str(dest.parent)])
    return env


@dataclass
class PlaybookRequest:
    """What to run; paths relative to the caller's working directory or absolute."""

    playbook: Path
    inventories: list[str] = field(default_factory=list)
    limit: str | None = None
    extra_vars: list[str] = field(default_factory=list)  # raw `-e` values, as ansible-playbook takes them
    vars: dict[str, Any] = field(default_factory=dict)  # the CLI's own vars: the user's -e win over them
    env: dict[str, str] = field(default_factory=dict)  # environment for ansible-playbook (AWS target)
    check: bool = False
    diff: bool = False
    ansible_verbosity: int = 0
    ansible_args: list[str] = field(default_factory=list)  # other ansible-playbook options, as typed
    passwords: dict[str, str] = field(default_factory=dict, repr=False)  # prompt regex -> answer


@dataclass
class Failure:
    host: str
    task: str
    msg: str


@dataclass
class PlaybookResult:
    playbook: str
    status: str
    rc: int
    stats: dict[str, dict[str, int]]
    failures: list[Failure]
    artifacts: Path
    report_dir: Path
    # host -> the tasks that reported changed, in order (from the events: also when no stats came)
    changed_tasks: dict[str, list[str]] = field(default_factory=dict)
    interrupted: str | None = None  # the signal's name (SIGINT, SIGTERM) when one stopped the run
    task: str = ""  # the last task that started

    def hosts(self) -> list[str]:
        names = set(self.stats.get("processed", {}))
        for counts in self.stats.values():
            names.update(counts)
        if self.report_dir.is_dir():
            names.update(p.stem for p in self.report_dir.glob("*.json"))
        return sorted(names)

    def count(self, key: str, host: str) -> int:
        return int(self.stats.get(key, {}).get(host, 0))

    def validation(self, host: str) -> dict[str, Any] | None:
        """The validate role's report for host, or None when it wrote none (or an unreadable one)."""
        path = self.report_dir / f"{host}.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None


def _absolute(path: str) -> str:
    return str(Path(path).expanduser().resolve())


def build_cmdline(request: PlaybookRequest) -> str:
    """ansible-playbook options for runner's `cmdline=`: the CLI's own vars first, then the user's -e
    values untouched (a later -e wins in ansible-playbook, so what the user says wins), except that
    `@file` is made absolute (ansible-playbook runs from the project dir)."""
    args: list[str] = ["-e", json.dumps(request.vars, sort_keys=True)] if request.vars else []
    for value in request.extra_vars:
        args += ["-e", "@" + _absolute(value[1:]) if value.startswith("@") else value]
    if request.check:
        args.append("--check")
    if request.diff:
        args.append("--diff")
    if request.ansible_verbosity:
        args.append("-" + "v" * request.ansible_verbosity)
    return shlex.join(args + request.ansible_args)


# Ansible's per-host counters (its playbook_on_stats event) for each host event, as Ansible counts them.
STAT_EVENTS = {"runner_on_ok": "ok", "runner_on_failed": "failures", "runner_on_unreachable": "dark",
               "runner_on_skipped": "skipped"}


class _EventCollector:
    """What the report needs from the runner events: the failures, and the per-host counts and changed
    tasks that Ansible's final stats give — counted from the events as they arrive, so that a run
    stopped before its stats (Ctrl-C) still says what it did."""

    def __init__(self) -> None:
        self.failures: list[Failure] = []
        self.stats: dict[str, dict[str, int]] = {}
        self.changed_tasks: dict[str, list[str]] = {}
        self.task = ""
        self.pid: int | None = None  # ansible-playbook's own process: its events carry its pid

    def _count(self, key: str, host: str) -> None:
        counts = self.stats.setdefault(key, {})
        counts[host] = counts.get(host, 0) + 1

    def __call__(self, event: dict[str, Any]) -> None:
        if self.pid is None and isinstance(event.get("pid"), int):
            self.pid = event["pid"]
        name = event.get("event")
        data = event.get("event_data", {})
        if name == "playbook_on_task_start":
            self.task = data.get("task", "")
        if name not in STAT_EVENTS:
            return
        host = data.get("host", "?")
        if name == "runner_on_failed" and data.get("ignore_errors"):
            self._count("ignored", host)
            return
        self._count(STAT_EVENTS[name], host)
        if name == "runner_on_ok" and (data.get("res") or {}).get("changed"):
            self._count("changed", host)
            self.changed_tasks.setdefault(host, []).append(data.get("task", "?"))
        if name in ("runner_on_failed", "runner_on_unreachable"):
            res = data.get("res") or {}
            msg = res.get("msg") or res.get("stderr") or res.get("reason") or ""
            self.failures.append(Failure(host, data.get("task", "?"), str(msg).strip()))


class Interrupt:
    """SIGINT (Ctrl-C) and SIGTERM while a command runs its playbooks.

    The first signal asks the running ansible-playbook to stop as Ctrl-C stops it: SIGINT to its process
    group (ansible-runner starts it in a session of its own, so a terminal's Ctrl-C never reaches it),
    which ends its workers' tasks and exits; the events it sent until then are kept.

    ansible-playbook can miss that SIGINT: when it lands while the main process forks a task's worker,
    the KeyboardInterrupt its handler raises comes out of an at-fork hook, where Python ignores it, and
    the handler has already forwarded it to the workers it knew (none yet) and reset itself. The run then
    goes on. So a playbook still running ESCALATE seconds after the SIGINT gets SIGTERM, which Ansible
    forwards to its workers (each in a session of its own: they end their commands) before it exits.

    A second signal, or a playbook still running GRACE seconds later, is killed through ansible-runner's
    cancel_callback; so is one that has not started yet (it has sent no event, so ran no task). No
    further playbook starts."""

    ESCALATE = 3.0
    GRACE = 30.0
    POLL = 1.0  # how often ansible-runner asks cancel() while the playbook is quiet (its default: 5 s)

    def __init__(self) -> None:
        self.signum: int | None = None
        self.count = 0
        self.at = 0.0
        self.collector: _EventCollector | None = None  # the running playbook's
        self.escalated = False

    @property
    def name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum else None

    @contextmanager
    def installed(self) -> Iterator[Interrupt]:
        """Handle SIGINT and SIGTERM in this (the main) thread until the block ends."""
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        self.count += 1
        if self.signum is None:
            self.signum, self.at = signum, time.monotonic()
            pid = self.collector.pid if self.collector else None
            if pid:
                with suppress(OSError):  # it has just ended
                    # to its process group, as a terminal's Ctrl-C: its workers and their commands get it
                    # too, so a long task ends now even when SIGINT reaches the main process while it
                    # forks a worker (seen in CI: the run went on until the grace ran out)
                    if os.getpgid(pid) == pid:
                        os.killpg(pid, signal.SIGINT)
                    else:
                        os.kill(pid, signal.SIGINT)

    def cancel(self) -> bool:
        """ansible-runner's cancel_callback: True kills the playbook's process group."""
        if self.signum is None:
            return False
        pid = self.collector.pid if self.collector else None
        waited = time.monotonic() - self.at
        if pid and not self.escalated and waited > self.ESCALATE:
            self.escalated = True
            with suppress(OSError):  # it has just ended
                os.kill(pid, signal.SIGTERM)
        return self.count > 1 or pid is None or waited > self.GRACE


def run_playbook(request: PlaybookRequest, home: Path, on_event: EventHandler | None = None,
                 project: Path | None = None, interrupt: Interrupt | None = None) -> PlaybookResult:
    """Run the playbook of the collection at home with ansible-runner; artifacts go to
    <project>/.sagelab/artifacts/<ident> (project: home by default, see project_dir). With interrupt
    (installed by the caller), SIGINT/SIGTERM stop the run and the result says what was done before."""
    project = project or home
    ident = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    artifacts = project / ".sagelab" / "artifacts" / ident
    report_dir = artifacts / "reports"
    report_dir.mkdir(parents=True, mode=0o700)

    collector = _EventCollector()
    if interrupt:
        interrupt.collector = collector

    def event_handler(event: dict[str, Any]) -> bool:
        collector(event)
        if on_event:
            on_event(event)
        return True  # keep the event in artifacts/job_events

    inventories = request.inventories or [str(home / DEFAULT_INVENTORY)]
    try:
        run = ansible_runner.run(
            private_data_dir=str(project / ".sagelab"),
            project_dir=str(home),
            artifact_dir=str(artifacts.parent),
            ident=ident,
            rotate_artifacts=int(os.environ.get("SAGELAB_KEEP_ARTIFACTS", ROTATE_ARTIFACTS)),
            suppress_env_files=True,
            playbook=_absolute(str(request.playbook)),
            inventory=[_absolute(i) if Path(i).expanduser().exists() else i for i in inventories],
            limit=request.limit,
            # the roles' controller-side outputs (delivered keys, caches, locks) default to the CLI's
            # state folder; a -e sagelab_state_dir=... of the user's wins
            cmdline=build_cmdline(replace(request, vars={"sagelab_state_dir": str(project / ".sagelab"),
                                                         **request.vars})),
            # last on the command line: where this run's reports go is the CLI's, whatever -e says
            extravars={"validate_report_dir": str(report_dir)},
            envvars={
                **ansible_environment(home, project),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                # ansible-playbook from the same environment as this CLI, activated or not
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
                **request.env,
            },
            event_handler=event_handler,
            passwords=request.passwords or None,
            cancel_callback=interrupt.cancel if interrupt else None,
            settings={"pexpect_timeout": Interrupt.POLL},
            quiet=True,
        )
    finally:
        if interrupt:
            interrupt.collector = None
        _scrub_command_file(artifacts / "command")
    stopped = interrupt.name if interrupt else None
    return PlaybookResult(
        playbook=str(request.playbook),
        status="interrupted" if stopped else run.status,
        rc=run.rc,
        # Ansible's own stats when it got to them; a stopped run's from its events
        stats=run.stats or collector.stats,
        failures=collector.failures,
        artifacts=artifacts,
        report_dir=report_dir,
        changed_tasks=collector.changed_tasks,
        interrupted=stopped,
        task=collector.task,
    )


def _scrub_command_file(path: Path) -> None:
    """ansible-runner always dumps the whole environment into artifacts/<ident>/command (even with
    suppress_env_files): mask credential-like variables and anything redact() recognises."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    env = data.get("env") or {}
    data["env"] = {k: MASK if SENSITIVE_ENV.search(k) else v for k, v in env.items()}
    path.write_text(json.dumps(redact_data(data)))
