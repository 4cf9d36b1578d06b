#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: conda_env
short_description: Ensure a conda environment with the given conda packages (and pip packages inside it)
version_added: "0.1.0"
description:
  - Creates or updates the conda environment O(name) (under O(root_prefix)/envs) or O(prefix) so that it
    satisfies the conda match specs O(specs) from O(channels), then installs the PyPI requirements O(pip)
    inside it with uv or the environment's own pip (the logic of M(sagelab.sagemaker.python_packages)).
  - The engine is an existing C(conda), C(mamba) or C(micromamba) binary, or
    L(py-rattler,https://pypi.org/project/py-rattler/) (a conda solver and installer from PyPI) run by
    O(rattler_python), for hosts where no conda binary can be installed.
  - Reports V(changed) only when the installed package set changed (conda packages compared by name,
    version and build before and after; pip packages by name and version).
  - In check mode the specs are solved and nothing is written; the result lists what would be installed
    and removed. Diff mode shows the environment's package list before and after.
  - O(lock_file) writes the solved environment as an explicit lock file (C(@EXPLICIT) and one package URL
    per line, as C(conda list --explicit --md5) prints); O(from_lock) installs exactly the packages of such
    a file, so lab machines can be rebuilt to the same package set.
  - Bad input is refused before anything changes, with one message naming the option - a channel URL
    with an unknown scheme, specs the solver cannot satisfy (its message, shortened), an environment path
    that exists but is not a conda environment, a requested engine that is missing.
options:
  name:
    description:
      - Name of the environment, created as O(root_prefix)/envs/O(name). Mutually exclusive with O(prefix).
    type: str
  prefix:
    description:
      - Full path of the environment. Mutually exclusive with O(name).
    type: path
  root_prefix:
    description:
      - Folder holding C(envs/) (for O(name)) and the package cache C(pkgs/).
    type: path
    default: ~/.conda
  specs:
    description:
      - Conda match specs, for example V(python), V(pandas>=2) or V(boto3 1.35.*).
      - Required with O(state=present) unless O(from_lock) is given.
    type: list
    elements: str
    default: []
  channels:
    description:
      - Channels in priority order - names (V(conda-forge)) or URLs (V(https://mirror.example/conda-forge),
        V(file:///srv/channel)). Only these channels are used (C(--override-channels)).
    type: list
    elements: str
    default: [conda-forge]
  prune:
    description:
      - V(false) keeps conda packages installed earlier besides O(specs) (as C(conda install) does);
        V(true) makes the environment exactly the solution of O(specs).
    type: bool
    default: false
  pip:
    description:
      - PEP 508 requirements installed with pip (or uv) inside the environment after the conda packages.
    type: list
    elements: str
    default: []
  pip_index_url:
    description:
      - Package index for O(pip). Default - PyPI.
    type: str
  pip_find_links:
    description:
      - Folders or URLs with wheels for O(pip).
    type: list
    elements: str
    default: []
  pip_cache_dir:
    description:
      - Folder for the download cache of the installer O(pip) uses (its C(uv/) or C(pip/) subfolder), as
        M(sagelab.sagemaker.python_packages) O(sagelab.sagemaker.python_packages#module:cache_dir).
        Must be an absolute path. Default - the installer's own default.
    type: path
  uv:
    description:
      - uv binary used for O(pip); default - C(uv) on E(PATH), else the environment's pip.
    type: path
  state:
    description:
      - V(present) creates or updates the environment; V(absent) deletes the environment's folder.
    type: str
    choices: [present, absent]
    default: present
  engine:
    description:
      - V(auto) uses O(engine_path), else the first of C(micromamba), C(mamba), C(conda) on E(PATH), else
        py-rattler.
      - Any other value requires that engine; a missing one is an error.
    type: str
    choices: [auto, conda, mamba, micromamba, rattler]
    default: auto
  engine_path:
    description:
      - Path of the C(conda), C(mamba) or C(micromamba) binary to use.
    type: path
  rattler_python:
    description:
      - A Python interpreter that can import C(rattler) (py-rattler 0.28 or newer), for the V(rattler) engine.
        Default - the interpreter running this module, when it has py-rattler.
    type: path
  lock_file:
    description:
      - Write the solved environment here as an explicit lock file (rewritten only when it differs).
    type: path
  from_lock:
    description:
      - Install exactly the packages of this explicit lock file (O(specs) and O(channels) are not used).
    type: path
attributes:
  check_mode:
    support: full
    description: Solves the specs and reports the packages that would change, without writing anything.
  diff_mode:
    support: full
    description: The environment's packages as C(name==version build) lines, before and after.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts (Linux, macOS).
notes:
  - With the V(rattler) engine the module runs a short script with O(rattler_python); package files are
    cached in O(root_prefix)/pkgs.
  - No conda binary is needed to use the environment - run its C(bin/python) or C(bin/jupyter) directly,
    or source an activation script such as the one the C(sagelab.sagemaker.conda) role writes.
seealso:
  - module: sagelab.sagemaker.python_packages
  - module: community.general.pipx
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the env conda-sagemaker with boto3, pandas and Jupyter from conda-forge, the SDK from PyPI
  sagelab.sagemaker.conda_env:
    name: conda-sagemaker
    root_prefix: ~/workdir/conda
    specs: [python, boto3, pandas, jupyter, ipykernel, pip]
    channels: [conda-forge]
    pip: ["sagemaker>=2,<3"]

- name: Use an offline channel and py-rattler from a tools venv, and record the solved set
  sagelab.sagemaker.conda_env:
    prefix: /opt/envs/lab
    specs: [python, pandas]
    channels: [file:///srv/conda-channel]
    engine: rattler
    rattler_python: ~/.local/share/sagelab/tools/bin/python
    lock_file: /srv/locks/lab.txt

- name: Rebuild another machine to exactly that set
  sagelab.sagemaker.conda_env:
    prefix: /opt/envs/lab
    from_lock: /srv/locks/lab.txt

- name: Remove the environment
  sagelab.sagemaker.conda_env:
    name: conda-sagemaker
    state: absent
"""

RETURN = r"""
prefix:
  description: Absolute path of the environment.
  returned: always
  type: str
  sample: /home/ds/workdir/conda/envs/conda-sagemaker
engine:
  description: The engine used - V(conda), V(mamba), V(micromamba) or V(rattler).
  returned: always
  type: str
  sample: rattler
created:
  description: Whether the environment was (or in check mode would be) created.
  returned: always
  type: bool
  sample: true
installed:
  description: Conda packages installed or changed, as C(name==version build) (in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: [pandas==2.3.3 py311_0]
removed:
  description: Conda packages removed or replaced, as C(name==version build).
  returned: always
  type: list
  elements: str
  sample: []
packages:
  description: The environment's conda packages afterwards (in check mode, as they would be), name to
    C(version build).
  returned: always
  type: dict
  sample: {python: 3.11.7 sagelab_0, pandas: 3.1.1 py311_0}
pip_installed:
  description: PyPI distributions installed or upgraded by O(pip), as C(name==version).
  returned: always
  type: list
  elements: str
  sample: [sagemaker==2.257.7]
pip_removed:
  description: PyPI distributions removed or replaced by O(pip), as C(name==version).
  returned: always
  type: list
  elements: str
  sample: []
explicit:
  description: The solved environment as explicit lock file lines (package URL C(#md5)).
  returned: when O(state=present)
  type: list
  elements: str
diff:
  description: The environment's conda packages before and after, as C(name==version build) lines.
  returned: when diff mode is on
  type: dict
"""

import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from importlib.util import find_spec  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import (  # noqa: E402
    _conda_rattler,
    _validators,
)
from ansible_collections.sagelab.sagemaker.plugins.module_utils._python_env import (  # noqa: E402
    REQUIREMENT_RE,
    Installer,
    changes,
    find_uv,
    hide_url_passwords,
    installed_set,
    pins,
    tail,
)

URL_SCHEMES = ("http", "https", "file")
BINARIES = ("micromamba", "mamba", "conda")


def env_path(params):
    if params["prefix"]:
        return os.path.abspath(params["prefix"])  # type path: ~ and $VARS expanded already
    return os.path.join(os.path.abspath(params["root_prefix"]), "envs", params["name"])


def read_lock(path):
    """The package URLs of an explicit lock file, or an error message."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as exc:
        return None, f"from_lock: {path!r} cannot be read: {exc.strerror}"
    urls = [line.strip() for line in text.splitlines() if re.match(r"^\s*(https?|file)://", line)]
    if "@EXPLICIT" not in text or not urls:
        return None, (f"from_lock: {path!r} is not an explicit lock file; allowed: '@EXPLICIT' followed by "
                      "one package URL per line (as written by lock_file or `conda list --explicit --md5`)")
    return urls, None


def validate(params):
    """One message for bad input, or None."""
    if params["pip_cache_dir"] is not None and not os.path.isabs(params["pip_cache_dir"]):
        return (f"pip_cache_dir: {params['pip_cache_dir']!r} is not an absolute path; allowed: an absolute "
                "folder path such as /home/user/.cache")
    if params["name"] is not None and not _validators.ENV_NAME_RE.match(params["name"]):
        return (f"name: {params['name']!r} is not a valid environment name; allowed: letters, digits, '.', "
                "'_' and '-' (no slashes or spaces), e.g. conda-sagemaker")
    for channel in params["channels"]:
        scheme = channel.split("://", 1)[0].lower() if "://" in channel else None
        if scheme is not None and scheme not in URL_SCHEMES:
            return (f"channels: {channel!r} has an unknown URL scheme {scheme!r}; allowed: https://, "
                    "http://, file:// URLs or a channel name such as conda-forge")
        if scheme is None and not _validators.CONDA_CHANNEL_NAME_RE.match(channel):
            return (f"channels: {channel!r} is neither a channel name nor a URL; allowed: a name such as "
                    "conda-forge, or an https://, http:// or file:// URL")
    for spec in params["specs"]:
        if not spec.strip():
            return "specs: an empty spec is not allowed; give conda match specs such as 'pandas>=2'"
    for spec in params["pip"]:
        if not REQUIREMENT_RE.match(spec):
            return (f"pip: {spec!r} is not a valid requirement; allowed: a PEP 508 spec such as 'sagemaker' "
                    "or 'sagemaker>=2,<3'")
    if params["state"] == "present" and not (params["specs"] or params["from_lock"]):
        return "specs: at least one conda spec is required with state=present (or give from_lock)"
    path = env_path(params)
    foreign = os.path.lexists(path) and not os.path.isdir(os.path.join(path, "conda-meta"))
    if foreign and (not os.path.isdir(path) or os.listdir(path)):
        what = "name" if params["name"] else "prefix"
        return (f"{what}: {path!r} exists but is not a conda environment (no conda-meta/); allowed: a "
                f"missing or empty folder or an existing conda environment. Choose another {what}, or "
                "remove it.")
    return None


class RattlerEngine:
    name = "rattler"

    def __init__(self, module, python):
        self.module, self.python = module, python

    def solve(self, prefix, specs, channels, explicit, apply):
        p = self.module.params
        request = {"prefix": prefix, "specs": specs, "channels": channels,
                   "explicit": explicit, "apply": apply, "prune": p["prune"],
                   "cache_dir": os.path.join(p["root_prefix"], "pkgs")}
        argv = [self.python, "-c", rattler_source()]
        rc, out, err = self.module.run_command(argv, data=json.dumps(request),
                                               environ_update={"PYTHONNOUSERSITE": "1"})
        try:
            answer = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.module.fail_json(msg=f"engine rattler: {self.python} failed (rc={rc}): {tail(err or out)}")
        if "error" in answer:
            fail_solver(self.module, what(self.module.params, specs), answer["error"])
        return answer["before"], answer["after"], answer["explicit"]


class CliEngine:
    """conda, mamba and micromamba share the commands and JSON answers used here."""

    def __init__(self, module, binary):
        self.module, self.binary = module, binary
        self.name = next((b for b in BINARIES if os.path.basename(binary).startswith(b)), "conda")

    def listing(self, prefix):
        if not os.path.isdir(os.path.join(prefix, "conda-meta")):
            return {}
        rc, out, err = self.module.run_command([self.binary, "list", "--json", "-p", prefix])
        if rc != 0:
            self.module.fail_json(msg=f"engine {self.name}: cannot list {prefix}: {tail(err or out)}")
        return {normalize_conda(d["name"]): f"{d['version']} {d.get('build_string', d.get('build', ''))}"
                for d in json.loads(out)}

    def solve(self, prefix, specs, channels, explicit, apply):
        before = self.listing(prefix)
        verb = "install" if before else "create"
        argv = [self.binary, verb, "-p", prefix, "--json", "--yes"]
        lock = None
        if explicit:
            fd, lock = tempfile.mkstemp(suffix=".txt")
            with os.fdopen(fd, "w") as f:
                f.write("@EXPLICIT\n" + "".join(u + "\n" for u in explicit))
            argv += ["--file", lock]
        else:
            argv += ["--override-channels"] + [a for c in channels for a in ("-c", c)] + ["--", *specs]
        argv += [] if apply else ["--dry-run"]
        try:
            rc, out, err = self.module.run_command(argv)
        finally:
            if lock:
                os.unlink(lock)
        try:
            answer = json.loads(out[out.index("{"):])
        except ValueError:
            answer = {}
        if rc != 0 or answer.get("error") or answer.get("success") is False:
            message = answer.get("message") or answer.get("error") or tail(err or out)
            fail_solver(self.module, what(self.module.params, specs), message)
        if apply:
            after = self.listing(prefix)
        else:
            actions = answer.get("actions", {})
            after = dict(before)
            for item in actions.get("UNLINK", []):
                after.pop(normalize_conda(item["name"]), None)
            for item in actions.get("LINK", []):
                after[normalize_conda(item["name"])] = f"{item['version']} {item.get('build_string', '')}"
        rc, out, _unused = self.module.run_command([self.binary, "list", "-p", prefix, "--explicit", "--md5"])
        lines = [line for line in out.splitlines() if "://" in line] if apply and rc == 0 else []
        return before, after, lines


def normalize_conda(name):
    return name.lower()


def rattler_source():
    loader = getattr(_conda_rattler, "__loader__", None)
    source = loader.get_source(_conda_rattler.__name__) if loader and hasattr(loader, "get_source") else None
    return source or inspect.getsource(_conda_rattler)


def what(params, specs):
    return f"from_lock: {params['from_lock']!r}" if params["from_lock"] else f"specs: {specs}"


def fail_solver(module, subject, message, limit=800):
    """The solver's message, shortened: its lines joined, at most `limit` characters."""
    text = " | ".join(line.strip() for line in str(message).strip().splitlines() if line.strip())
    text = text if len(text) <= limit else text[:limit] + " ..."
    module.fail_json(msg=f"{subject} cannot be installed: {text}")


def pick_engine(module):
    p = module.params
    wanted = p["engine"]
    if wanted in ("auto", "conda", "mamba", "micromamba"):
        binary = p["engine_path"]
        if binary and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            module.fail_json(msg=f"engine_path: {binary!r} is not an executable file; allowed: the path of a "
                             "conda, mamba or micromamba binary")
        candidates = BINARIES if wanted == "auto" else (wanted,)
        binary = binary or next((shutil.which(b) for b in candidates if shutil.which(b)), None)
        if binary:
            return CliEngine(module, binary)
        if wanted != "auto":
            module.fail_json(msg=f"engine: {wanted!r} was requested but no {wanted} binary is on PATH; "
                             "allowed: set engine_path, install it, or use engine=auto or engine=rattler")
    python = p["rattler_python"]
    if python:
        rc, out, err = module.run_command([python, "-c", "import rattler; print('rattler-ok')"])
        if rc != 0 or "rattler-ok" not in out:
            module.fail_json(msg=f"rattler_python: {python!r} cannot import rattler (py-rattler); allowed: "
                             f"an interpreter with py-rattler installed: {tail(err)}")
        return RattlerEngine(module, python)
    if find_spec("rattler") is not None:
        return RattlerEngine(module, sys.executable)
    what = "engine: 'rattler' was requested" if wanted == "rattler" else \
        "engine: 'auto' found no conda, mamba or micromamba binary on PATH"
    module.fail_json(msg=f"{what} and {sys.executable} has no py-rattler; allowed: set rattler_python to an "
                     "interpreter with py-rattler (pip install py-rattler), or engine_path to a conda binary")


def entries(packages):
    return [f"{k}=={v}" for k, v in sorted(packages.items())]


def ensure_absent(module, prefix, result):
    if not os.path.isdir(os.path.join(prefix, "conda-meta")):
        return result
    result["changed"] = True
    before = {}
    meta = os.path.join(prefix, "conda-meta")
    for n in os.listdir(meta):
        if n.endswith(".json"):
            name, version, build = n[:-5].rsplit("-", 2)
            before[name] = f"{version} {build}"
    result["removed"] = entries(before)
    if module._diff:
        result["diff"] = {"before": "".join(e + "\n" for e in entries(before)), "after": "",
                          "before_header": prefix, "after_header": prefix}
    if not module.check_mode:
        shutil.rmtree(prefix)
    return result


def ensure_pip(module, prefix, exists):
    """The pip part: python_packages' installer, for the environment's own interpreter."""
    p = module.params
    specs = [s.strip() for s in p["pip"]]
    if not specs:
        return {}, {}
    params = {"installer": "auto", "uv": p["uv"], "index_url": p["pip_index_url"], "extra_index_urls": [],
              "find_links": p["pip_find_links"], "offline": False, "system_certs": True,
              "cache_dir": p["pip_cache_dir"]}
    inst = Installer(module, prefix, find_uv(module, params), params=params)
    if module.check_mode and not exists:
        return {s: None for s in specs}, {}
    before = installed_set(module, inst.python)
    if module.check_mode:
        return inst.dry_run(specs, before)
    inst.run(inst.install_argv(specs), "installing " + ", ".join(specs))
    return changes(before, installed_set(module, inst.python))


def write_lock(module, path, explicit):
    text = "# conda explicit lock file written by sagelab.sagemaker.conda_env\n@EXPLICIT\n"
    text += "".join(line + "\n" for line in explicit)
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    if not module.check_mode:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        module.atomic_move(tmp, path)
    return True


def ensure_conda_env(module):
    p = module.params
    prefix = env_path(p)
    exists = os.path.isdir(os.path.join(prefix, "conda-meta"))
    result = {"changed": False, "prefix": prefix, "created": False, "installed": [], "removed": [],
              "packages": {}, "pip_installed": [], "pip_removed": []}
    explicit_in = None
    if p["from_lock"]:
        explicit_in, error = read_lock(p["from_lock"])
        if error:
            module.fail_json(msg=error)
    engine = pick_engine(module)
    result["engine"] = engine.name
    if p["state"] == "absent":
        return ensure_absent(module, prefix, result)

    specs = [s.strip() for s in p["specs"]]
    apply = not module.check_mode
    before, after, explicit = engine.solve(prefix, specs, p["channels"], explicit_in, apply=apply)
    added, removed = changes(before, after)
    pip_added, pip_removed = ensure_pip(module, prefix, exists)
    result.update(created=not exists, installed=entries(added), removed=entries(removed), packages=after,
                  pip_installed=pins(pip_added), pip_removed=pins(pip_removed), explicit=explicit)
    result["changed"] = bool(not exists or added or removed or pip_added or pip_removed)
    if p["lock_file"] and explicit:
        result["changed"] = write_lock(module, p["lock_file"], explicit) or result["changed"]
    if module._diff:
        result["diff"] = {"before": "".join(e + "\n" for e in entries(before)),
                          "after": "".join(e + "\n" for e in entries(after)),
                          "before_header": f"{prefix} (conda packages)",
                          "after_header": f"{prefix} (conda packages)"}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            prefix=dict(type="path"),
            root_prefix=dict(type="path", default="~/.conda"),
            specs=dict(type="list", elements="str", default=[]),
            channels=dict(type="list", elements="str", default=["conda-forge"]),
            prune=dict(type="bool", default=False),
            pip=dict(type="list", elements="str", default=[]),
            pip_index_url=dict(type="str"),
            pip_find_links=dict(type="list", elements="str", default=[]),
            pip_cache_dir=dict(type="path"),
            uv=dict(type="path"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            engine=dict(type="str", default="auto", choices=["auto", *BINARIES, "rattler"]),
            engine_path=dict(type="path"),
            rattler_python=dict(type="path"),
            lock_file=dict(type="path"),
            from_lock=dict(type="path"),
        ),
        mutually_exclusive=[("name", "prefix"), ("specs", "from_lock")],
        required_one_of=[("name", "prefix")],
        supports_check_mode=True,
    )
    hide_url_passwords(module, [module.params["pip_index_url"], *module.params["pip_find_links"],
                                *module.params["channels"]])
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**ensure_conda_env(module))


if __name__ == "__main__":
    main()
