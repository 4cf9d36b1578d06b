#!/usr/bin/env python3
"""Install the collections in requirements.yml into .collections/.

Galaxy first; where Galaxy cannot be reached (air-gapped sites, CI here), the
collections are taken out of the ``ansible`` community package on PyPI, which ships
every collection in its wheel. The collection in this repository is linked in as
``sagelab.sagemaker`` so playbooks, Molecule and ansible-doc find it by its FQCN.
Only what is missing is done; a second run does nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / ".collections" / "ansible_collections"
CACHE = ROOT / ".sagelab" / "cache"
# The `ansible` release whose wheel carries the collection versions requirements.yml allows.
ANSIBLE_PACKAGE = "ansible==12.3.0"
WANTED = ["amazon.aws", "ansible.posix", "community.aws", "community.general", "containers.podman"]


def log(msg: str) -> None:
    print(f"\033[1m[collections]\033[0m {msg}", file=sys.stderr)


def installed(fqcn: str) -> bool:
    ns, name = fqcn.split(".")
    return (DEST / ns / name / "MANIFEST.json").is_file()


def link_self() -> None:
    link = DEST / "sagelab" / "sagemaker"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(os.path.relpath(ROOT, link.parent))


def from_galaxy() -> bool:
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    cmd = [str(galaxy), "collection", "install", "-r", str(ROOT / "requirements.yml"),
           "-p", str(DEST.parent), "--timeout", "20"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def from_wheel(missing: list[str]) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("ansible-*.whl"))
    if not wheels:
        log(f"Galaxy unreachable: taking the collections from PyPI's {ANSIBLE_PACKAGE} wheel")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                        ANSIBLE_PACKAGE], check=True)
        wheels = sorted(CACHE.glob("ansible-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as whl, tempfile.TemporaryDirectory(dir=DEST.parent) as tmp:
        for fqcn in missing:
            prefix = "ansible_collections/" + fqcn.replace(".", "/") + "/"
            members = [m for m in whl.namelist() if m.startswith(prefix)]
            if not members:
                raise SystemExit(f"{fqcn} is not in {wheels[-1].name}")
            whl.extractall(tmp, members)
            target = DEST / fqcn.replace(".", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(tmp) / prefix, target)
            version = json.loads((target / "MANIFEST.json").read_text())["collection_info"]["version"]
            log(f"{fqcn} {version}")


def main() -> None:
    DEST.mkdir(parents=True, exist_ok=True)
    missing = [c for c in WANTED if not installed(c)]
    if missing and os.environ.get("SAGELAB_GALAXY", "1") != "0":
        from_galaxy()
        missing = [c for c in WANTED if not installed(c)]
    if missing:
        from_wheel(missing)
    link_self()


if __name__ == "__main__":
    main()
