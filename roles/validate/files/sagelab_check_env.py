"""Validate a SageMaker workstation environment from inside it; print one JSON report.

Run with the environment's own interpreter (the validate role does). Uses only the stdlib
and jupyter_client, which ipykernel brings. Checks:
  * each package is installed (version from importlib.metadata: SDK 3 has no __version__);
  * the kernel is listed by `jupyter kernelspec list --json`;
  * the kernel starts and executes code that imports the packages;
  * with --aws-cli, `aws sagemaker list-endpoints --profile P` answers (the book's CLI check); the report
    names that CLI (`aws_cli`: its path, where it came from, whether it is the `aws` first on PATH).
When the kernel cannot run, the imports are tried in a plain subprocess so the report still
says which package is broken.

With --cache FILE, a passing report is kept with a fingerprint of the environment (its
installed distributions and the kernel spec); while the fingerprint is unchanged the kept
report is returned, marked "cached", instead of starting the kernel again (importing the
SDK alone takes seconds). `sagelab validate` never uses the cache.

With --stamp FILE (the workstation playbook's fast path), a passing run also records the run's input
key and what the roles made, as cheap to read again: the environment's installed distributions, the
interpreter it runs on, the kernel spec and the files given with --watch (AWS profile, uv, the AWS CLI).
A failed run removes the stamp. --converged FILE --inputs-key KEY (any Python 3 will do) answers
whether the host is as that run left it, with the same input, and if so returns the kept report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PROBE = (
    "import importlib, json\n"
    "res = {{}}\n"
    "for name in {packages!r}:\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "        res[name] = 'ok'\n"
    "    except Exception as exc:\n"
    "        res[name] = '%s: %s' % (type(exc).__name__, exc)\n"
    "print('SAGELAB-PROBE ' + json.dumps(res))\n"
)


def check(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail}


def versions(packages: list[str]) -> tuple[dict, list]:
    found, checks = {}, []
    for pkg in packages:
        try:
            found[pkg] = metadata.version(pkg)
            checks.append(check(f"{pkg} installed", True, found[pkg]))
        except metadata.PackageNotFoundError:
            checks.append(check(f"{pkg} installed", False, "not installed in this environment"))
    return found, checks


class Background:
    """A command started now and read later, so the slow checks (the kernel listing, the AWS CLI, the
    kernel itself) run side by side; an error starting it is kept and raised by result()."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.error: OSError | None = None
        try:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         env=env)
        except OSError as exc:
            self.error = exc

    def result(self, timeout: float) -> tuple[int, str, str]:
        if self.error:
            raise self.error
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        return self.proc.returncode, out, err


def start_listing() -> Background:
    return Background([str(Path(sys.executable).with_name("jupyter")), "kernelspec", "list", "--json"])


def kernel_listed(kernel: str, listing: Background) -> tuple[dict | None, dict]:
    try:
        rc, out, _unused = listing.result(timeout=60)
        specs = json.loads(out)["kernelspecs"] if rc == 0 else {}
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        return None, check("kernel listed", False, f"jupyter kernelspec list failed: {exc}")
    spec = specs.get(kernel)
    if spec is None:
        return None, check("kernel listed", False, f"'{kernel}' not in {sorted(specs)}")
    return spec, check("kernel listed", True, spec.get("resource_dir", ""))


def find_spec(kernel: str) -> dict | None:
    """The kernel's spec as `jupyter kernelspec list --json` shows it, looked up in this process (the
    listing itself runs beside the kernel), or None."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        return KernelSpecManager().get_all_specs().get(kernel)
    except (ImportError, OSError, ValueError, KeyError):
        return None


def run_in_kernel(kernel: str, code: str, timeout: float) -> tuple[bool, str]:
    from jupyter_client.manager import start_new_kernel  # ipykernel depends on jupyter_client

    out: list[str] = []

    def hook(msg):
        content = msg.get("content", {})
        if msg.get("msg_type") == "stream":
            out.append(content.get("text", ""))
        elif msg.get("msg_type") == "error":
            out.append(f"{content.get('ename')}: {content.get('evalue')}")

    km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=timeout)
    try:
        reply = kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        return reply["content"]["status"] == "ok", "".join(out)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def imports(packages: list[str], kernel: str | None, timeout: float) -> tuple[list, dict]:
    code = PROBE.format(packages=packages)
    kernel_check = None
    text = ""
    if kernel:
        started = time.monotonic()
        try:
            ok, text = run_in_kernel(kernel, code, timeout)
            kernel_check = check("kernel executes code", ok and "SAGELAB-PROBE" in text,
                                 f"{time.monotonic() - started:.1f}s" if ok else text.strip()[-500:])
        except Exception as exc:  # a kernel that cannot start is a finding, not a crash
            kernel_check = check("kernel executes code", False, f"{type(exc).__name__}: {exc}"[-500:])
    results = {}
    if "SAGELAB-PROBE" not in text:
        try:
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  timeout=timeout, check=False)
            text = proc.stdout
        except subprocess.TimeoutExpired:  # a finding (named in each import check), not a crash
            results = {p: f"no answer within {timeout:g}s (validate_timeout)" for p in packages}
    for line in text.splitlines():
        if line.startswith("SAGELAB-PROBE "):
            results = json.loads(line[len("SAGELAB-PROBE "):])
    checks = [check(f"import {p}", results.get(p) == "ok", results.get(p, "not tried")) for p in packages]
    return checks, kernel_check


def start_aws(aws: str, profile: str, config_dir: str, *command: str) -> Background:
    """The book's check that the CLI, its profile and the account work: list-endpoints answers (or another
    command of the same CLI and profile)."""
    argv = [aws, *(command or ("sagemaker", "list-endpoints")), "--output", "json"]
    argv += ["--profile", profile] if profile else []
    env = dict(os.environ)
    if config_dir:  # a profile written somewhere other than ~/.aws
        env.update(AWS_CONFIG_FILE=os.path.join(config_dir, "config"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(config_dir, "credentials"))
    return Background(argv, env)


def describe_aws_cli(aws: str, origin: str, profile: str, config_dir: str) -> dict:
    """Which `aws` the profile is for: the CLI the check ran (a path, or a name looked up on PATH), where it
    came from, and whether typing `aws` runs that same program (the first `aws` on PATH)."""
    path = aws if os.sep in aws else (shutil.which(aws) or aws)
    first = shutil.which("aws")
    same = bool(first) and os.path.exists(path) and os.path.samefile(first, path)
    return {"path": path, "realpath": os.path.realpath(path), "origin": origin,
            "profile": profile or "default", "config_dir": config_dir or "~/.aws",
            "first_on_path": first or "", "is_first_on_path": same}


def aws_answers(started: Background, profile: str, timeout: float) -> dict:
    try:
        rc, out, err = started.result(timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return check("aws sagemaker list-endpoints", False, f"{type(exc).__name__}: {exc}"[-300:])
    if rc != 0:
        return check("aws sagemaker list-endpoints", False, (err or out).strip()[-300:])
    try:
        count = len(json.loads(out).get("Endpoints", []))
    except ValueError:
        return check("aws sagemaker list-endpoints", False, "answer is not JSON: " + out[:200])
    return check("aws sagemaker list-endpoints", True, f"{count} endpoints (profile {profile or 'default'})")


IDENTITY = "aws sts get-caller-identity"


def start_identity(aws: str, profile: str, config_dir: str) -> Background:
    return start_aws(aws, profile, config_dir, "sts", "get-caller-identity")


def identity_answers(started: Background, owner: str, timeout: float) -> dict:
    """The profile's key is live: STS answers, as the owner's IAM user when one is expected (a key that
    IAM deleted is refused by AWS; the sandbox answers for a key it does not know as another identity)."""
    try:
        rc, out, err = started.result(timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return check(IDENTITY, False, f"{type(exc).__name__}: {exc}"[-300:])
    if rc != 0:
        return check(IDENTITY, False, (err or out).strip()[-300:])
    try:
        arn = json.loads(out).get("Arn", "")
    except ValueError:
        return check(IDENTITY, False, "answer is not JSON: " + out[:200])
    if owner and not (":user/" in arn and arn.rsplit("/", 1)[-1] == owner):
        return check(IDENTITY, False, f"the profile's key is not {owner}'s: it answers as {arn} (a stale or "
                     "another user's key; run the workstation again with the key delivered for it)")
    return check(IDENTITY, True, f"answers as {arn}")


def fingerprint(kernel: str, spec: dict | None, packages: list[str]) -> str:
    """Hash of what the checks depend on: installed distributions, kernel spec, arguments."""
    digest = hashlib.sha256(json.dumps([kernel, packages, sys.executable]).encode())
    for path in sorted(sys.path):
        if path and os.path.isdir(path) and path.startswith(sys.prefix):
            digest.update("\n".join(sorted(n for n in os.listdir(path) if n.endswith("-info"))).encode())
    if spec:
        kernel_json = Path(spec.get("resource_dir", "")) / "kernel.json"
        digest.update(kernel_json.read_bytes() if kernel_json.is_file() else b"")
    return digest.hexdigest()


def on_disk(env: str, files: list[str]) -> dict:
    """What a converged host looks like, read without starting anything: the env's distributions (their
    names carry versions), the interpreter it links to, and each file (content hash when small, else
    size and modification time; None when missing)."""
    root = Path(env)
    python = root / "bin" / "python"
    patterns = ("lib/python*/site-packages/*-info", "conda-meta/*.json")
    seen: dict = {
        "distributions": sorted(p.name for pattern in patterns for p in root.glob(pattern)),
        "interpreter": os.path.realpath(python) if python.exists() else None,
    }
    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            seen[name] = None
        elif path.stat().st_size <= 1 << 20:
            seen[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            seen[name] = [path.stat().st_size, path.stat().st_mtime_ns]
    return seen


def write_stamp(path: str, inputs_key: str, env: str, files: list[str], report: dict, aws: list[str]) -> None:
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"inputs_key": inputs_key, "env": env, "files": files, "on_disk": on_disk(env, files),
             "report": report, "aws": aws}
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(stamp, out)
    os.replace(tmp, target)


def converged(path: str, inputs_key: str, host: str, route: str, timeout: float) -> dict:
    """Whether this host is as the last passing run left it, with the same input; the kept report if so."""
    try:
        stamp = json.loads(Path(path).expanduser().read_text())
    except (OSError, ValueError):
        return {"converged": False, "reason": "no stamp from a passing run"}
    if stamp.get("inputs_key") != inputs_key:
        return {"converged": False, "reason": "the input or sagelab changed since the last passing run"}
    now = on_disk(stamp["env"], stamp["files"])
    moved = sorted(k for k in now if now[k] != stamp["on_disk"].get(k))
    if moved:
        return {"converged": False, "reason": "changed since the last passing run: " + ", ".join(moved)}
    report = dict(stamp["report"], host=host, route=route, cached=True)
    if stamp["aws"]:  # never kept: it depends on the account, not on this host
        aws_cli, profile, config_dir, owner = [*stamp["aws"], ""][:4]
        started = start_aws(aws_cli, profile, config_dir), start_identity(aws_cli, profile, config_dir)
        aws_checks = [aws_answers(started[0], profile, min(timeout, 60)),
                      identity_answers(started[1], owner, min(timeout, 60))]
        origin = (report.get("aws_cli") or {}).get("origin", "")
        report["aws_cli"] = describe_aws_cli(aws_cli, origin, profile, config_dir)
        report["checks"] = [*report["checks"], *aws_checks]
        report["ok"] = report["ok"] and all(c["ok"] for c in aws_checks)
    return {"converged": True, "report": report}


def read_cache(path: str, key: str) -> dict | None:
    try:
        kept = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if kept.get("fingerprint") == key and kept.get("report", {}).get("ok"):
        return dict(kept["report"], cached=True)
    return None


def write_cache(path: str, key: str, report: dict) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": key, "report": report}))
    os.replace(tmp, target)


def stamp_report(args: argparse.Namespace, report: dict, spec: dict | None) -> None:
    """Record a passing run for the fast path (the AWS answer is asked again each time); forget a failed
    one."""
    if not report["ok"]:
        Path(args.stamp).expanduser().unlink(missing_ok=True)
        return
    kernel_json = [str(Path(spec["resource_dir"]) / "kernel.json")] if spec else []
    aws = [args.aws_cli, args.aws_profile, args.aws_config_dir, args.aws_owner] if args.aws_cli else []
    aws_dir = args.aws_config_dir or "~/.aws"
    files = kernel_json + args.watch + ([f"{aws_dir}/config", f"{aws_dir}/credentials"] if aws else [])
    kept = dict(report, checks=[c for c in report["checks"]
                                if c["name"] not in ("aws sagemaker list-endpoints", IDENTITY)],
                cached=False)
    write_stamp(args.stamp, args.inputs_key, sys.prefix, files, kept, aws)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", default="boto3,sagemaker,pandas")
    ap.add_argument("--kernel", default="")
    ap.add_argument("--no-execute", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--host", default=platform.node())
    ap.add_argument("--route", default="venv")
    ap.add_argument("--cache", default="", help="reuse a passing report while the env is unchanged")
    ap.add_argument("--read-only", action="store_true", help="never write the cache (check mode)")
    ap.add_argument("--aws-cli", default="", help="also check `aws sagemaker list-endpoints` with this CLI")
    ap.add_argument("--aws-cli-origin", default="", help="where that CLI came from, for the report")
    ap.add_argument("--aws-profile", default="", help="the profile for that check")
    ap.add_argument("--aws-config-dir", default="", help="the folder holding that profile (default ~/.aws)")
    ap.add_argument("--aws-owner", default="", help="the IAM user STS must answer as for that profile")
    ap.add_argument("--stamp", default="", help="record a passing run here (remove it after a failed one)")
    ap.add_argument("--inputs-key", default="", help="the run's input key (kept or compared)")
    ap.add_argument("--watch", action="append", default=[], help="a file the stamp records (repeatable)")
    ap.add_argument("--converged", default="", help="only answer whether the host is as this stamp says")
    args = ap.parse_args()
    if args.converged:
        print(json.dumps(converged(args.converged, args.inputs_key, args.host, args.route, args.timeout)))
        return 0
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    packages = [p for p in args.packages.split(",") if p]

    # The kernel listing and the AWS CLI run in the background while the kernel starts and runs code.
    listing = start_listing() if args.kernel else None
    aws = start_aws(args.aws_cli, args.aws_profile, args.aws_config_dir) if args.aws_cli else None
    identity = start_identity(args.aws_cli, args.aws_profile, args.aws_config_dir) if args.aws_cli else None
    found, checks = versions(packages)
    spec = find_spec(args.kernel) if args.kernel else None
    key = fingerprint(args.kernel, spec, packages) if args.cache else ""
    cached = read_cache(args.cache, key) if args.cache else None
    import_checks, kernel_check = [], None
    if not cached:
        execute = args.kernel if (spec is not None and not args.no_execute) else None
        import_checks, kernel_check = imports(packages, execute, args.timeout)
    listed = None
    if listing:
        listed_spec, listed = kernel_listed(args.kernel, listing)
        checks.append(listed)
        spec = listed_spec or spec
    aws_checks = ([aws_answers(aws, args.aws_profile, min(args.timeout, 60)),
                   identity_answers(identity, args.aws_owner, min(args.timeout, 60))] if aws else [])
    if cached and (listed is None or listed["ok"]):  # no kernel asked for, or still listed
        report = dict(cached, host=args.host, route=args.route)
        if args.aws_cli:  # the CLI may have moved since the environment was checked
            report["aws_cli"] = describe_aws_cli(args.aws_cli, args.aws_cli_origin, args.aws_profile,
                                                 args.aws_config_dir)
        if aws_checks:  # never cached: they depend on the account, not on the environment
            report["checks"] = [*report["checks"], *aws_checks]
            report["ok"] = report["ok"] and all(c["ok"] for c in aws_checks)
        if args.stamp and not args.read_only:
            stamp_report(args, report, spec)
        print(json.dumps(report))
        return 0
    if cached:  # kept, but the kernel is no longer listed: the imports afresh, no kernel to start
        import_checks, kernel_check = imports(packages, None, args.timeout)
    checks.extend(import_checks)
    if kernel_check:
        checks.append(kernel_check)
    elif args.kernel and not args.no_execute:
        checks.append(check("kernel executes code", False, "kernel not listed, not started"))
    env_ok = all(c["ok"] for c in checks)

    report = {
        "host": args.host,
        "route": args.route,
        "env_path": sys.prefix,
        "python": sys.executable,
        "python_version": platform.python_version(),
        "versions": found,
        "kernel": {
            "name": args.kernel,
            "display_name": (spec or {}).get("spec", {}).get("display_name", ""),
            "listed": bool(listed and listed["ok"]),
            "executed": bool(kernel_check and kernel_check["ok"]),
        },
        "checks": checks + aws_checks,
        **({"aws_cli": describe_aws_cli(args.aws_cli, args.aws_cli_origin, args.aws_profile,
                                        args.aws_config_dir)} if args.aws_cli else {}),
        "ok": env_ok and all(c["ok"] for c in aws_checks),
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),  # noqa: UP017 (hosts: 3.9+)
        "cached": False,
    }
    if args.cache and env_ok and not args.read_only:
        write_cache(args.cache, key, dict(report, checks=checks, ok=True))
    if args.stamp and not args.read_only:
        stamp_report(args, report, spec)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
