"""The unit step's contract: a test under tests/unit/ runs in this process, or says otherwise.

A test that starts a program (ansible-playbook, ansible, ansible-doc, ansible-galaxy, ansible-runner's
pexpect, the sagelab CLI, the sandbox server, another interpreter) is marked `subprocess`;
`scripts/test unit` leaves those out and stays fast. An unmarked test that starts a program anyway fails
here, in its setup or call, naming the program and the marker - in the full run as in the unit step.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

MARKER = "subprocess"


class StartedAProcess(AssertionError):
    """An unmarked unit test started a program."""


def _refuse(what: str, nodeid: str) -> Callable[..., Any]:
    def refused(*args: Any, **_kwargs: Any) -> Any:
        shown = args[1] if what == "subprocess.Popen" and len(args) > 1 else args[:1]
        raise StartedAProcess(f"{nodeid} starts a program ({what} {shown!r}): an in-process unit test may "
                              f"not; mark it @pytest.mark.{MARKER} (scripts/test unit then leaves it out)")
    return refused


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _Guarded(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _Guarded(item):
        yield


class _Guarded:
    """Every way Python starts a program, refused while an unmarked test's setup or call runs (not its
    teardown: a wider fixture that a marked test made may be torn down after an unmarked one)."""

    TARGETS = ((subprocess.Popen, "__init__", "subprocess.Popen"), (os, "fork", "os.fork"),
               (os, "forkpty", "os.forkpty (pty, pexpect)"), (os, "posix_spawn", "os.posix_spawn"),
               (os, "posix_spawnp", "os.posix_spawnp"), (os, "system", "os.system"),
               (os, "execv", "os.execv"), (os, "execve", "os.execve"))

    def __init__(self, item: pytest.Item) -> None:
        self.active = item.get_closest_marker(MARKER) is None
        self.nodeid = item.nodeid
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> None:
        if not self.active:
            return
        for owner, name, what in self.TARGETS:
            if hasattr(owner, name):
                self.saved.append((owner, name, getattr(owner, name)))
                setattr(owner, name, _refuse(what, self.nodeid))

    def __exit__(self, *_exc: object) -> None:
        for owner, name, original in reversed(self.saved):
            setattr(owner, name, original)
        self.saved.clear()
