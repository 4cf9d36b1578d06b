"""Put a pip bootstrap script where ``ansible-test --venv`` looks for one, when it is missing.

ansible-test creates each sanity test's virtualenv with a get-pip.py it downloads from
ci-files.testing.ansible.com and caches as ``~/.ansible/test/cache/get_pip_<version>.py``. That host
cannot be reached from here; PyPI can. The stand-in runs pip from the same pip version's wheel, fetched
from PyPI into the same cache folder, with the arguments get-pip.py takes (less ``--no-setuptools`` and
``--no-wheel``, which only get-pip.py knows). Only what is missing is done.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CACHE = Path.home() / ".ansible" / "test" / "cache"

STAND_IN = '''\
"""get-pip.py stand-in for ansible-test (written by sagelab's scripts/ansible_test_pip.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), {wheel!r}))
from pip._internal.cli.main import main  # noqa: E402

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall", *args]))
'''


def pip_version() -> str:
    """The pip version the installed ansible-test bootstraps its virtualenvs with."""
    import ansible_test

    source = (Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    match = re.search(r"""default_packages = dict\(\s*pip=['"]([\d.]+)['"]""", source)
    if not match:
        raise SystemExit("cannot find the pip version in ansible-test's python_requirements.py")
    return match.group(1)


def main() -> None:
    version = pip_version()
    script = CACHE / f"get_pip_{version.replace('.', '_')}.py"
    if script.is_file():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob(f"pip-{version}-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                        f"pip=={version}"], check=True)
        wheels = sorted(CACHE.glob(f"pip-{version}-*.whl"))
    script.write_text(STAND_IN.format(wheel=wheels[-1].name))
    print(f"[sanity] pip {version} bootstrap for ansible-test: {script}", file=sys.stderr)


if __name__ == "__main__":
    main()
