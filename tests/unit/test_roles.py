"""The workstation roles declared once (plugins/module_utils/_roles.py), the filters that read them, and
the places that must agree with them: the workstation playbook's static role list and the fast path."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
import yaml

from tests.conftest import REPO, run_playbook

_spec = importlib.util.spec_from_file_location("_roles", REPO / "plugins" / "module_utils" / "_roles.py")
_roles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_roles)

# What each setting of the catalogue is written as in playbooks/workstation.yml's `roles:` list.
WHEN = {None: None, "venv": "sagelab_route | default('venv') == 'venv'",
        "conda": "sagelab_route | default('venv') == 'conda'",
        "wheelhouse": "sagelab_wheelhouse | default(false) | bool",
        "aws_cli": "sagelab_aws_cli_enabled | default(true) | bool"}


@pytest.mark.parametrize(("route", "settings", "roles"), [
    ("venv", {}, ["python", "venv", "sagemaker_sdk", "jupyter_kernel", "aws_cli", "validate"]),
    ("conda", {"aws_cli": False}, ["python", "conda", "sagemaker_sdk", "jupyter_kernel", "validate"]),
    ("venv", {"wheelhouse": True, "validate": False},
     ["wheelhouse", "python", "venv", "sagemaker_sdk", "jupyter_kernel", "aws_cli"]),
])
def test_the_roles_that_run_for_a_route_and_settings(route, settings, roles):
    assert _roles.workstation_roles(route, **settings) == roles


def test_an_unknown_route_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match=r"sagelab_route: 'pip' is not a known route; allowed: venv, conda"):
        _roles.workstation_roles("pip")


def test_the_workstation_playbook_runs_the_catalogue_in_its_order_and_conditions():
    plays = yaml.safe_load((REPO / "playbooks" / "workstation.yml").read_text())
    listed = [(entry["role"].removeprefix("sagelab.sagemaker."), entry.get("when"))
              for entry in plays[1]["roles"]]
    assert listed == [(role, WHEN[setting]) for role, setting in _roles.WORKSTATION_ROLES]


def test_every_role_of_the_catalogue_exists_with_argument_specs_and_a_preflight():
    for role, _setting in _roles.WORKSTATION_ROLES:
        assert (REPO / "roles" / role / "meta" / "argument_specs.yml").is_file(), role
        assert (REPO / "roles" / role / "tasks" / "preflight.yml").is_file(), role


def test_role_options_are_every_entry_points_options():
    options = _roles.role_options(["jupyter_kernel", "validate"])
    assert "jupyter_kernel_display_name" in options and "validate_timeout" in options
    assert options == sorted(set(options)) and not any(o.startswith("python_") for o in options)
    with pytest.raises(FileNotFoundError):
        _roles.role_options(["no_such_role"])


@pytest.mark.subprocess
def test_the_fast_path_fingerprints_every_role_option_set_and_no_ignored_one(tmp_path):
    """The expression roles/validate/tasks/converged.yml fingerprints, rendered in a real run: an option of
    any workstation role (whatever the route) is in it when set, a variable no role declares is not."""
    tasks = yaml.safe_load((REPO / "roles" / "validate" / "tasks" / "converged.yml").read_text())
    names = tasks[0]["vars"]["validate_fp_names"]
    ignore = yaml.safe_load((REPO / "roles" / "validate" / "defaults" / "main.yml").read_text())[
        "validate_fast_path_ignore"]
    playbook = tmp_path / "names.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"validate_fast_path_ignore": ignore},
        "tasks": [{"name": "Names", "ansible.builtin.debug": {"msg": names}}]}]))
    # every option of every workstation role of the one list, set at once: each one must be fingerprinted,
    # so changing any of them on a converged host makes the fast path step aside
    # (test_workstation.py::test_changed_input_or_a_changed_host_leaves_the_fast_path shows that step)
    every = {name for role, _setting in _roles.WORKSTATION_ROLES for name in _roles.role_options([role])}
    ignored = {name for name in every if re.match(ignore, name)}
    # the report's folder is output, and the ignore list itself is how the fingerprint is taken
    assert ignored == {"validate_report_dir", "validate_fast_path_ignore"}, ignored
    run = run_playbook(str(playbook), extra_vars={
        **{name: f"changed-{name}" for name in every - ignored},
        "sagelab_route": "venv", "sagelab_serial": 2, "python_not_an_option": 1})
    assert run.rc == 0, run.stdout[-2000:]
    msg = run.data["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    wanted = (every - ignored) | {"sagelab_route"}
    assert len(wanted) > 40 and sorted(wanted - set(msg)) == [], sorted(wanted - set(msg))
    assert "sagelab_serial" not in msg and "python_not_an_option" not in msg, msg
    assert msg == sorted(msg)


@pytest.mark.parametrize("playbook", ["up_aws.yml", "aws_access.yml", "notebook.yml", "studio.yml",
                                      "schedule.yml"])
def test_a_playbooks_preflight_checks_exactly_the_roles_it_runs(playbook):
    """A role added to a play's roles: and not to its preflight would change things before its input was
    checked; one left in the preflight and not run would refuse input nothing uses."""
    plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    checked: list[str] = []
    for task in plays[0]["tasks"]:
        include = task.get("ansible.builtin.include_role") or {}
        if include.get("tasks_from") == "preflight":
            name = include["name"].removeprefix("sagelab.sagemaker.")
            checked += task["loop"] if name == "{{ sagelab_role }}" else [name]
    ran = [entry["role"].removeprefix("sagelab.sagemaker.")
           for play in plays[1:] for entry in play.get("roles", [])]
    assert checked and checked == ran, (checked, ran)
