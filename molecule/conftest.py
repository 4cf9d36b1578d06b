"""Shared by the scenarios' testinfra tests (pytest loads it for every molecule/<scenario>/tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

# Starts the kernel as Jupyter does, runs `code` in it and prints the execute_request status and output.
KERNEL_RUN = """
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name={kernel!r}, startup_timeout=120)
out = []
try:
    reply = kc.execute_interactive(
        {code!r}, output_hook=lambda msg: out.append(msg["content"].get("text", "")), timeout=120)
    print(reply["content"]["status"], "".join(out))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


@pytest.fixture
def run_in_kernel(host) -> Callable[[str, str, str], list[str]]:
    """run(python, kernel, code): the output lines of `code` executed by the registered kernel, started
    with the jupyter_client of `python`'s environment; fails unless the kernel replied ok."""

    def run(python: str, kernel: str, code: str) -> list[str]:
        script = KERNEL_RUN.format(kernel=kernel, code=code)
        cmd = host.run(f"cat > /tmp/kernel_run.py <<'PYEOF'\n{script}\nPYEOF\n{python} /tmp/kernel_run.py")
        assert cmd.rc == 0, cmd.stderr
        lines = cmd.stdout.splitlines()
        assert lines and lines[0].startswith("ok "), cmd.stdout  # execute_request status
        return lines

    return run
