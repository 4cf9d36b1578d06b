"""roles/validate/files/sagelab_check_env.py run directly (the validate role runs it inside the env)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import BIN, REPO

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

SCRIPT = REPO / "roles" / "validate" / "files" / "sagelab_check_env.py"


def check_env(*args: str) -> dict:
    proc = subprocess.run([str(BIN / "python"), str(SCRIPT), "--host", "h", "--route", "venv", *args],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_without_a_kernel_the_second_run_is_answered_from_the_cache(tmp_path):
    cache = str(tmp_path / "validation.json")
    first = check_env("--packages", "boto3", "--cache", cache)
    assert first["ok"] is True and not first.get("cached"), first
    assert [c["name"] for c in first["checks"]] == ["boto3 installed", "import boto3"]
    again = check_env("--packages", "boto3", "--cache", cache)
    assert again["cached"] is True and again["checks"] == first["checks"], again
