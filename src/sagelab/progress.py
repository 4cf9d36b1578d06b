"""Show a playbook's progress from runner events: a live rich display, plain lines, or nothing."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from sagelab.redact import redact

HOST_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
MAX_HOST_LINES = 10


class Progress:
    """Event handler for ansible-runner; use as a context manager around the run.

    live: redraw a status (play, task, per-host counts) in place; otherwise print one plain line per
    task start unless quiet. show_output: also print Ansible's own stdout lines (-v)."""

    def __init__(self, console: Console, *, live: bool, quiet: bool, show_output: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.show_output = show_output
        self.play = ""
        self.task = ""
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self._live = Live(console=console, transient=True, refresh_per_second=8) if live else None

    def __enter__(self) -> Progress:
        if self._live:
            self._live.update(self._render())
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        name = event.get("event", "")
        data = event.get("event_data", {})
        if name == "playbook_on_play_start":
            self.play = data.get("play", "")
        elif name == "playbook_on_task_start":
            self.task = data.get("task", "")
            if not self._live and not self.quiet and not self.show_output:
                self.console.print(redact(f"[{self.play}] {self.task}"), markup=False, highlight=False,
                                   soft_wrap=True)
        elif name in HOST_EVENTS and not (name == "runner_on_failed" and data.get("ignore_errors")):
            self.counts[data.get("host", "?")][HOST_EVENTS[name]] += 1
            if name == "runner_on_ok" and (data.get("res") or {}).get("changed"):
                self.counts[data.get("host", "?")]["changed"] += 1
        if self.show_output and event.get("stdout"):
            self.console.print(Text(redact(event["stdout"])), highlight=False, soft_wrap=True)
        if self._live:
            self._live.update(self._render())

    def _render(self) -> Group:
        head = Text.assemble((redact(self.play) or "starting", "bold"), "  ", redact(self.task))
        lines = [Spinner("dots", text=head)]
        for host in sorted(self.counts)[:MAX_HOST_LINES]:
            c = self.counts[host]
            line = Text(f"  {redact(host)}: ", style="bold")
            line.append(f"ok {c['ok']}  ", "green")
            line.append(f"changed {c['changed']}  ", "yellow")
            line.append(f"failed {c['failed']}  ", "red" if c["failed"] else "")
            line.append(f"unreachable {c['unreachable']}  ", "red" if c["unreachable"] else "")
            line.append(f"skipped {c['skipped']}", "cyan")
            lines.append(line)
        if len(self.counts) > MAX_HOST_LINES:
            lines.append(Text(f"  … and {len(self.counts) - MAX_HOST_LINES} more hosts", style="dim"))
        return Group(*lines)
