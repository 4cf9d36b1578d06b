"""The per-host report of a playbook run: a JSON document, a rich table, and the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sagelab.redact import redact_data
from sagelab.runner import PlaybookResult
from sagelab.target import DEFAULT_REGION

EXIT_OK = 0
EXIT_ERROR = 1  # Ansible, ansible-runner or an AWS call failed before any host could fail
EXIT_HOSTS_FAILED = 2  # a host failed, was unreachable, or failed a validation check
EXIT_USAGE = 2  # the command line itself is wrong: as ansible-playbook, the same code as a failed host
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C) stopped the run: 128 + the signal's number, as shells report it
SIGNAL_EXITS = {"SIGINT": EXIT_INTERRUPTED, "SIGTERM": 143}

VERSION_PACKAGES = ("boto3", "sagemaker", "pandas")


def failed_checks(validation: dict[str, Any] | None) -> list[dict[str, Any]]:
    checks = (validation or {}).get("checks") or []
    return [c for c in checks if isinstance(c, dict) and not c.get("ok")]


def validation_failed(validation: dict[str, Any] | None) -> bool:
    return validation is not None and (validation.get("ok") is False or bool(failed_checks(validation)))


def build_document(result: PlaybookResult) -> dict[str, Any]:
    """The --json document, redacted."""
    hosts = {}
    for host in result.hosts():
        hosts[host] = {
            "ok": result.count("ok", host),
            "changed": result.count("changed", host),
            "failed": result.count("failures", host) > 0,
            "unreachable": result.count("dark", host) > 0,
            "failures": [{"task": f.task, "msg": f.msg} for f in result.failures if f.host == host],
            "validation": result.validation(host),
        }
    doc: dict[str, Any] = {
        "playbook": result.playbook,
        "status": result.status,
        "rc": result.rc,
        "hosts": hosts,
        "artifacts": str(result.artifacts),
    }
    if result.interrupted:
        doc["interrupted"] = {"signal": result.interrupted, "task": result.task,
                              "changed_tasks": result.changed_tasks}
    return redact_data(doc)


AWS_STEPS = ("aws_access", "studio", "notebook", "down")  # the CLI's steps that run an AWS playbook


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def aws_summary_resources(step: dict[str, Any]) -> dict[str, Any]:
    """What one AWS playbook run says it made (reports/aws/summary.json in its artifacts)."""
    return _read_json(Path(step["artifacts"]) / "reports" / "aws" / "summary.json")


def aws_summary(target: Any, steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The AWS side of `sagelab up`, `studio` and `down`: where it went, what each AWS playbook run did,
    what it made (reports/aws/summary.json) or removed (reports/aws/teardown.json)."""
    summary: dict[str, Any] = {"target": target.kind, "region": target.region, "profile": target.profile,
                               "endpoint_url": target.endpoint_url, "reason": target.reason}
    for name in AWS_STEPS:
        step = steps.get(name)
        if not step:
            continue
        hosts = step["hosts"].values()
        summary[name] = {"status": step["status"], "changed": sum(h["changed"] for h in hosts),
                         "failed": any(h["failed"] or h["unreachable"] for h in hosts)}
        written = Path(step["artifacts"]) / "reports" / "aws"
        summary.setdefault("resources", {}).update(aws_summary_resources(step))
        if name == "down":
            summary["teardown"] = _read_json(written / "teardown.json")
    return redact_data(summary)


NO_HOST_SIGNS = ("Could not match supplied host pattern", "no hosts matched", "no hosts to target",
                 "Unable to parse", "No inventory was parsed")


def no_host_error(stdout: str, rc: int, inventories: list[str], limit: str | None) -> str | None:
    """Why a run reached no host, from ansible-playbook's output, in the user's terms; None when it was
    not for want of a host (Ansible refused an option, a vars file did not decrypt: its output says)."""
    if rc != 0 and not any(sign in stdout for sign in NO_HOST_SIGNS):
        return None
    where = ", ".join(inventories) or "the default inventory"
    unparsed = [line for line in stdout.splitlines() if "Unable to parse" in line]
    if unparsed or "No inventory was parsed" in stdout:
        return (f"no host matched: the inventory {where} could not be read as an inventory (a YAML/INI file, "
                "a folder of them, or a comma-separated host list such as 'ws-1,ws-2,')")
    if limit:
        return f"no host matched: --limit {limit} names no host or group of the inventory {where}"
    return (f"no host matched: the inventory {where} has no host in the group the playbook runs on "
            "(workstations, or sagelab_hosts)")


def exit_code(doc: dict[str, Any]) -> int:
    if doc.get("interrupted"):
        return SIGNAL_EXITS.get(doc["interrupted"]["signal"], EXIT_INTERRUPTED)
    hosts = doc["hosts"].values()
    if any(h["failed"] or h["unreachable"] or validation_failed(h["validation"]) for h in hosts):
        return EXIT_HOSTS_FAILED
    if doc["rc"] != 0 or doc["status"] != "successful" or doc.get("error"):
        return EXIT_ERROR
    return EXIT_OK


def print_json(doc: dict[str, Any], console: Console) -> None:
    console.out(json.dumps(doc, indent=2), highlight=False)


def _kernel(validation: dict[str, Any] | None) -> str:
    kernel = (validation or {}).get("kernel")
    if not isinstance(kernel, dict):
        return "-"
    return f"{kernel.get('name', '?')} (executed: {'yes' if kernel.get('executed') else 'no'})"


def _print_aws(aws: dict[str, Any], console: Console) -> None:
    where = (f"embedded sandbox {aws['endpoint_url']}" if aws["target"] == "sandbox"
             else f"AWS profile {aws['profile']}")
    line = Text.assemble(("AWS side ", "bold"), f"{where} ({aws['region']})")
    for name in AWS_STEPS:
        step = aws.get(name)
        if step:
            bad = step["failed"] or step["status"] != "successful"
            line.append(f"  {name}: {step['status']}, changed {step['changed']}", "red" if bad else "green")
    console.print(line, soft_wrap=True)
    resources = aws.get("resources") or {}
    for key, value in resources.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        console.print(Text.assemble(f"  {key.replace('_', ' ')}: ", (shown, "bold")), soft_wrap=True)
    notebook = str(resources.get("notebook_instance", ""))
    if notebook.endswith("(InService)"):  # the link itself is a credential: never in a report
        where = (f" --profile {aws['profile']}" if aws["target"] != "sandbox" else "") + (
            f" --region {aws['region']}" if aws["region"] != DEFAULT_REGION else "")
        command = f"sagelab notebook open --name {notebook.split(' (', maxsplit=1)[0]}{where}"
        console.print(Text.assemble("  open JupyterLab: ", (command, "bold")), soft_wrap=True)
    teardown = aws.get("teardown")
    if teardown:
        verb = "would remove" if teardown.get("check") else "removed"
        gone = {k: v for k, v in (teardown.get("removes") or {}).items() if v}
        console.print(Text.assemble(("Teardown ", "bold"), f"{verb}: " if gone else f"{verb} nothing"),
                      soft_wrap=True)
        for key, value in gone.items():
            console.print(Text.assemble(f"  {key.replace('_', ' ')}: ", (", ".join(map(str, value)), "bold")),
                          soft_wrap=True)
        kept = {k: v for k, v in (teardown.get("kept") or {}).items() if v}
        for key, value in kept.items():
            console.print(Text.assemble(f"  kept ({key.replace('_', ' ')}): ", ", ".join(map(str, value)),
                                        " - --delete-data removes them"), soft_wrap=True)


def aws_cli_line(host: str, cli: dict[str, Any]) -> Text:
    """Which `aws` a host's profile is for: its path, where it came from, and whether typing `aws` runs it."""
    line = Text.assemble(("AWS CLI ", "bold"), (host, "bold"), f"  profile {cli.get('profile', '?')} is for ",
                         (str(cli.get("path", "?")), "bold"))
    if cli.get("realpath") and cli["realpath"] != cli.get("path"):
        line.append(f" (-> {cli['realpath']})")
    if cli.get("origin"):
        line.append(f": {cli['origin']}")
    if cli.get("is_first_on_path"):
        line.append("; it is the `aws` on PATH", "green")
    else:
        first = cli.get("first_on_path")
        line.append((f"; the `aws` on PATH is another one ({first})" if first else "; no `aws` is on PATH")
                    + f": run {cli.get('path')} --profile {cli.get('profile')}", "yellow")
    return line


def print_interrupted(doc: dict[str, Any], console: Console) -> None:
    """What a run stopped by a signal did before it stopped, and how to finish it."""
    stop = doc["interrupted"]
    at = f" during the task \"{stop['task']}\"" if stop.get("task") else ""
    console.print(Text.assemble(("INTERRUPTED ", "bold red"),
                                f"by {stop['signal']}{at}: the run stopped there, the rest did not run."),
                  soft_wrap=True)
    changed = stop.get("changed_tasks") or {}
    if not changed:
        console.print("  nothing had changed before the interrupt.", markup=False, highlight=False,
                      soft_wrap=True)
    for host, tasks in changed.items():
        console.print(Text.assemble("  done before it on ", (host, "bold"), f": changed {len(tasks)} tasks"),
                      soft_wrap=True)
        for task in tasks:
            console.print(Text(f"    changed: {task}"), soft_wrap=True)
    command = stop.get("command") or "the same command"
    console.print(Text.assemble("  Rerun ", (command, "bold"), " to finish: what is done stays as it is "
                                "and the rest is made."), soft_wrap=True)


def print_table(doc: dict[str, Any], console: Console) -> None:
    table = Table(title=f"sagelab: {doc['playbook']}", title_justify="left")
    # runs without a workstation report (the AWS playbooks) show no version columns
    validated = any(h["validation"] for h in doc["hosts"].values())
    columns = ("host", "ok", "changed", "failed/unreachable", *(
        ("route", *VERSION_PACKAGES, "kernel") if validated else ()))
    for column in columns:
        table.add_column(column, justify="right" if column in ("ok", "changed") else "left")
    problems: list[tuple[str, str, str]] = []
    for host, h in doc["hosts"].items():
        validation = h["validation"]
        versions = (validation or {}).get("versions") or {}
        bad = "unreachable" if h["unreachable"] else "failed" if h["failed"] else "no"
        cells = [host, str(h["ok"]), str(h["changed"]), Text(bad, style="red" if bad != "no" else "green")]
        if validated:
            cells += [str((validation or {}).get("route", "-")),
                      *(str(versions.get(p, "-")) for p in VERSION_PACKAGES), _kernel(validation)]
        table.add_row(*cells)
        problems += [(host, f["task"], f["msg"]) for f in h["failures"]]
        problems += [(host, f"check: {c.get('name', '?')}", str(c.get("detail", "")))
                     for c in failed_checks(validation)]
    if doc.get("aws"):
        _print_aws(doc["aws"], console)
    if doc["hosts"]:
        console.print(table)
        for host, h in doc["hosts"].items():
            if isinstance((h["validation"] or {}).get("aws_cli"), dict):
                console.print(aws_cli_line(host, h["validation"]["aws_cli"]), soft_wrap=True)
    elif not doc.get("interrupted"):
        console.print(Text(doc.get("error") or "no host ran a task; see the artifacts' stdout", style="red"),
                      soft_wrap=True)
    for host, task, msg in problems:
        console.print(Text.assemble(("FAILED ", "bold red"), (host, "bold"), f"  {task}: ", msg))
    if doc.get("interrupted"):
        print_interrupted(doc, console)
    code = exit_code(doc)
    style = "green" if code == EXIT_OK else "red"
    status = f"{doc['status']} (rc {doc['rc']})" if not doc.get("error") else f"failed: {doc['error']}"
    console.print(Text.assemble(("status ", "bold"), (status, style), f"  artifacts: {doc['artifacts']}"),
                  soft_wrap=True)
