#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: python_packages
short_description: Ensure a Python virtual environment exists and holds the given packages (uv or pip)
version_added: "0.1.0"
description:
  - Creates the virtual environment O(venv) when it is missing, then ensures the requirement specs
    in O(requirements) are satisfied inside it.
  - Installs with L(uv,https://docs.astral.sh/uv/) when it is available (about 4 times faster than pip),
    with the environment's own pip otherwise.
  - Reports V(changed) only when the set of installed distributions (names and versions) changed,
    compared before and after; a satisfied requirement set makes no change and needs no index access.
  - In check mode nothing is written. The module asks the installer for a dry run (C(uv pip install
    --dry-run), C(pip install --dry-run --report)) and reports exactly the distributions that would be
    installed, upgraded or removed.
  - A distribution an interrupted install left half-copied (installed by uv or pip, or with no C(INSTALLER)
    yet, and missing a file its C(RECORD) lists) is reinstalled at its version with O(state=present);
    uv and pip themselves take it as installed, so a killed run would otherwise leave a broken environment
    behind for good. A C(.dist-info) folder with no C(METADATA) yet, on which uv and pip stop, is removed
    first; in check mode the installer's dry run cannot read past it, so the specs are shown as given.
  - An existing path that is not a virtual environment (no C(pyvenv.cfg)) is refused, never overwritten.
    An existing conda environment (a C(conda-meta/) folder, see M(sagelab.sagemaker.conda_env)) is
    accepted too; the packages go into it with its own interpreter.
options:
  venv:
    description:
      - Path of the virtual environment (or of an existing conda environment).
    type: path
    required: true
  requirements:
    description:
      - PEP 508 requirement specs, for example V(boto3), V(sagemaker>=2,<3) or V(pandas==2.2.3).
      - An empty list only ensures that the environment exists.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) installs what is missing or does not satisfy a spec.
      - V(absent) uninstalls the named distributions (version clauses are ignored); the environment stays.
    type: str
    choices: [present, absent]
    default: present
  python:
    description:
      - Interpreter the environment is created from when it is missing (a command on E(PATH) or a path).
    type: str
    default: python3
  installer:
    description:
      - V(auto) uses uv when O(uv) is set or C(uv) is on E(PATH), pip otherwise.
      - V(uv) requires uv; V(pip) uses C(python -m venv) and the environment's own pip.
    type: str
    choices: [auto, uv, pip]
    default: auto
  uv:
    description:
      - Path of the uv binary to use. Default - C(uv) on E(PATH).
    type: path
  seed:
    description:
      - Put pip (and setuptools where the interpreter does) into a new environment, so C(pip install)
        works inside it. Environments made with pip always have pip.
    type: bool
    default: true
  index_url:
    description:
      - Base URL of the package index. Default - the installer's (PyPI).
    type: str
  extra_index_urls:
    description:
      - More package index URLs.
    type: list
    elements: str
    default: []
  find_links:
    description:
      - Folders or URLs holding wheels (an offline wheelhouse).
    type: list
    elements: str
    default: []
  offline:
    description:
      - Install without any index access (uv C(--offline), pip C(--no-index)). With O(find_links), those
        folders are the only source (uv also gets C(--no-index), so index metadata in its cache cannot offer
        a version the wheelhouse does not hold); without them, uv installs from its cache.
    type: bool
    default: false
  system_certs:
    description:
      - Make uv trust the system's certificate store (E(UV_SYSTEM_CERTS)), as pip does, so TLS-intercepting
        proxies with a CA in the system store work.
    type: bool
    default: true
  cache_dir:
    description:
      - Folder for the installer's download cache; uv uses its C(uv/) subfolder (E(UV_CACHE_DIR)), pip its
        C(pip/) subfolder (E(PIP_CACHE_DIR)). Must be an absolute path.
      - The roles pass C(<sagelab_home>/.cache), so the caches sit in the managed user's home even where
        the connection's E(HOME) is another folder.
      - A cache the host's environment names (E(UV_CACHE_DIR) for uv, E(PIP_CACHE_DIR) for pip) is kept.
      - Default - the installer's own default (under E(XDG_CACHE_HOME) or E(HOME)).
    type: path
attributes:
  check_mode:
    support: full
    description: Reports the exact distributions that would change, without writing anything.
  diff_mode:
    support: full
    description: Shows the changed distributions as C(name==version) lines, before and after.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts (Linux, macOS).
notes:
  - Distribution names are compared normalized (PEP 503), so V(Jupyter_Client) and V(jupyter-client) are
    the same package.
  - Requirements are passed to the installer as arguments, never through a shell.
  - A password in an index or find-links URL (V(https://user:password@mirror/simple)) is masked in
    everything the module returns, its echoed arguments and failure messages included. A failed install
    names the index it used.
seealso:
  - module: ansible.builtin.pip
    description: The built-in module; it reports changed when pip merely re-checks a satisfied spec with
      some arguments, has no uv, and cannot tell in check mode what a spec with a version range would install.
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the book's environment holds boto3, the SageMaker SDK (v2) and pandas
  sagelab.sagemaker.python_packages:
    venv: ~/workdir/sagemaker
    requirements:
      - boto3
      - sagemaker>=2,<3
      - pandas

- name: Ensure an empty environment exists, built with pip only
  sagelab.sagemaker.python_packages:
    venv: /opt/envs/tools
    installer: pip
    python: /usr/bin/python3.11

- name: Install from a wheelhouse with no index access
  sagelab.sagemaker.python_packages:
    venv: ~/workdir/sagemaker
    requirements: [boto3, sagemaker==2.257.7, pandas]
    find_links: [/srv/wheelhouse]
    offline: true

- name: Remove a package
  sagelab.sagemaker.python_packages:
    venv: ~/workdir/sagemaker
    requirements: [scikit-learn]
    state: absent
"""

RETURN = r"""
venv:
  description: Absolute path of the environment.
  returned: always
  type: str
  sample: /home/ds/workdir/sagemaker
installer:
  description: The installer used, V(uv) or V(pip).
  returned: always
  type: str
  sample: uv
created:
  description: Whether the environment was (or in check mode would be) created.
  returned: always
  type: bool
  sample: false
installed:
  description: Distributions installed or upgraded, as C(name==version) (in check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: [boto3==1.43.11, s3transfer==0.16.0]
removed:
  description: Distributions removed or replaced by another version, as C(name==version).
  returned: always
  type: list
  elements: str
  sample: []
repaired:
  description: Distributions reinstalled (in check mode, that would be) because files their C(RECORD) lists
    were missing, as C(name==version).
  returned: always
  type: list
  elements: str
  sample: [botocore==1.43.11]
packages:
  description: Every distribution in the environment afterwards, normalized name to version
    (in check mode, as it would be when the installer reported versions).
  returned: always
  type: dict
  sample: {boto3: 1.43.11, pandas: 2.3.3}
diff:
  description: The changed distributions as C(name==version) lines.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Lines for the distributions removed or replaced.
      type: str
      returned: always
    after:
      description: Lines for the distributions installed or upgraded.
      type: str
      returned: always
"""

import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._python_env import (  # noqa: E402
    REQUIREMENT_RE,
    Installer,
    Probe,
    changes,
    find_uv,
    hide_url_passwords,
    is_environment,
    lines,
    normalize,
    pins,
)


def validate(params):
    """One message for bad input, or None."""
    for spec in params["requirements"]:
        if not isinstance(spec, str) or not REQUIREMENT_RE.match(spec):
            return (f"requirements: {spec!r} is not a valid requirement; allowed: a PEP 508 spec such as "
                    "'pandas', 'pandas==2.2.3' or 'boto3>=1.34,<2'")
    for key in ("index_url",):
        value = params[key]
        if value is not None and not re.match(r"^(https?|file)://", value):
            return f"{key}: {value!r} is not a URL; allowed: an http://, https:// or file:// URL"
    for value in params["extra_index_urls"]:
        if not re.match(r"^(https?|file)://", value):
            return f"extra_index_urls: {value!r} is not a URL; allowed: http://, https:// or file:// URLs"
    if params["cache_dir"] is not None and not os.path.isabs(params["cache_dir"]):
        return (f"cache_dir: {params['cache_dir']!r} is not an absolute path; allowed: an absolute folder "
                "path such as /home/user/.cache")
    venv = params["venv"]
    if os.path.lexists(venv) and not is_environment(venv):
        return (f"venv: {venv!r} exists but is not a Python virtual environment (no pyvenv.cfg) nor a conda "
                "environment (no conda-meta/); allowed: a missing path or an existing environment")
    return None


def check_mode_fresh(module, inst, specs):
    """Dry run for an environment that does not exist yet: uv dry-runs into a throwaway environment;
    pip cannot, so the specs themselves are reported."""
    p = module.params
    if not specs:
        return {}, {}
    if inst.uv:
        tmp = tempfile.mkdtemp(prefix="sagelab-dryrun-")
        try:
            scratch = os.path.join(tmp, "venv")
            inst.run([inst.uv, "venv", "--quiet", "--python", p["python"], scratch],
                     "creating a scratch environment")
            return inst.dry_run(specs, {}, python=os.path.join(scratch, "bin", "python"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {s: None for s in specs}, {}


def ensure_python_packages(module):
    p = module.params
    venv = os.path.abspath(p["venv"])
    specs = [s.strip() for s in p["requirements"]]
    inst = Installer(module, venv, find_uv(module))
    result = {"changed": False, "venv": venv, "installer": inst.name, "created": False,
              "installed": [], "removed": [], "repaired": [], "packages": {}}
    exists = is_environment(venv)

    if not exists:
        result["created"] = result["changed"] = True
        if module.check_mode:
            added, removed = ({}, {}) if p["state"] == "absent" else check_mode_fresh(module, inst, specs)
            return finish(module, result, {}, added, removed,
                          predicted={k: v for k, v in added.items() if v is not None})
        inst.run(inst.create_argv(venv, p["python"], p["seed"]), "creating the environment")

    probe = Probe(module, inst.python)
    before, broken = probe.versions, probe.broken
    if broken and p["state"] == "present":  # what an interrupted install left half-copied
        result["repaired"] = pins(broken)
        result["changed"] = True
        if not module.check_mode:
            for info in probe.unreadable:  # a dist-info without METADATA: uv and pip stop on it
                shutil.rmtree(info)
            inst.run(inst.repair_argv(broken), "repairing " + ", ".join(sorted(broken)))
    if p["state"] == "absent":
        wanted = {normalize(REQUIREMENT_RE.match(s).group("name")) for s in specs}
        present = sorted(n for n in wanted if n in before)
        if module.check_mode or not present:
            removed = {n: before[n] for n in present}
            after = {k: v for k, v in before.items() if k not in removed}
            return finish(module, result, before, {}, removed, predicted=after)
        inst.run(inst.uninstall_argv(present), "uninstalling " + ", ".join(present))
    elif specs:
        if module.check_mode and probe.unreadable:  # the installer's dry run would stop on them
            module.warn("check mode: the installer cannot read " + ", ".join(probe.unreadable) + " (an "
                        "interrupted install); a real run removes them first; the specs are shown as given")
            added, removed = {s: None for s in specs}, {}
            return finish(module, result, before, added, removed, predicted=before)
        if module.check_mode:
            added, removed = inst.dry_run(specs, before)
            after = {**{k: v for k, v in before.items() if k not in removed}, **added}
            return finish(module, result, before, added, removed, predicted=after)
        inst.run(inst.install_argv(specs), "installing " + ", ".join(specs))
    if module.check_mode:  # no specs: only the repair (if any) is foretold
        return finish(module, result, before, {}, {}, predicted=before)
    done = Probe(module, inst.python)
    after, broken = done.versions, done.broken
    if broken and p["state"] == "present":
        module.fail_json(msg=f"venv: {', '.join(pins(broken))} in {venv} still miss files their RECORD "
                             "lists after a reinstall", **result)
    added, removed = changes(before, after)
    return finish(module, result, before, added, removed, predicted=after)


def finish(module, result, before, added, removed, predicted):
    result["installed"] = pins(added)
    result["removed"] = pins(removed)
    result["packages"] = predicted
    result["changed"] = result["changed"] or bool(added or removed)
    if module._diff:
        repaired = "".join(f"{pin} (reinstalled: files were missing)\n" for pin in result["repaired"])
        result["diff"] = {"before": lines(removed), "after": lines(added) + repaired,
                          "before_header": f"{result['venv']} (removed or replaced)",
                          "after_header": f"{result['venv']} (installed or upgraded)"}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            venv=dict(type="path", required=True),
            requirements=dict(type="list", elements="str", default=[]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            python=dict(type="str", default="python3"),
            installer=dict(type="str", default="auto", choices=["auto", "uv", "pip"]),
            uv=dict(type="path"),
            seed=dict(type="bool", default=True),
            index_url=dict(type="str"),
            extra_index_urls=dict(type="list", elements="str", default=[]),
            find_links=dict(type="list", elements="str", default=[]),
            offline=dict(type="bool", default=False),
            system_certs=dict(type="bool", default=True),
            cache_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    hide_url_passwords(module, [module.params["index_url"], *module.params["extra_index_urls"],
                                *module.params["find_links"]])
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**ensure_python_packages(module))


if __name__ == "__main__":
    main()
