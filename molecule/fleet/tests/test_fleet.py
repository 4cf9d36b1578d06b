"""The fleet after converge: in each container (testinfra over `podman exec`) the SDKs import and came
from the wheelhouse; from the control node, `sagelab validate` over Molecule's inventory reports every
host and check (JUnit XML, HTML)."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

ENV = "/root/workdir/sagemaker"
PY = f"{ENV}/bin/python"
HOSTS = ["sagelab-fleet-a1", "sagelab-fleet-a2", "sagelab-fleet-b1", "sagelab-fleet-b2"]
WHEELHOUSE = "/root/.local/share/sagelab/wheelhouse"


def test_the_sdks_import_with_the_pinned_versions(host):
    code = ("import json, importlib.metadata as m, boto3, pandas, sagemaker; "
            "print(json.dumps({p: m.version(p) for p in ('boto3', 'sagemaker', 'pandas')}))")
    versions = json.loads(host.check_output(f"{PY} -c \"{code}\"").splitlines()[-1])
    assert versions["sagemaker"] == "2.257.7"


def test_the_packages_are_the_wheelhouse_lock(host):
    (copy,) = host.check_output(f"ls -d {WHEELHOUSE}/*/").split()
    py = host.check_output("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert Path(copy).name.startswith(py + "-manylinux_2_")
    text = host.file(f"{copy}requirements.txt").content_string
    lock = dict(line.split("==") for line in text.split() if "==" in line)
    code = ("import json, importlib.metadata as m; "
            "print(json.dumps({d.name.lower(): d.version for d in m.distributions()}))")
    installed = json.loads(host.check_output(f"{PY} -c '{code}'"))
    for name in ("boto3", "botocore", "sagemaker", "pandas", "numpy"):
        assert installed[name] == lock[name], name


def test_the_kernel_name_follows_the_lab(host):
    specs = json.loads(host.check_output(f"{ENV}/bin/jupyter kernelspec list --json"))["kernelspecs"]
    lab_b = host.backend.get_hostname().startswith("sagelab-fleet-b")
    want = "Python (sagemaker, lab B)" if lab_b else "Python (sagemaker)"
    assert specs["sagemaker"]["spec"]["display_name"] == want


def test_sagelab_validate_reports_every_host_and_check(tmp_path):
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])  # the file and its group_vars/
    proc = subprocess.run([str(project / ".venv/bin/sagelab"), "validate", "-i", inventory, "--json",
                           "--report", str(tmp_path)],
                          cwd=project, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    cases = list(suites.iter("testcase"))
    by_host: dict[str, list[str]] = {}
    for case in cases:
        assert case.find("failure") is None and case.find("error") is None, ET.tostring(case, "unicode")
        by_host.setdefault(case.get("classname", "").rsplit(".", 1)[-1], []).append(case.get("name", ""))
    assert sorted(by_host) == HOSTS, sorted(by_host)
    checks = {tuple(sorted(names)) for names in by_host.values()}
    assert len(checks) == 1 and len(next(iter(checks))) >= 3, by_host  # the same checks on every host
    html = (tmp_path / "report.html").read_text()
    assert all(h in html for h in HOSTS)
