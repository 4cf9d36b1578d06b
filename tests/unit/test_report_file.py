"""sagelab.sagemaker.report_file: the controller writes a report without a module run, in check mode too,
with the modes asked for; bad input is refused before anything is created."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ansible_module

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

MODULE = "sagelab.sagemaker.report_file"


def test_writes_the_report_atomically_and_never_reports_a_change(tmp_path):
    folder = tmp_path / "reports"
    data = {"host": "ws01", "ok": True, "versions": {"sagemaker": "2.257.7"}}
    res = ansible_module(MODULE, {"dir": str(folder), "name": "ws01", "data": data})
    assert res["changed"] is False and res["path"] == str(folder / "ws01.json")
    assert json.loads((folder / "ws01.json").read_text()) == data
    assert (folder / "ws01.json").read_text() == json.dumps(data, indent=4, sort_keys=True) + "\n"
    assert oct((folder / "ws01.json").stat().st_mode & 0o777) == "0o644"
    assert oct(folder.stat().st_mode & 0o777) == "0o755"
    assert [p.name for p in folder.iterdir()] == ["ws01.json"]  # no temporary file left


def test_check_mode_writes_too_and_private_modes_apply(tmp_path):
    folder = tmp_path / "aws"
    res = ansible_module(MODULE, {"dir": str(folder), "name": "summary", "data": {"bucket": "b"},
                                  "mode": "0600", "dir_mode": "0700"}, check=True)
    assert res["changed"] is False, res
    assert json.loads((folder / "summary.json").read_text()) == {"bucket": "b"}
    assert oct((folder / "summary.json").stat().st_mode & 0o777) == "0o600"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize(("args", "message"), [
    ({"dir": "relative/reports"}, "dir: 'relative/reports' is not allowed; allowed: an absolute path"),
    ({"name": "a/b"}, "name: 'a/b' is not allowed; allowed: a file name (no slashes)"),
    ({"mode": "rw-r--r--"}, "mode: 'rw-r--r--' is not allowed; allowed: an octal mode"),
    ({"dir_mode": "0999"}, "dir_mode: '0999' is not allowed; allowed: an octal mode"),
])
def test_bad_input_is_refused_before_anything_is_written(tmp_path, args, message):
    folder = tmp_path / "reports"
    res = ansible_module(MODULE, {"dir": str(folder), "name": "ws01", "data": {}, **args}, fails=True)
    assert message in res["msg"], res
    assert not folder.exists()
