"""Build (once) the wheelhouse for one target interpreter and platform on the control node.

    wheelhouse_build.py --cache DIR --python 3.11 --platform manylinux_2_36_x86_64 -r boto3 -r pandas ...

The requirement set is resolved for the target with `uv pip compile --python-version/--python-platform`
into requirements.txt (exact pins), the wheels of those pins are downloaded for the target with
`pip download --only-binary :all: --no-deps --platform ... --python-version ... --implementation cp`,
and packed into wheelhouse.tar (requirements.txt last) for copying to the hosts. Everything lives in
DIR/<python>-<platform>/<key>/, key = a hash of the requirement set and the index: a complete folder
is reused as it is (changed false), so a second run downloads nothing. --check reports what a run
would do and writes nothing. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

PLATFORM_RE = re.compile(
    r"^manylinux_2_(?P<minor>[0-9]+)_(?P<arch>x86_64|aarch64|ppc64le|s390x|armv7l|i686)$")
PYTHON_RE = re.compile(r"^3\.[0-9]+$")
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")
UV_MAX_GLIBC = 40  # the newest manylinux_2_X that uv 0.13's --python-platform knows


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def fail(msg: str, **extra) -> None:
    print(json.dumps({"failed": True, "msg": msg, **extra}))
    sys.exit(1)


def run(argv: list[str], what: str, env: dict[str, str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"error|because|no matching|not find", line, re.I)]
        fail(f"{what} failed (rc={proc.returncode}): {' | '.join((errors or lines)[-6:])}", cmd=argv)
    return proc.stdout


def pip_command(python: str, uv: str, env: dict[str, str], index: list[str]) -> list[str]:
    """The controller's pip: the one beside Ansible when it has one, else pip run through uv (fetched
    from the same index as the wheels)."""
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, env=env, check=False)
    if pip.returncode == 0:
        return [python, "-m", "pip"]
    return [uv, "tool", "run", *index, "--from", "pip", "pip"]


def wheel_name(filename: str) -> str:
    return normalize(filename.split("-")[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--platform", required=True)
    ap.add_argument("-r", "--requirement", action="append", default=[])
    ap.add_argument("--index-url", default="")
    ap.add_argument("--uv", default="uv")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()

    plat = PLATFORM_RE.match(a.platform)
    if not plat:
        fail(f"platform: {a.platform!r} is not supported; allowed: manylinux_2_<glibc minor>_<arch>")
    if not PYTHON_RE.match(a.python):
        fail(f"python: {a.python!r} is not a Python version; allowed: 3.X, e.g. 3.11")
    if not a.requirement:
        fail("requirements: the requirement set is empty; allowed: one or more PEP 508 specs")
    minor, arch = int(plat.group("minor")), plat.group("arch")
    if minor < 17:
        fail(f"platform: glibc 2.{minor} is older than manylinux2014 (glibc 2.17); "
             "allowed: glibc 2.17 or newer")

    requirements = sorted({r.strip() for r in a.requirement})
    key_source = json.dumps({"requirements": requirements, "index_url": a.index_url}, sort_keys=True)
    key = hashlib.sha256(key_source.encode()).hexdigest()[:12]
    target = f"{a.python}-{a.platform}"
    folder = os.path.join(os.path.abspath(os.path.expanduser(a.cache)), target, key)
    archive = os.path.join(folder, "wheelhouse.tar")
    marker = os.path.join(folder, "wheelhouse.json")
    result = {"changed": False, "target": target, "key": key, "path": folder, "archive": archive,
              "name": f"{target}-{key}"}

    if os.path.isfile(marker) and os.path.isfile(archive):
        with open(marker) as fh:
            result.update(json.load(fh), changed=False, archive_exists=True)
        print(json.dumps(result))
        return
    if a.check:
        result.update(changed=True, wheels=[], archive_exists=False)
        print(json.dumps(result))
        return

    started = time.monotonic()
    env = dict(os.environ)
    env.update(UV_NO_PROGRESS="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_CONFIG_FILE=os.devnull)
    env.setdefault("UV_SYSTEM_CERTS", "1")
    drop = ["UV_FIND_LINKS", "UV_OFFLINE", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_EXTRA_INDEX_URL"]
    if a.index_url:  # the index named: no other index from the environment joins or overrides it
        drop += ["UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "PIP_INDEX_URL"]
    for var in drop:
        env.pop(var, None)
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".{key}-", dir=os.path.dirname(folder))
    try:
        with open(os.path.join(work, "requirements.in"), "w") as fh:
            fh.write("".join(r + "\n" for r in requirements))
        index = ["--index-url", a.index_url] if a.index_url else []
        run([a.uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-config",
             "--python-version", a.python,
             "--python-platform", f"{arch}-manylinux_2_{min(minor, UV_MAX_GLIBC)}",
             *index, os.path.join(work, "requirements.in"), "-o", os.path.join(work, "requirements.txt")],
            "resolving the requirement set (uv pip compile)", env)
        with open(os.path.join(work, "requirements.txt")) as fh:
            pins = {normalize(m.group(1)): m.group(2) for m in map(PIN_RE.match, fh) if m}
        platforms = [f"manylinux_2_{n}_{arch}" for n in range(minor, 16, -1)]
        if arch in ("x86_64", "i686"):
            platforms += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]
        pyver = a.python.replace(".", "")
        wheels_dir = os.path.join(work, "wheels")
        run([*pip_command(sys.executable, a.uv, env, index), "download", "--quiet", "--no-deps",
             "--only-binary", ":all:",
             *[arg for p in platforms for arg in ("--platform", p)],
             "--python-version", a.python, "--implementation", "cp",
             "--abi", f"cp{pyver}", "--abi", "abi3", "--abi", "none",
             *index, "-r", os.path.join(work, "requirements.txt"), "-d", wheels_dir],
            "downloading the wheels (pip download)", env)
        wheels = sorted(os.listdir(wheels_dir))
        missing = sorted(set(pins) - {wheel_name(w) for w in wheels})
        if missing:
            fail(f"requirements: no wheel for {target} of {', '.join(missing)}; allowed: packages that "
                 "publish wheels for the target (or add built wheels to the cache by hand)")
        # The archive the hosts unpack: wheels first, the lock last (its presence marks a complete copy).
        with tarfile.open(os.path.join(work, "wheelhouse.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
            for name in [*wheels, "requirements.txt"]:
                src = os.path.join(work if name == "requirements.txt" else wheels_dir, name)
                info = tar.gettarinfo(src, arcname=name)
                info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = 0, 0, 0, "", "", 0o644
                with open(src, "rb") as fh:
                    tar.addfile(info, fh)
        meta = {"wheels": wheels, "pins": pins, "requirements": requirements,
                "seconds": round(time.monotonic() - started, 1)}
        with open(os.path.join(work, "wheelhouse.json"), "w") as fh:
            json.dump(meta, fh, indent=1, sort_keys=True)
        if os.path.isdir(folder):  # an incomplete earlier attempt
            shutil.rmtree(folder)
        os.rename(work, folder)
        work = ""
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)
    result.update(meta, changed=True, archive_exists=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
