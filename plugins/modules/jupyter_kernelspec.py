#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: jupyter_kernelspec
short_description: Register or remove a Jupyter kernel spec for a Python environment, idempotently
version_added: "0.1.0"
description:
  - Registers a Jupyter kernel spec for a Python environment, the way
    C(python -m ipykernel install --name NAME --display-name DISPLAY) does, but idempotently.
  - C(ipykernel install) always rewrites the kernel directory. This module compares the existing
    C(kernel.json) and logo resource files with the wanted ones and writes only what differs.
  - The kernel directory is created with mode C(0755), files are written atomically with mode C(0644).
  - With O(state=absent) the kernel directory is removed, like C(jupyter kernelspec remove).
  - Uses only the Python standard library on the target. The environment's interpreter must have
    C(ipykernel) installed for O(state=present).
options:
  name:
    description:
      - Kernel name, which is also the kernel directory name.
      - Jupyter's rule applies - ASCII letters, digits, V(.), V(_) and V(-) only. Jupyter lowercases
        kernel names, so uppercase letters are rejected rather than silently lowercased.
    type: str
    required: true
  display_name:
    description:
      - Name shown in the Jupyter launcher and kernel picker.
      - Defaults to O(name).
    type: str
  python:
    description:
      - Path to the environment's Python interpreter, for example C(~/workdir/sagemaker/bin/python).
      - Used as C(argv[0]) of the kernel and to locate C(ipykernel)'s logo resources.
      - Required when O(state=present), and when O(scope=sys_prefix) without O(kernels_dir).
      - Must exist, be executable and be able to C(import ipykernel) when O(state=present); in check mode
        a missing interpreter is taken as one an earlier task would create, and the kernel is reported as
        to be registered.
    type: path
  state:
    description:
      - V(present) registers or updates the kernel spec, V(absent) removes the kernel directory.
    type: str
    choices: [present, absent]
    default: present
  scope:
    description:
      - Where the kernel spec lives.
      - V(user) is C($JUPYTER_DATA_DIR/kernels) when E(JUPYTER_DATA_DIR) is set, else
        C($XDG_DATA_HOME/jupyter/kernels), else C(<home>/.local/share/jupyter/kernels)
        (as C(jupyter_core) does on Linux), where C(<home>) is O(home), else E(HOME).
      - V(sys_prefix) is the environment's own C(<sys.prefix>/share/jupyter/kernels),
        found by running O(python).
      - Ignored when O(kernels_dir) is set.
    type: str
    choices: [user, sys_prefix]
    default: user
  home:
    description:
      - The home folder whose Jupyter data directory receives a V(user) kernel, so the kernel lands in
        the same home as the environment and the AWS CLI profile even where E(HOME) names another one
        (C(sudo -E), CI containers, service accounts).
      - Defaults to E(HOME) of the module's process.
      - Jupyter must then run with this home too (E(HOME) set to it), as it does for the account whose
        home it is.
    type: path
    version_added: 0.1.0
  kernels_dir:
    description:
      - Directory holding kernel directories; overrides O(scope).
      - The kernel spec is written to C(<kernels_dir>/<name>).
    type: path
  env:
    description:
      - Environment variables put in the C(env) key of C(kernel.json).
      - Values must be strings or numbers; numbers are converted to strings.
      - When omitted, C(kernel.json) has no C(env) key.
    type: dict
  metadata:
    description:
      - The C(metadata) of C(kernel.json).
    type: dict
    default: {debugger: true}
  language:
    description:
      - The C(language) of C(kernel.json).
    type: str
    default: python
  argv_extra:
    description:
      - Extra arguments appended to the kernel's C(argv), for example C(--IPKernelApp.matplotlib=inline).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description:
      - Reports V(changed) exactly when a real run would change something, without writing.
      - An interpreter that is missing, or lacks C(ipykernel), is accepted in check mode (an earlier task
        of the same run would make it).
  diff_mode:
    support: full
    description: Shows the C(kernel.json) text before and after.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts (Linux, macOS).
notes:
  - Only C(kernel.json) and the logo files C(logo-32x32.png), C(logo-64x64.png) and C(logo-svg.svg) are
    managed; other files in the kernel directory are left alone (with O(state=present)).
  - An existing C(kernel.json) that holds the same JSON content with different formatting is left untouched.
seealso:
  - name: Jupyter kernel specs
    description: The kernel spec format.
    link: https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Register the SageMaker environment as a user kernel
  sagelab.sagemaker.jupyter_kernelspec:
    name: sagemaker
    display_name: Python (SageMaker)
    python: ~/workdir/sagemaker/bin/python

- name: Register a kernel inside the environment itself, with environment variables
  sagelab.sagemaker.jupyter_kernelspec:
    name: sagemaker
    display_name: Python (SageMaker, eu-west-1)
    python: /opt/envs/sagemaker/bin/python
    scope: sys_prefix
    env:
      AWS_DEFAULT_REGION: eu-west-1
      AWS_PROFILE: sagemaker
    argv_extra:
      - --IPKernelApp.matplotlib=inline

- name: Register a kernel in an explicit kernels directory, without the debugger
  sagelab.sagemaker.jupyter_kernelspec:
    name: sagemaker-nodebug
    python: /opt/envs/sagemaker/bin/python
    kernels_dir: /usr/local/share/jupyter/kernels
    metadata:
      debugger: false
  register: kernel

- name: Show where the kernel lives
  ansible.builtin.debug:
    msg: "{{ kernel.kernel.resource_dir }}"

- name: Remove the user kernel
  sagelab.sagemaker.jupyter_kernelspec:
    name: sagemaker
    state: absent
"""

RETURN = r"""
kernel:
  description: The kernel spec as wanted (for O(state=absent), as removed).
  returned: always
  type: dict
  contains:
    name:
      description: Kernel name.
      returned: always
      type: str
      sample: sagemaker
    display_name:
      description: Display name.
      returned: always
      type: str
      sample: Python (SageMaker)
    resource_dir:
      description: The kernel directory holding C(kernel.json).
      returned: always
      type: str
      sample: /home/ubuntu/.local/share/jupyter/kernels/sagemaker
    spec:
      description: The content of C(kernel.json); empty for O(state=absent).
      returned: always
      type: dict
      sample:
        argv: [/home/ubuntu/workdir/sagemaker/bin/python, -m, ipykernel_launcher, -f, "{connection_file}"]
        display_name: Python (SageMaker)
        language: python
        metadata: {debugger: true}
changed:
  description: Whether the kernel directory was (or in check mode would be) changed.
  returned: always
  type: bool
  sample: true
diff:
  description:
    - C(kernel.json) text before and after.
    - Before is empty when there was no kernel, after is empty for O(state=absent).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Previous C(kernel.json) text.
      type: str
      returned: always
    after:
      description: New C(kernel.json) text.
      type: str
      returned: always
"""

import json  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import stat  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
RESOURCE_FILES = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")
DIR_MODE = 0o755
FILE_MODE = 0o644

# Run by the environment's python: prints sys.prefix and ipykernel's resources dir (null when missing).
# find_spec locates ipykernel without importing it (an import takes about a second).
PROBE = (
    "import json, os, sys, importlib.util\n"
    "try:\n"
    "    spec = importlib.util.find_spec('ipykernel')\n"
    "    res = os.path.join(os.path.dirname(spec.origin), 'resources') if spec and spec.origin else None\n"
    "    err = None if res else 'No module named ipykernel'\n"
    "except Exception as e:\n"
    "    res, err = None, '%s: %s' % (type(e).__name__, e)\n"
    "print(json.dumps({'prefix': sys.prefix, 'resources': res, 'error': err}))\n"
)


def needs_python(params):
    return params["state"] == "present" or (params["scope"] == "sys_prefix" and not params["kernels_dir"])


def validate(params, check_mode=False):
    """Return a single error message for bad input, or None.

    In check mode a missing interpreter is not an error: an earlier task of the same run would have
    created the environment (the module then reports the kernel it would register)."""
    name = params["name"]
    if not name or not NAME_RE.match(name) or name in (".", ".."):
        return (
            f"name: {name!r} is not a valid kernel name; allowed: ASCII letters, digits, '.', '_' and '-' "
            "(no spaces or slashes, not '.' or '..')"
        )
    if name.lower() != name:
        return (
            f"name: {name!r} contains uppercase letters; Jupyter lowercases kernel names, so use lowercase "
            f"(for example {name.lower()!r})"
        )
    if params["display_name"] is not None and not params["display_name"].strip():
        return f"display_name: {params['display_name']!r} is empty; it must be a non-empty string"
    if not params["language"].strip():
        return f"language: {params['language']!r} is empty; it must be a non-empty string"
    if params["env"] is not None:
        for key, value in params["env"].items():
            if not isinstance(key, str) or not key or "=" in key:
                return f"env: key {key!r} is not a valid environment variable name (non-empty, no '=')"
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return f"env: value {value!r} of {key} must be a string (or number)"
    if needs_python(params):
        python = params["python"]
        why = "state=present" if params["state"] == "present" else "scope=sys_prefix"
        if not python:
            return f"python: is required with {why} (the environment's interpreter)"
        if check_mode and not os.path.lexists(python):
            return None
        if not os.path.isfile(python):
            return f"python: {python!r} does not exist; it must be the environment's Python interpreter"
        if not os.access(python, os.X_OK):
            return f"python: {python!r} is not executable; it must be the environment's Python interpreter"
    return None


def probe_python(module, python, need_ipykernel):
    rc, out, err = module.run_command([python, "-c", PROBE])
    info = None
    if rc == 0:
        try:
            info = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            info = None
    if info is None:
        module.fail_json(
            msg=f"python: {python!r} could not be run as a Python interpreter (rc={rc}): "
            f"{(err or out).strip()}"
        )
    if need_ipykernel and not info["resources"]:
        module.fail_json(
            msg=f"python: {python!r} cannot import ipykernel; ipykernel is missing in that environment "
            f"(install it there, e.g. '{python} -m pip install ipykernel'): {info['error']}"
        )
    return info


def user_kernels_dir(home=None):
    """Jupyter's user kernel folder as jupyter_core finds it on Linux when HOME is home (default $HOME)."""
    data = os.environ.get("JUPYTER_DATA_DIR")
    if data:
        return os.path.join(data, "kernels")  # as jupyter_core takes it, unexpanded
    home = home or os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir  # what ~ means to the process
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(xdg, "jupyter", "kernels")


def build_spec(params, python):
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}", *params["argv_extra"]],
        "display_name": params["display_name"] or params["name"],
        "language": params["language"],
        "metadata": params["metadata"] if params["metadata"] is not None else {},
    }
    if params["env"] is not None:
        spec["env"] = {k: str(v) for k, v in params["env"].items()}
    return spec


def render(spec):
    return json.dumps(spec, indent=1) + "\n"


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def atomic_write(module, dest, data):
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, FILE_MODE)
        module.atomic_move(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    os.chmod(dest, FILE_MODE)


def make_dirs(path):
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for d in reversed(missing):
        os.mkdir(d, DIR_MODE)
        os.chmod(d, DIR_MODE)


def ensure_kernelspec(module, name, kernel_dir, spec, resources, state):
    """Read the kernel directory, work out what differs, and (unless check mode) apply it."""
    spec_path = os.path.join(kernel_dir, "kernel.json")
    before_bytes = read_bytes(spec_path) if os.path.isdir(kernel_dir) else None
    before_text = before_bytes.decode("utf-8", "replace") if before_bytes is not None else ""
    kernel = {
        "name": name,
        "display_name": spec.get("display_name", name),
        "resource_dir": kernel_dir,
        "spec": spec,
    }
    result = {"changed": False, "kernel": kernel}

    if state == "absent":
        exists = os.path.lexists(kernel_dir)
        kernel["spec"] = {}
        try:
            old_spec = json.loads(before_text) if before_text else {}
            if isinstance(old_spec, dict) and isinstance(old_spec.get("display_name"), str):
                kernel["display_name"] = old_spec["display_name"]
        except ValueError:
            pass
        result["changed"] = exists
        result["diff"] = {"before": before_text, "after": "",
                          "before_header": spec_path, "after_header": spec_path}
        if exists and not module.check_mode:
            if os.path.isdir(kernel_dir) and not os.path.islink(kernel_dir):
                shutil.rmtree(kernel_dir)
            else:
                os.unlink(kernel_dir)
        return result

    after_text = render(spec)
    actions = []  # (kind, path, payload)
    if os.path.lexists(kernel_dir) and not os.path.isdir(kernel_dir):
        module.fail_json(msg=f"kernel directory {kernel_dir} exists and is not a directory", **result)
    if not os.path.isdir(kernel_dir):
        actions.append(("mkdir", kernel_dir, None))
    elif mode_of(kernel_dir) != DIR_MODE:
        actions.append(("chmod", kernel_dir, DIR_MODE))

    try:
        same_spec = before_bytes is not None and json.loads(before_text) == spec
    except ValueError:
        same_spec = False
    if not same_spec:
        actions.append(("write", spec_path, after_text.encode("utf-8")))
    elif mode_of(spec_path) != FILE_MODE:
        actions.append(("chmod", spec_path, FILE_MODE))

    for fname in RESOURCE_FILES if resources else ():
        src = os.path.join(resources, fname)
        data = read_bytes(src)
        if data is None:
            continue  # older ipykernel releases ship fewer logos
        dest = os.path.join(kernel_dir, fname)
        if read_bytes(dest) != data:
            actions.append(("write", dest, data))
        elif mode_of(dest) != FILE_MODE:
            actions.append(("chmod", dest, FILE_MODE))

    result["changed"] = bool(actions)
    result["diff"] = {
        "before": before_text if not same_spec else after_text,
        "after": after_text,
        "before_header": spec_path,
        "after_header": spec_path,
    }
    if not actions or module.check_mode:
        return result

    for kind, path, payload in actions:
        if kind == "mkdir":
            make_dirs(path)
        elif kind == "chmod":
            os.chmod(path, payload)
        else:
            atomic_write(module, path, payload)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            display_name=dict(type="str"),
            python=dict(type="path"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            scope=dict(type="str", default="user", choices=["user", "sys_prefix"]),
            kernels_dir=dict(type="path"),
            home=dict(type="path"),
            env=dict(type="dict"),
            metadata=dict(type="dict", default={"debugger": True}),
            language=dict(type="str", default="python"),
            argv_extra=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    error = validate(params, module.check_mode)
    if error:
        module.fail_json(msg=error)

    python = os.path.abspath(params["python"]) if params["python"] else None
    info = None
    if python and needs_python(params):
        if module.check_mode and not os.path.lexists(python):
            # not there yet (check mode): the environment's prefix is the interpreter's grandparent
            info = {"prefix": os.path.dirname(os.path.dirname(python)), "resources": None}
        else:
            # check mode: ipykernel may be missing yet because the task before would install it
            info = probe_python(module, python,
                                need_ipykernel=params["state"] == "present" and not module.check_mode)

    if params["kernels_dir"]:
        kernels_dir = os.path.abspath(params["kernels_dir"])
    elif params["scope"] == "sys_prefix":
        kernels_dir = os.path.join(info["prefix"], "share", "jupyter", "kernels")
    else:
        kernels_dir = user_kernels_dir(params["home"])
    kernel_dir = os.path.join(kernels_dir, params["name"])

    if params["state"] == "present":
        spec = build_spec(params, python)
        resources = info["resources"]
    else:
        spec = {"display_name": params["display_name"] or params["name"]}
        resources = None

    result = ensure_kernelspec(module, params["name"], kernel_dir, spec, resources, params["state"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
