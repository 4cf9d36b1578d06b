# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Installing PyPI packages into an existing Python environment (a venv or a conda env) with uv or pip:
what python_packages does, shared with conda_env (its pip packages)."""

from __future__ import annotations

import json
import os
import re
import shutil

# A PEP 508 requirement without URL: name, [extras], version clauses, marker.
REQUIREMENT_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(\[\s*[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*\s*\])?\s*"
    r"((~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+(\s*,\s*(~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+)*)?"
    r"\s*(;\s*\S.*)?$"
)
# The environment's distributions, and those an interrupted install left broken: installed by uv or pip
# (or with no INSTALLER yet: uv writes it last) and missing a file their RECORD lists. A killed `uv pip
# install` leaves such a half-copied package (botocore without botocore/vendored, say), which uv and pip
# then take as installed. Stats each recorded file once: about 0.1 s for the book's environment.
INSTALLED_PROBE = r"""
import json, os, importlib.metadata as m
versions, broken, unreadable = {}, {}, []
for d in m.distributions():
    name = d.metadata['Name']
    info = str(getattr(d, '_path', ''))
    if not info.endswith('.dist-info'):
        if name:
            versions[name] = d.version
        continue
    if not name:  # killed before its METADATA was written: installers fail on it, so it is removed first
        unreadable.append(info)
        stem = os.path.basename(info)[:-len('.dist-info')]
        if '-' in stem:  # name-version, as the folder says
            name, version = stem.rsplit('-', 1)
            versions[name] = broken[name] = version
        continue
    versions[name] = d.version
    installer = (d.read_text('INSTALLER') or '').strip()
    if installer not in ('', 'uv', 'pip'):
        continue
    record = d.read_text('RECORD')
    base = os.path.dirname(info)
    paths = [line.rsplit(',', 2)[0] for line in (record or '').splitlines()]
    if record is None or not all(os.path.lexists(os.path.join(base, f)) for f in paths if f):
        broken[name] = d.version
print(json.dumps({'versions': versions, 'broken': broken, 'unreadable': unreadable}))
"""
DRY_RUN_LINE = re.compile(r"^\s*([+-])\s+([A-Za-z0-9._-]+)==(\S+)")


def is_environment(path):
    """A virtual environment (pyvenv.cfg) or a conda environment (conda-meta/) with an interpreter."""
    if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
        return True
    conda_meta, python = os.path.join(path, "conda-meta"), os.path.join(path, "bin", "python")
    return os.path.isdir(conda_meta) and os.path.isfile(python)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


class Installer:
    """The commands of one installer for one environment."""

    def __init__(self, module, venv, uv, params=None):
        self.module = module
        self.params = params or module.params
        self.venv = venv
        self.uv = uv  # None: pip
        self.name = "uv" if uv else "pip"
        self.python = os.path.join(venv, "bin", "python")
        self.env = {"UV_NO_PROGRESS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        if uv and self.params["system_certs"]:
            self.env["UV_SYSTEM_CERTS"] = "1"
        # the download cache in the managed user's folder, not under the connection's $HOME; a cache the
        # host's environment names (UV_CACHE_DIR, PIP_CACHE_DIR: a shared or pre-warmed one) is kept
        cache, variable = self.params.get("cache_dir"), "UV_CACHE_DIR" if uv else "PIP_CACHE_DIR"
        if cache and not os.environ.get(variable):
            self.env[variable] = os.path.join(cache, self.name)

    def run(self, argv, what):
        rc, out, err = self.module.run_command(argv, environ_update=self.env)
        if rc != 0:
            # the sources are named here: the installer's own message does not always name them (uv drops
            # the URL from an interrupted download's error)
            msg = f"{what} failed ({self.name}, rc={rc}, from {self.sources()}): {tail(err or out)}"
            self.module.fail_json(msg=msg, cmd=[safe_url(a) for a in argv], rc=rc, stdout=out, stderr=err)
        return out, err

    def sources(self):
        """Where packages come from, for messages (passwords in URLs masked)."""
        p = self.params
        where = [safe_url(p["index_url"]) if p["index_url"] else "the default index"]
        where += [safe_url(url) for url in p["extra_index_urls"]] + list(p["find_links"])
        if p["offline"]:
            where = ["offline: " + (", ".join(p["find_links"]) or "the installer's cache")]
        return ", ".join(where)

    def create_argv(self, path, python, seed):
        if self.uv:
            argv = [self.uv, "venv", "--quiet", "--python", python, path]
            # the seed packages (pip, and setuptools + wheel below Python 3.12) come from the same
            # index, wheelhouse or offline cache as every other package
            return argv + (["--seed"] + self.index_args() if seed else [])
        return [python, "-m", "venv", path]

    def index_args(self):
        p = self.params
        args = []
        if p["index_url"]:
            args += ["--index-url", p["index_url"]]
        for url in p["extra_index_urls"]:
            args += ["--extra-index-url", url]
        for link in p["find_links"]:
            args += ["--find-links", link]
        if p["offline"]:
            # uv --offline alone still resolves from the index metadata in its cache, so a cache warmed
            # by an online install offers versions the wheelhouse does not pin: with find_links, those
            # folders are the only source
            args.append("--offline" if self.uv else "--no-index")
            if self.uv and p["find_links"]:
                args.append("--no-index")
        return args

    def install_argv(self, specs, python=None, dry_run=False):
        python = python or self.python
        if self.uv:
            argv = [self.uv, "pip", "install", "--python", python] + self.index_args()
            return argv + (["--dry-run"] if dry_run else []) + ["--", *specs]
        argv = [python, "-m", "pip", "install", "--disable-pip-version-check"] + self.index_args()
        if dry_run:
            argv += ["--dry-run", "--quiet", "--report", "-"]
        return argv + ["--", *specs]

    def repair_argv(self, broken):
        """Reinstall the broken distributions as they are (same versions, dependencies untouched)."""
        specs = [f"{name}=={version}" for name, version in sorted(broken.items())]
        if self.uv:
            return [self.uv, "pip", "install", "--python", self.python, "--reinstall", "--no-deps",
                    *self.index_args(), "--", *specs]
        return [self.python, "-m", "pip", "install", "--disable-pip-version-check", "--force-reinstall",
                "--no-deps", *self.index_args(), "--", *specs]

    def uninstall_argv(self, names):
        if self.uv:
            return [self.uv, "pip", "uninstall", "--python", self.python, "--", *names]
        return [self.python, "-m", "pip", "uninstall", "--yes", "--", *names]

    def dry_run(self, specs, installed, python=None):
        """What an install would do, as ({name: version} added or upgraded, {name: version} removed)."""
        out, err = self.run(self.install_argv(specs, python=python, dry_run=True), "dry run of the install")
        added, removed = {}, {}
        if self.uv:
            for line in (err + "\n" + out).splitlines():
                m = DRY_RUN_LINE.match(line)
                if m:
                    (added if m.group(1) == "+" else removed)[normalize(m.group(2))] = m.group(3)
            return added, removed
        report = json.loads(out[out.index("{"):])
        for item in report.get("install", []):
            meta = item.get("metadata", {})
            name, version = normalize(meta.get("name", "")), meta.get("version", "")
            if installed.get(name) != version:
                added[name] = version
                if name in installed:
                    removed[name] = installed[name]
        return added, removed


def hide_url_passwords(module, urls):
    """Passwords in index URLs (https://user:password@mirror/simple) are masked wherever the module's
    result shows them, its echoed arguments included."""
    for url in urls:
        match = re.match(r"^[a-z+]+://[^/@:]+:([^/@]+)@", url or "")
        if match:
            module.no_log_values.add(match.group(1))


def safe_url(url):
    """A URL with the password of its user info masked."""
    return re.sub(r"^([a-z+]+://[^/@:]+):[^/@]*@", r"\1:****@", url)


def tail(text, lines=6):
    """The installer's last lines, its error lines first when it printed any."""
    all_lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in all_lines if re.search(r"error|failed|because|not satisf", line, re.I)]
    return " | ".join((errors or all_lines)[-lines:])


def find_uv(module, params=None):
    p = params or module.params
    if p["installer"] == "pip":
        return None
    uv = p["uv"] or shutil.which("uv")
    if uv and os.path.isfile(uv) and os.access(uv, os.X_OK):
        return uv
    if p["installer"] == "uv" or p["uv"]:
        module.fail_json(msg=f"uv: {p['uv'] or 'uv'!r} is not an executable uv binary; allowed: the path "
                         "of an installed uv, or installer=pip")
    return None


class Probe:
    """An environment's distributions: installed ({name: version}), left broken by an interrupted install
    ({name: version}), and the dist-info folders among those that have no readable METADATA (installers
    fail on them: they must go before a reinstall). Names normalized."""

    def __init__(self, module, python):
        rc, out, err = module.run_command([python, "-c", INSTALLED_PROBE])
        if rc != 0:
            module.fail_json(msg=f"venv: cannot list the distributions of {python}: {tail(err or out)}")
        found = json.loads(out.strip().splitlines()[-1])
        self.versions = {normalize(k): v for k, v in found["versions"].items()}
        self.broken = {normalize(k): v for k, v in found["broken"].items()}
        self.unreadable = found["unreadable"]


def installed_set(module, python):
    return Probe(module, python).versions


def changes(before, after):
    added = {k: v for k, v in after.items() if before.get(k) != v}
    removed = {k: v for k, v in before.items() if after.get(k) != v}
    return added, removed


def pins(packages):
    """name==version lines; a version of None stands for a spec not resolved yet (pip, check mode)."""
    return [k if v is None else f"{k}=={v}" for k, v in sorted(packages.items())]


def lines(packages):
    return "".join(line + "\n" for line in pins(packages))
