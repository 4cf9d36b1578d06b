"""Filter sagelab.sagemaker.state_dir, in-process, and through a real ansible-playbook run."""

from __future__ import annotations

import importlib.util
import json

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import REPO, run_playbook

_spec = importlib.util.spec_from_file_location("state_dir", REPO / "plugins" / "filter" / "state_dir.py")
_filter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filter)
controller_state_dir, state_dir = _filter.controller_state_dir, _filter.state_dir


def test_xdg_state_home_else_local_state():
    assert controller_state_dir({"XDG_STATE_HOME": "/xdg/state"}) == "/xdg/state/sagelab"
    home_default = controller_state_dir({})
    assert home_default.endswith("/.local/state/sagelab")
    assert controller_state_dir({"XDG_STATE_HOME": "relative/ignored"}) == home_default


def test_the_named_folder_wins_and_parts_are_appended():
    assert state_dir("/srv/sagelab", "credentials") == "/srv/sagelab/credentials"
    assert state_dir(None, "reports") == controller_state_dir() + "/reports"
    assert state_dir("", "cache/wheelhouse").endswith("/.local/state/sagelab/cache/wheelhouse")


@pytest.mark.parametrize(("value", "parts", "named"), [
    ("relative/dir", (), "sagelab_state_dir: 'relative/dir'"),
    ("/ok", ("../escape",), "state_dir: '../escape'"),
    ("/ok", ("/abs",), "state_dir: '/abs'"),
])
def test_bad_values_are_refused_naming_the_variable(value, parts, named):
    with pytest.raises(AnsibleFilterError, match=named.replace(".", r"\.")):
        state_dir(value, *parts)


@pytest.mark.subprocess
def test_role_defaults_follow_xdg_state_home_on_the_controller(tmp_path):
    """No sagelab_state_dir: the roles' controller-side folders are in $XDG_STATE_HOME/sagelab, never
    relative to playbook_dir."""
    playbook = tmp_path / "show.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Show", "ansible.builtin.debug": {"msg": "{{ dirs }}"}, "vars": {"dirs": [
            "{{ sagelab_state_dir | default(none) | sagelab.sagemaker.state_dir('reports') }}",
            "{{ lookup('ansible.builtin.file', role_defaults ~ '/validate/defaults/main.yml') is search("
            "'sagelab.sagemaker.state_dir') }}"]}}]}]))
    run = run_playbook(str(playbook), "-e", f"role_defaults={REPO}/roles",
                       env={"XDG_STATE_HOME": str(tmp_path / "xdg")})
    assert run.rc == 0, run.stdout[-2000:]
    msg = run.data["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    assert msg[0] == str(tmp_path / "xdg" / "sagelab" / "reports") and msg[1] is True
