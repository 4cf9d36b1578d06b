"""The unit step's guard (tests/unit/conftest.py): an unmarked test cannot start a program, a marked one
can, and the guard is gone once the test is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_an_unmarked_test_cannot_start_a_program():
    with pytest.raises(AssertionError, match=r"starts a program .*mark it @pytest.mark.subprocess"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    with pytest.raises(AssertionError, match=r"os.forkpty"):  # pexpect, as ansible-runner uses it
        os.forkpty()


@pytest.mark.subprocess
def test_a_marked_test_may_start_one():
    assert subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True,
                          check=True).stdout == "42\n"
