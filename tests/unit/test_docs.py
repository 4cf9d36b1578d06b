"""Every module renders with ansible-doc; every role documents and types each of its variables."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.conftest import BIN, REPO, ansible_env

MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "defaults" / "main.yml").is_file())


def ansible_doc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ansible-doc"), *args], cwd=REPO, env=ansible_env(),
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.subprocess
def test_module_renders_with_ansible_doc(module):
    proc = ansible_doc(f"sagelab.sagemaker.{module}")
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    for section in ("OPTIONS", "ATTRIBUTES", "EXAMPLES", "RETURN VALUES"):
        assert section in proc.stdout, section


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.subprocess
def test_role_variables_are_documented_and_typed(role):
    root = REPO / "roles" / role
    defaults = yaml.safe_load((root / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((root / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    options = specs["main"]["options"]
    readme = (root / "README.md").read_text()
    for var in defaults:
        assert var.startswith(f"{role}_"), f"{var}: role variables start with {role}_"
        assert var in options, f"{var} is not in meta/argument_specs.yml"
        assert "type" in options[var], f"{var} has no type in meta/argument_specs.yml"
        assert f"`{var}`" in readme, f"{var} is not in roles/{role}/README.md"
    proc = ansible_doc("-t", "role", f"sagelab.sagemaker.{role}")
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("role", ROLES)
def test_role_spec_defaults_are_the_real_values(role):
    """A default in meta/argument_specs.yml is a value and the one defaults/main.yml gives; a default that
    defaults/main.yml computes (a template) has no `default:` in the spec and is told in the description."""
    root = REPO / "roles" / role
    defaults = yaml.safe_load((root / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((root / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    for entry_point, spec in specs.items():
        assert spec.get("short_description") and spec.get("description"), f"{entry_point}: no description"
        for var, option in (spec.get("options") or {}).items():
            value = defaults.get(var)
            description = option["description"]
            if isinstance(value, str) and "{{" in value:
                assert "default" not in option, f"{entry_point}: {var}'s default is computed: describe it"
                assert "Default:" in (" ".join(description) if isinstance(description, list) else description)
            elif "default" in option:
                assert option["default"] == value, f"{entry_point}: {var}: {option['default']!r} != {value!r}"


@pytest.mark.parametrize("role", ROLES)
def test_internal_entry_points_say_so(role):
    path = REPO / "roles" / role / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(path.read_text())["argument_specs"]
    for entry_point in set(specs) & {"preflight", "converged"}:
        assert specs[entry_point]["short_description"].startswith("Internal"), entry_point
        assert specs[entry_point]["options"] == specs["main"]["options"], entry_point
