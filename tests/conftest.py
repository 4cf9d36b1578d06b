"""Shared helpers: run real ansible-playbook / ansible commands from the repository root."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from tests import return_docs

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Test sessions run in parallel workers (pytest-xdist) that all run the CLI from this checkout: no worker
# may rotate away the artifacts another one is about to read.
os.environ["SAGELAB_KEEP_ARTIFACTS"] = "0"


def ansible_env(**extra: str | None) -> dict[str, str]:
    """This machine's environment for Ansible runs, with `extra` on top (None removes a variable)."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        UV_SYSTEM_CERTS="1",
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    @property
    def stats(self) -> dict:
        return self.data.get("stats", {})

    def changed_tasks(self, host: str = "localhost") -> list[str]:
        """Names of the tasks that reported changed on host, in order (without the `role : ` prefix)."""
        return self.ran_tasks(host, changed=True)

    def ran_tasks(self, host: str = "localhost", changed: bool = False) -> list[str]:
        """Names of the tasks that ran on host (not skipped; only changed ones with changed=True)."""
        names = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                result = task.get("hosts", {}).get(host)
                if result and not result.get("skipped") and (result.get("changed") or not changed):
                    names.append(task["task"]["name"].rpartition(" : ")[2])
        return names

    def failure_messages(self, host: str | None = None) -> list[str]:
        """The failed tasks' messages, of every host or of one."""
        msgs = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                for name, result in task.get("hosts", {}).items():
                    if result.get("failed") and host in (None, name):
                        msgs.append(str(result.get("msg", "")))
                        # a loop's own msg is "One or more items failed": the items say why
                        msgs += [str(item.get("msg", "")) for item in result.get("results", [])
                                 if isinstance(item, dict) and item.get("failed")]
        return msgs


def run_playbook(playbook: str, *args: str, extra_vars: dict | None = None, env: dict | None = None,
                 timeout: int = 1200) -> PlaybookRun:
    cmd = [str(BIN / "ansible-playbook"), str(REPO / playbook), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(**(env or {})), capture_output=True, text=True,
                          timeout=timeout, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, json_document(proc.stdout))


def json_document(stdout: str) -> dict:
    """The json callback's document in ansible-playbook's stdout ({} when there is none); verbose output
    (-vvv), which may hold braces of its own, may precede it."""
    for match in reversed(list(re.finditer(r"^\{$", stdout, re.M))):
        try:
            return json.loads(stdout[match.start():])
        except ValueError:
            continue
    return {}


def cases_inventory(folder: Path, cases: dict[str, dict]) -> Path:
    """An inventory of one local host per case (host name -> its variables), each also holding what the
    repository's inventory gives localhost: one ansible-playbook run then tries every case, each host
    failing or passing on its own (one Ansible start-up instead of one per case)."""
    local = yaml.safe_load((REPO / "inventories" / "local" / "hosts.yml").read_text())
    base = local["workstations"]["hosts"]["localhost"]
    inventory = folder / f"cases-{uuid.uuid4().hex[:8]}.yml"
    inventory.write_text(json.dumps({"workstations": {"hosts": {
        host: {**base, **variables} for host, variables in cases.items()}}}))
    return inventory


def play(tasks: list[tuple], folder: Path, env: dict | None = None) -> list[dict]:
    """Several module runs in one ansible-playbook run (one Ansible start-up instead of one per run): the
    result of each task for localhost, failures included. A task is (module, args) or (module, args,
    task keywords such as check_mode, diff and environment)."""
    return _play(tasks, folder, env).results


class Played(NamedTuple):
    results: list[dict]  # each task's result for localhost
    calls: list[list[str]]  # the AWS operations each task sent (recorded_play only)
    seconds: list[float]  # each task's own duration, without Ansible's start-up


# A request moto's recorder keeps that is no AWS call and changes nothing: recorded_play() sends it before
# each task, so that the recording splits into what each task sent.
TASK_MARK = "/moto-api/state-manager/get-transition?model_name=sagelab-test-task-"


def recorded_play(tasks: list[tuple], folder: Path, url: str, env: dict | None = None) -> Played:
    """play() against the sandbox at url, with the AWS operations each task sent (moto's request recorder,
    split at a marker request the play sends before each task) and each task's duration."""
    call_api(url, "/moto-api/recorder/reset-recording")
    call_api(url, "/moto-api/recorder/start-recording")
    try:
        played = _play(tasks, folder, env, mark=url)
    finally:
        call_api(url, "/moto-api/recorder/stop-recording")
    current: list[str] | None = None
    for request in recorded_requests(url):
        if TASK_MARK in request.get("url", ""):
            current = played.calls[int(request["url"].rpartition(TASK_MARK)[2])]
        elif current is not None:
            current.append(operation(request))
    return played


def _play(tasks: list[tuple], folder: Path, env: dict | None, mark: str | None = None) -> Played:
    playbook = folder / f"{uuid.uuid4().hex}.yml"
    steps = []
    for i, task in enumerate(tasks):
        if mark:
            # a lookup in an action that runs in the controller: no module process, unlike uri
            marker = f"{{{{ lookup('ansible.builtin.url', '{mark}{TASK_MARK}{i}', use_proxy=False) }}}}"
            steps.append({"name": f"Mark {i}", "ansible.builtin.debug": {"msg": marker}})
        steps.append({"name": f"Task {i}", task[0]: task[1], "ignore_errors": True,
                      **(task[2] if len(task) > 2 else {})})
    plays = [{"name": "Tasks", "hosts": "localhost", "connection": "local", "gather_facts": False,
              "tasks": steps}]
    playbook.write_text(json.dumps(plays))
    run = run_playbook(str(playbook), env=env)
    done = [task for task in run.data.get("plays", [{}])[0].get("tasks", [])
            if task["task"]["name"].startswith("Task ")]
    assert len(done) == len(tasks), run.stdout[-3000:] + run.stderr[-3000:]
    results = [task["hosts"]["localhost"] for task in done]
    for task, result in zip(tasks, results, strict=True):
        _check_return_docs(task[0], result)
    seconds = [(datetime.fromisoformat(task["task"]["duration"]["end"])
                - datetime.fromisoformat(task["task"]["duration"]["start"])).total_seconds() for task in done]
    return Played(results, [[] for _unused in tasks], seconds)


def preflight_refusals(playbook: str, cases: dict[str, dict], folder: Path,
                       env: dict | None = None) -> dict[str, list[str] | None]:
    """Each case's variables through the first play of a playbook (its preflight: the input checks it runs
    before anything changes), read from the playbook itself, one block per case in one ansible-playbook
    run: the messages of each case's refusal (the failed task's msg and its failed items'), None for a case
    that passed. That a refusal there stops the whole playbook is for one real run of it to prove."""
    first = yaml.safe_load((REPO / playbook).read_text())[0]
    blocks = []
    for case, variables in cases.items():
        quoted = json.dumps(case)
        blocks.append({"name": f"Case {case}", "vars": variables, "block": [
            *first["tasks"],
            {"name": f"Record that {case} passed", "ansible.builtin.set_fact": {
                "cases_passed": f"{{{{ cases_passed + [{quoted}] }}}}"}}],
            "rescue": [{"name": f"Record the refusal of {case}", "ansible.builtin.set_fact": {
                "cases_refused": f"{{{{ cases_refused | combine({{{quoted}: ansible_failed_result}}) }}}}"},
            }]})
    outcomes = {"passed": "{{ cases_passed }}", "refused": "{{ cases_refused }}"}
    plays = [{"name": first["name"], "hosts": "localhost", "connection": "local",
              "gather_facts": first.get("gather_facts", False),
              "vars": {"cases_passed": [], "cases_refused": {}},
              "tasks": [*blocks, {"name": "Show the outcomes", "ansible.builtin.debug": {"msg": outcomes}}]}]
    path = folder / f"{uuid.uuid4().hex}.yml"
    path.write_text(json.dumps(plays))
    run = run_playbook(str(path), env=env)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    outcome = run.data["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"]
    refusals: dict[str, list[str] | None] = dict.fromkeys(cases)
    for case, failed in outcome["refused"].items():
        refusals[case] = [str(failed.get("msg", ""))] + [
            str(item.get("msg", "")) for item in failed.get("results", [])
            if isinstance(item, dict) and item.get("failed")]
    assert set(outcome["passed"]).isdisjoint(outcome["refused"]), outcome
    return refusals


def assert_refused_before_any_call(refusals: dict[str, list[str] | None], cases: list[tuple[dict, str]],
                                   case: tuple[dict, str], calls: list[str]) -> None:
    """One (variables, message) case of a file's bad-input list, run through preflight_refusals() with the
    cases keyed by their index: it was refused with the message among its failures, and the run made no
    AWS call (calls: what the sandbox recorded)."""
    extra, message = case
    messages = refusals[str(cases.index(case))]
    assert messages is not None, f"{extra} passed the playbook's preflight"
    assert any(message in failure for failure in messages), messages
    assert calls == [], calls  # not a single AWS call


def assert_stopped_in_preflight(whole: PlaybookRun, message: str, preflight_play: str,
                                calls: list[str]) -> None:
    """A whole run of a playbook with bad input: it failed with the message, its second play never started,
    and it made no AWS call (calls: what the sandbox recorded)."""
    assert whole.rc != 0
    assert any(message in failure for failure in whole.failure_messages()), whole.failure_messages()
    assert [play["play"]["name"] for play in whole.data["plays"]] == [preflight_play]
    assert calls == [], calls


def play_steps(steps: dict, folder: Path, env: dict | None = None) -> dict:
    """play() with named steps (any hashable name -> task): each step's result by its name."""
    return dict(zip(steps, play(list(steps.values()), folder, env=env), strict=True))


def ansible_module(module: str, args: dict, *, check: bool = False, diff: bool = False,
                   env: dict | None = None, fails: bool = False) -> dict:
    """Run one module ad hoc on localhost with real `ansible`; its result for localhost, which must have
    failed exactly when `fails` is true. env values of None remove the variable."""
    cmd = [str(BIN / "ansible"), "localhost", "-c", "local", "-m", module, "-a", json.dumps(args)]
    cmd += ["--check"] if check else []
    cmd += ["--diff"] if diff else []
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(**(env or {})), capture_output=True, text=True,
                          check=False)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"no JSON from ansible (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    if bool(result.get("failed")) is not fails:
        pytest.fail(f"{module} {'failed' if result.get('failed') else 'succeeded'} unexpectedly: {result}")
    _check_return_docs(module, result)
    return result


def _check_return_docs(module: str, result: dict) -> None:
    """Fail the test when the module returned keys its RETURN does not document (tests/return_docs.py)."""
    missing = return_docs.undocumented(module, result)
    if missing:
        pytest.fail(f"{module} returned keys its RETURN does not document: {', '.join(missing)}")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@dataclass(frozen=True)
class RunningSandbox:
    """The session's embedded AWS sandbox: where it listens, and the environment that points AWS SDKs,
    the AWS CLI and amazon.aws modules at it (merge env into a subprocess's environment)."""

    endpoint_url: str
    env: dict[str, str]
    home: Path  # its state folder's parent: SAGELAB_SANDBOX_HOME makes `sagelab up` reuse it


def _start_sandbox(tmp_path_factory: pytest.TempPathFactory,
                   request: pytest.FixtureRequest) -> RunningSandbox:
    """A sandbox process (sagelab.sandbox.start), stopped when the requesting fixture's scope ends.

    A separate process, so that moto's patched classes and global state stay out of the test process.
    """
    from sagelab import sandbox as sandbox_module

    home = tmp_path_factory.mktemp("sandbox-home")
    state = sandbox_module.start(home)
    request.addfinalizer(lambda: sandbox_module.stop(home))
    return RunningSandbox(state["endpoint_url"], sandbox_module.client_env(state["endpoint_url"]), home)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> RunningSandbox:
    """One sandbox for the whole session (a worker's, under pytest-xdist): tests share its account, so
    each names what it makes with unique() and never counts what others may have left."""
    return _start_sandbox(tmp_path_factory, request)


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> RunningSandbox:
    """A sandbox of the test file's own, for tests that need an account nobody else has touched (what
    `sagelab up` meets in a new account depends on what is already there, e.g. adopting a Studio domain)."""
    return _start_sandbox(tmp_path_factory, request)


@pytest.fixture(scope="session")
def shared_estate(tmp_path_factory: pytest.TempPathFactory):
    """The session's one converged AWS estate (tests/aws_estate.py), built once under a file lock and shared
    by the pytest-xdist workers: its endpoint, names, extra_vars(), snapshot() and the build's recorded
    runs (`shared_estate.runs["converge"]` ...). Only for tests that read: a test that changes or destroys
    AWS state builds its own estate."""
    from tests import aws_estate

    return aws_estate.get(tmp_path_factory)


def pytest_sessionfinish(session):
    """The xdist controller (or, without xdist, the one process) stops the shared
    estate's sandbox once every worker is done."""
    if hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)  # None: no test asked for a temporary folder
    if base is not None:
        from tests import aws_estate

        aws_estate.stop(base)


# -- the sandbox's own endpoints and moto's request recorder, shared by the AWS tests and drills --

def unique(prefix: str) -> str:
    """A name no other test uses (lowercase: moto derives a Studio domain ID from it)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call_api(url: str, path: str, body: dict | None = None, method: str = "POST") -> str:
    """The sandbox's own endpoints and moto's /moto-api/ (never through a proxy)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        return reply.read().decode()


SCHEDULER_METHODS = {"GET": "GetSchedule", "POST": "CreateSchedule", "PUT": "UpdateSchedule",
                     "DELETE": "DeleteSchedule"}


def operation(request: dict) -> str:
    """A recorded request's AWS operation: X-Amz-Target (JSON protocol), Action (query: STS, IAM), the
    Scheduler's REST-JSON calls by name (GET /schedules/n -> GetSchedule), else method and path."""
    target = request["headers"].get("X-Amz-Target")
    if target:
        return target.rpartition(".")[2]
    body = request.get("body") or ""
    if request.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    url = urlsplit(request.get("url", ""))
    action = parse_qs(body).get("Action") or parse_qs(url.query).get("Action")
    if action:
        return action[0]
    path, method = unquote(url.path), request.get("method", "GET")
    if path.startswith("/schedules"):
        return "ListSchedules" if path.rstrip("/") == "/schedules" else SCHEDULER_METHODS[method]
    return f"{method} {path}"


READ_PREFIXES = ("Describe", "List", "Get", "GET ", "HEAD ")


def writes(operations: list[str]) -> list[str]:
    """The write calls among recorded operations."""
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
        operations.extend(operation(request) for request in recorded_requests(url))


def recorded_requests(url: str) -> list[dict]:
    """The requests moto's recorder holds (the last recording), as recorded."""
    lines = call_api(url, "/moto-api/recorder/download-recording", method="GET")
    return [json.loads(line) for line in lines.splitlines() if line.strip()]


# The test files that take longest, started first. With --dist loadfile a file's tests run on one worker,
# and a long file handed out last keeps one worker busy while the other has nothing left: in a clean-clone
# run on 2 cores (2026-12-08) pytest's last 180 s ran at half the cores, test_interrupt.py (82 s, one test,
# last by xdist's default order of most tests first) among them. scripts/test passes --no-loadscope-reorder
# so that pytest-xdist hands files out in this order. The figures: wall seconds of each file's tests in
# that run (the "slowest 10 test files" summary below prints them for every run).
LONGEST_FIRST = {
    "tests/integration/test_aws_access.py": 387,  # builds the shared estate (161 s) first
    "tests/integration/test_workstation.py": 234,
    "tests/integration/test_studio.py": 189,
    "tests/integration/test_notebook_instance.py": 187,
    "tests/integration/test_up.py": 163,
    "tests/integration/test_wheelhouse.py": 149,
    "tests/drills/test_aws_playbooks.py": 132,  # reads the shared estate: after test_aws_access started it
    "tests/unit/test_cli.py": 106,
    "tests/integration/test_conda.py": 101,  # in the next run, before this list named it
    "tests/integration/test_book_notebook.py": 98,
    "tests/integration/test_teardown.py": 85,
    "tests/integration/test_interrupt.py": 82,
}


def pytest_collection_modifyitems(config, items):
    """Longest files first (LONGEST_FIRST), each file's tests in their own order, then the rest as
    collected."""
    missing = [path for path in LONGEST_FIRST if not (REPO / path).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py LONGEST_FIRST names files that do not exist: {missing}")
    rank = {path: -seconds for path, seconds in LONGEST_FIRST.items()}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], 0))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """SAGELAB_CPU_PROFILE=FILE: append each test's CPU seconds (setup, call and teardown; its own and
    its finished subprocesses', Ansible's forks included; containers' not) to FILE, a line each."""
    out = os.environ.get("SAGELAB_CPU_PROFILE")
    if not out:
        yield
        return
    import resource

    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    started = cpu()
    yield
    with open(out, "a") as f:
        f.write(f"{cpu() - started:.1f}\t{item.nodeid}\n")


def pytest_terminal_summary(terminalreporter):
    """The ten slowest test files (their tests' setup, call and teardown summed; with --dist loadfile a
    file's tests run one after the other on one worker), at the end of every run, so CI's log shows which
    file a regression is in."""
    seconds: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) in ("setup", "call", "teardown"):
                path = report.nodeid.split("::", 1)[0]
                seconds[path] = seconds.get(path, 0.0) + report.duration
    if len(seconds) > 1:
        terminalreporter.write_sep("=", "slowest 10 test files")
        for path, spent in sorted(seconds.items(), key=lambda item: -item[1])[:10]:
            terminalreporter.write_line(f"{spent:8.1f}s  {path}")
