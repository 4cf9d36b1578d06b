"""Install the collections in requirements.yml into .collections/.

Galaxy first; where Galaxy cannot be reached (air-gapped sites, CI here), the
collections are taken out of the ``ansible`` community package on PyPI, which ships
every collection in its wheel. The collection in this repository is linked in as
``sagelab.sagemaker`` so playbooks, Molecule and ansible-doc find it by its FQCN.
Only what is missing is done; a second run does nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # sagelab.dependencies, also before the package is installed

from sagelab import dependencies  # noqa: E402

DEST = ROOT / ".collections" / "ansible_collections"
CACHE = ROOT / ".sagelab" / "cache"


def link_self() -> None:
    link = DEST / "sagelab" / "sagemaker"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(os.path.relpath(ROOT, link.parent))


def main() -> None:
    dependencies.ensure(DEST, ROOT / "requirements.yml", CACHE)
    link_self()


if __name__ == "__main__":
    main()
