# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The py-rattler engine of conda_env, run as a script by an interpreter that has py-rattler.

The module sends its source to that interpreter (`python -c SOURCE`, the request as JSON on stdin) because
the host's Ansible interpreter rarely has py-rattler. Only the stdlib and rattler are imported.

Request: {"prefix", "specs", "channels", "explicit" (URLs of an explicit lock file, or null),
          "apply" (false: solve only), "cache_dir", "prune"}
Answer:  {"before": {name: "version build"}, "after": {...}, "explicit": [url#md5, ...]} or {"error": msg}
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys


def pkg_key(record):
    return f"{record.version} {record.build}"


def installed_records(prefix):
    from rattler import PrefixRecord

    meta = os.path.join(prefix, "conda-meta")
    if not os.path.isdir(meta):
        return []
    names = sorted(n for n in os.listdir(meta) if n.endswith(".json"))
    return [PrefixRecord.from_path(os.path.join(meta, n)) for n in names]


def explicit_specs(urls):
    """Channels and exact specs for the packages of an explicit lock file."""
    channels, specs = [], []
    for url in urls:
        base, _unused, filename = url.split("#")[0].rpartition("/")
        channel = base.rpartition("/")[0]
        if channel not in channels:
            channels.append(channel)
        stem = filename.removesuffix(".tar.bz2").removesuffix(".conda")
        name, version, build = stem.rsplit("-", 2)
        specs.append(f"{name} =={version} {build}")
    return channels, specs


def compile_bytecode(prefix):
    """Byte-compile the env's Python files once, as conda does when it links noarch packages: without
    .pyc files every first import compiles (importing the SageMaker SDK then takes minutes)."""
    python = os.path.join(prefix, "bin", "python")
    lib = os.path.join(prefix, "lib")
    names = os.listdir(lib) if os.path.isdir(lib) else []
    dirs = [os.path.join(lib, d) for d in names if d.startswith("python3")]
    if os.path.exists(python) and dirs:
        subprocess.run([python, "-m", "compileall", "-q", "-j", "0", *dirs], capture_output=True, check=False)


async def handle(req):
    import rattler

    prefix = req["prefix"]
    installed = installed_records(prefix)
    channels, specs = req["channels"], list(req["specs"])
    if req.get("explicit"):
        channels, specs = explicit_specs(req["explicit"])
    elif not req.get("prune"):  # keep what was installed besides the specs, as `conda install` does
        named = {rattler.MatchSpec(s).name.normalized for s in specs}
        specs += [r.name.normalized for r in installed if r.name.normalized not in named]
    platform = str(rattler.Platform.current())
    records = await rattler.solve(
        channels, specs, platforms=[platform, "noarch"], locked_packages=installed,
        virtual_packages=[v.into_generic() for v in rattler.VirtualPackage.detect()],
    )
    if req.get("explicit"):
        wanted = {u.split("#")[0] for u in req["explicit"]}
        got = {str(r.url) for r in records}
        if wanted != got:
            missing = sorted(wanted - got)[:3] + sorted(got - wanted)[:3]
            return {"error": f"the lock file's packages are not what its channels offer: {missing}"}
    before = {r.name.normalized: pkg_key(r) for r in installed}
    after = {r.name.normalized: pkg_key(r) for r in records}
    if req["apply"] and (before != after or not installed):
        await rattler.install(
            records, prefix, cache_dir=req.get("cache_dir") or None, installed_packages=installed,
            show_progress=False,
        )
        compile_bytecode(prefix)
    explicit = sorted(f"{r.url}#{r.md5.hex() if isinstance(r.md5, bytes) else r.md5}" for r in records)
    return {"before": before, "after": after, "explicit": explicit}


def main():
    req = json.load(sys.stdin)
    try:
        answer = asyncio.run(handle(req))
    except Exception as exc:  # the module turns this into one message
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer) + "\n")  # the answer the module reads


if __name__ == "__main__":
    main()
