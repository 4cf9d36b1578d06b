"""The Ansible collections sagelab's playbooks use (amazon.aws, community.general, ...), installed into a
folder of their own: Galaxy first; where Galaxy cannot be reached (air-gapped sites, CI here), they are
taken out of the ``ansible`` community package on PyPI, which ships every collection in its wheel.

scripts/bootstrap installs them into a clone's .collections/ (scripts/get_collections.py); the CLI
installed from its wheel installs them on first run into its state folder. Only what is missing is done:
a second run does nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

# The `ansible` release whose wheel carries the collection versions requirements.yml allows.
ANSIBLE_PACKAGE = "ansible==12.3.0"
WANTED = ["amazon.aws", "ansible.posix", "community.aws", "community.general", "containers.podman"]

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(f"\033[1m[collections]\033[0m {msg}", file=sys.stderr)


def installed(dest: Path, fqcn: str) -> bool:
    """dest is an `ansible_collections` folder."""
    ns, name = fqcn.split(".")
    return (dest / ns / name / "MANIFEST.json").is_file()


def missing(dest: Path) -> list[str]:
    return [c for c in WANTED if not installed(dest, c)]


def from_galaxy(dest: Path, requirements: Path) -> bool:
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    cmd = [str(galaxy), "collection", "install", "-r", str(requirements), "-p", str(dest.parent),
           "--timeout", "20"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _unpacked_wheel(cache: Path, tmp: Path, log: Log) -> Path:
    """A folder holding the ansible wheel's ansible_collections/: from a wheel cached in cache, else
    unpacked by uv (this CLI's own, from its cache or PyPI), else downloaded with pip."""
    wheels = sorted(cache.glob("ansible-*.whl"))
    uv = Path(sys.executable).parent / "uv"
    if not wheels and (uv.exists() or shutil.which("uv")):
        log(f"Galaxy unreachable: taking the collections from PyPI's {ANSIBLE_PACKAGE} wheel (uv)")
        subprocess.run([str(uv) if uv.exists() else "uv", "pip", "install", "--quiet", "--no-deps",
                        "--python", sys.executable, "--target", str(tmp / "wheel"), ANSIBLE_PACKAGE],
                       check=True)
        return tmp / "wheel"
    if not wheels:
        log(f"Galaxy unreachable: taking the collections from PyPI's {ANSIBLE_PACKAGE} wheel")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache),
                        ANSIBLE_PACKAGE], check=True)
        wheels = sorted(cache.glob("ansible-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as whl:
        whl.extractall(tmp / "wheel", [m for m in whl.namelist() if m.startswith("ansible_collections/")])
    return tmp / "wheel"


def from_wheel(dest: Path, cache: Path, wanted: list[str], log: Log = _stderr) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        unpacked = _unpacked_wheel(cache, Path(tmp), log)
        for fqcn in wanted:
            source = unpacked / "ansible_collections" / fqcn.replace(".", "/")
            if not (source / "MANIFEST.json").is_file():
                raise SystemExit(f"{fqcn} is not in the {ANSIBLE_PACKAGE} wheel")
            target = dest / fqcn.replace(".", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            version = json.loads((target / "MANIFEST.json").read_text())["collection_info"]["version"]
            log(f"{fqcn} {version}")


def ensure(dest: Path, requirements: Path, cache: Path, log: Log = _stderr) -> list[str]:
    """Install what is missing of WANTED into dest (an `ansible_collections` folder); returns what was
    missing. SAGELAB_GALAXY=0 skips Galaxy (it takes seconds to fail where it cannot be reached)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = missing(dest)
    if wanted and os.environ.get("SAGELAB_GALAXY", "1") != "0":
        from_galaxy(dest, requirements)
    still = missing(dest)
    if still:
        from_wheel(dest, cache, still, log)
    return wanted
