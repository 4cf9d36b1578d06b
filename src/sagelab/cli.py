# PYTHON_ARGCOMPLETE_OK
"""sagelab command line: thin argparse front end over runner (run playbooks) and report (show results)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rich.console import Console

from sagelab import __version__, extra_vars, fleet_report, report
from sagelab.names import scheduled_instance_name_max
from sagelab.progress import Progress
from sagelab.redact import redact
from sagelab.runner import (
    DEFAULT_INVENTORY,
    Interrupt,
    PlaybookRequest,
    PlaybookResult,
    project_dir,
    project_home,
    run_playbook,
)
from sagelab.target import DEFAULT_REGION, REGION_RE, AwsTarget, choose, local_user

PLAYBOOKS = {"workstation": "playbooks/workstation.yml", "validate": "playbooks/validate.yml",
             "aws_access": "playbooks/aws_access.yml", "up_aws": "playbooks/up_aws.yml",
             "studio": "playbooks/studio.yml", "notebook": "playbooks/notebook.yml",
             "down": "playbooks/teardown.yml"}
# `sagelab notebook ACTION`: the notebook_instance role's state for each action
NOTEBOOK_STATES = {"up": "started", "start": "started", "stop": "stopped", "down": "absent"}
STUDIO_DOMAIN = "sagelab-studio"  # the studio role's default domain name
ROUTES = ["venv", "conda"]
SDK_MAJORS = [2, 3]


# Options that ask ansible-playbook to list instead of run: the CLI prints Ansible's listing, no table.
LISTINGS = ("list_hosts", "list_tasks", "list_tags")
# The prompts ansible-playbook shows for -K and --ask-vault-pass, answered by ansible-runner.
BECOME_PROMPT = r"^BECOME password.*:\s*?$"
VAULT_PROMPT = r"^Vault password.*:\s*?$"


EXIT_CODES = ("exit codes: 0 every host and check passed; 2 a host failed, was unreachable or failed a "
              "check, or the command line is wrong; 1 something stopped the run before any host could fail; "
              "130 Ctrl-C (SIGINT) stopped the run, 143 SIGTERM did (the summary says what was done; rerun "
              "the same command to finish).")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2, as ansible-playbook's (which also exits 2 when a host failed)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(report.EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _port(value: str) -> int:
    """A TCP port the sandbox can listen on (it took any free port for 99999, saying nothing)."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a TCP port; allowed: 1 to 65535")
    return int(value)


def _region(value: str) -> str:
    """--region: a usage error unless it is shaped like an AWS region name."""
    if not REGION_RE.match(value):
        raise argparse.ArgumentTypeError(f"'{value}' is not an AWS region name; allowed: e.g. eu-west-1")
    return value


def _add_ansible_options(parser: argparse.ArgumentParser, *, hosts: bool) -> None:
    """ansible-playbook's own options, passed to it as they are (`--` passes anything else)."""
    group = parser.add_argument_group("ansible-playbook options (passed through; after `--`: any other)")
    group.add_argument("-t", "--tags", action="append", default=[], metavar="TAGS",
                       help="only run plays and tasks tagged with these values, repeatable")
    group.add_argument("--skip-tags", action="append", default=[], metavar="TAGS",
                       help="only run plays and tasks whose tags do not match these values, repeatable")
    group.add_argument("-f", "--forks", type=int, metavar="N", help="number of parallel processes")
    group.add_argument("--vault-password-file", "--vault-pass-file", action="append", default=[],
                       metavar="FILE", help="vault password file, repeatable")
    group.add_argument("--vault-id", action="append", default=[], metavar="ID",
                       help="vault identity (label@source), repeatable")
    group.add_argument("-J", "--ask-vault-pass", action="store_true",
                       help="ask for the vault password (once, for every playbook of the command)")
    if hosts:
        group.add_argument("-c", "--connection", metavar="CONNECTION",
                           help="connection type to use (default: the inventory's, else ssh)")
        group.add_argument("-u", "--user", metavar="REMOTE_USER", help="connect as this user")
        group.add_argument("--private-key", "--key-file", metavar="FILE", help="SSH private key file")
        group.add_argument("-b", "--become", action="store_true", help="run operations with become")
        group.add_argument("--become-method", metavar="METHOD", help="privilege escalation method (sudo)")
        group.add_argument("--become-user", metavar="USER", help="run operations as this user (root)")
        group.add_argument("-K", "--ask-become-pass", action="store_true",
                           help="ask for the privilege escalation password (once, for every playbook)")
    for what, help_ in (("hosts", "the hosts a run would touch"), ("tasks", "the tasks a run would run"),
                        ("tags", "the available tags")):
        group.add_argument(f"--list-{what}", action="store_true", help=f"print {help_}, run nothing")


def ansible_args(args: argparse.Namespace) -> list[str]:
    """The ansible-playbook options of the parsed command line, in ansible-playbook's spelling, followed
    by what came after `--`. Prompts (-K, -J) are asked by the CLI itself: see _passwords."""
    out: list[str] = []
    for option, dest in (("--tags", "tags"), ("--skip-tags", "skip_tags"),
                         ("--vault-password-file", "vault_password_file"), ("--vault-id", "vault_id")):
        for value in getattr(args, dest, []):
            value = _absolute_file(value) if dest == "vault_password_file" else value
            out += [option, value]
    for option, dest in (("--forks", "forks"), ("--connection", "connection"), ("--user", "user"),
                         ("--private-key", "private_key"), ("--become-method", "become_method"),
                         ("--become-user", "become_user")):
        value = getattr(args, dest, None)
        if value is not None:
            out += [option, _absolute_file(value) if dest == "private_key" else str(value)]
    for option, dest in (("--become", "become"), ("--ask-become-pass", "ask_become_pass"),
                         ("--ask-vault-pass", "ask_vault_pass"), *((f"--{d.replace('_', '-')}", d)
                                                                   for d in LISTINGS)):
        if getattr(args, dest, False):
            out.append(option)
    return out + list(getattr(args, "passthrough", []))


def _absolute_file(value: str) -> str:
    """A file named on the command line, absolute: ansible-playbook runs from the project folder."""
    path = Path(value).expanduser()
    return str(path.resolve()) if path.exists() else value


def _passwords(args: argparse.Namespace) -> dict[str, str]:
    """Ask -K and -J's passwords once, before anything runs; ansible-runner answers Ansible's prompts with
    them (they never reach the command line, the environment or the artifacts)."""
    passwords = {}
    if getattr(args, "ask_become_pass", False):
        passwords[BECOME_PROMPT] = getpass.getpass("BECOME password: ")
    if getattr(args, "ask_vault_pass", False):
        passwords[VAULT_PROMPT] = getpass.getpass("Vault password: ")
    return passwords


def _add_run_options(parser: argparse.ArgumentParser, *, targets: bool = True, full: bool = False) -> None:
    if targets:
        parser.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                            help=f"inventory path or host list, repeatable (default: {DEFAULT_INVENTORY})")
        parser.add_argument("-l", "--limit", metavar="HOSTS", help="limit to a host pattern")
    parser.add_argument("--route", choices=ROUTES, help="how Python packages are installed (sagelab_route)")
    parser.add_argument("--sdk", type=int, choices=SDK_MAJORS,
                        help="SageMaker SDK major version (sagemaker_sdk_major)")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                        help="as ansible-playbook -e: key=value ..., a JSON/YAML string or @file; repeatable")
    parser.add_argument("-C", "--check", action="store_true", help="dry run (ansible-playbook --check)")
    parser.add_argument("-D", "--diff", action="store_true", help="show changes (ansible-playbook --diff)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="also write junit.xml (a test case per host and check) and report.html to DIR")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show Ansible's output; -vv and more also raise Ansible's verbosity")
    if full:
        parser.add_argument("--full", action="store_true",
                            help="run every role even on hosts that are as their last passing run left them "
                                 "(sagelab_fast_path=false)")
    parser.add_argument("--playbook", type=Path, help=argparse.SUPPRESS)  # tests: run another playbook
    _add_ansible_options(parser, hosts=True)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sagelab",
                     description="Provision and validate SageMaker workstations, with Ansible.",
                     epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--project-dir", metavar="DIR",
                        help="keep state (artifacts, sandbox, delivered keys, reports) in DIR/.sagelab "
                             "(default: $SAGELAB_PROJECT_DIR, else the clone sagelab runs from, else "
                             "$XDG_STATE_HOME/sagelab or ~/.local/state/sagelab)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, help_ in (
        ("workstation", "provision SageMaker workstations (playbooks/workstation.yml)"),
        ("validate", "validate SageMaker workstations afresh (playbooks/validate.yml)"),
    ):
        _add_run_options(sub.add_parser(name, help=help_, description=help_), full=name == "workstation")
    up_help = ("set up this machine (inventories/local) as a SageMaker workstation and the AWS side it uses "
               "(the embedded sandbox unless --profile names a real account), then report")
    up = sub.add_parser("up", help=up_help, description=up_help)
    _add_run_options(up, targets=False, full=True)
    aws = up.add_mutually_exclusive_group()
    aws.add_argument("--profile", metavar="NAME", help="use the real AWS account of this configured profile")
    aws.add_argument("--no-aws", action="store_true",
                     help="only the workstation: no AWS side, no AWS CLI check")
    up.add_argument("--region", default=DEFAULT_REGION, type=_region,
                    help=f"AWS region (default: {DEFAULT_REGION}, the book's)")
    _add_aws_parsers(sub)
    _add_sandbox_parser(sub)
    return parser


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="NAME", help="use the real AWS account of this configured "
                        "profile (default: the embedded sandbox, as `sagelab up`)")
    parser.add_argument("--region", default=DEFAULT_REGION, type=_region,
                        help=f"AWS region (default: {DEFAULT_REGION}, the book's)")


def _add_playbook_options(parser: argparse.ArgumentParser) -> None:
    _add_target_options(parser)
    parser.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                        help="as ansible-playbook -e: key=value ..., a JSON/YAML string or @file; repeatable")
    parser.add_argument("-C", "--check", action="store_true", help="dry run: list what would change")
    parser.add_argument("-D", "--diff", action="store_true", help="show changes (ansible-playbook --diff)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show Ansible's output; -vv and more also raise Ansible's verbosity")
    parser.set_defaults(route=None, sdk=None, playbook=None, report=None)
    _add_ansible_options(parser, hosts=False)


def _add_aws_parsers(sub: Any) -> None:
    """`studio up|open|down`, `cost` and `down`: the AWS side only, on the target `up` uses."""
    help_ = "SageMaker Studio: the domain and your user profile (playbooks/studio.yml)"
    studio = sub.add_parser("studio", help=help_, description=help_)
    actions = studio.add_subparsers(dest="studio_command", required=True, metavar="ACTION",
                                    parser_class=_Parser)
    _add_playbook_options(actions.add_parser("up", help="ensure the Studio domain and your user profile"))
    down = actions.add_parser("down", help="delete the Studio domain with its apps, spaces and user profiles")
    _add_playbook_options(down)
    down.add_argument("--delete-data", action="store_true",
                      help="also delete the home EFS volume (users' files)")
    open_ = actions.add_parser("open",
                               help="print a presigned URL that opens Studio as a user (valid 5 minutes)")
    _add_target_options(open_)
    open_.add_argument("--user", metavar="PROFILE", help="the user profile (default: yours)")
    open_.add_argument("--domain", default=STUDIO_DOMAIN,
                       help=f"the domain's name (default: {STUDIO_DOMAIN}, else the region's only domain)")
    open_.add_argument("--json", action="store_true", help="print one JSON document")

    help_ = "a SageMaker notebook instance of your own, with idle auto-stop (playbooks/notebook.yml)"
    notebook = sub.add_parser("notebook", help=help_, description=help_)
    actions = notebook.add_subparsers(dest="notebook_command", required=True, metavar="ACTION",
                                      parser_class=_Parser)
    for action, text in (("up", "ensure it (ml.t3.medium, auto-stop after 60 idle minutes) and wait until it "
                                "is InService; -e notebook_instance_type=... and the role's other variables"),
                         ("start", "start it again after a stop and wait until it is InService"),
                         ("stop", "stop it (what it costs while stopped: its volume only)"),
                         ("down", "delete it and its auto-stop configuration (its volume's data is lost)")):
        parser = actions.add_parser(action, help=text, description=text)
        _add_playbook_options(parser)
        parser.add_argument("--name", help="the instance's name (default: sagelab-<your user name>)")
    open_ = actions.add_parser("open",
                               help="print a presigned URL that opens its JupyterLab (valid 5 minutes)")
    _add_target_options(open_)
    open_.add_argument("--name", help="the instance's name (default: sagelab-<your user name>)")
    open_.add_argument("--json", action="store_true", help="print one JSON document")

    help_ = ("what sagelab's running notebook instances and Studio apps cost per hour and in 30 days, "
             "by Owner and Project")
    cost = sub.add_parser("cost", help=help_, description=help_)
    _add_target_options(cost)
    cost.add_argument("--prices", type=Path, metavar="FILE",
                      help="price table to use instead of the Price List API (default on real AWS) or "
                      "the one shipped in data/sagemaker_prices.yml")
    cost.add_argument("--json", action="store_true", help="print one JSON document instead of the table")

    help_ = ("remove everything tagged ManagedBy=sagelab in dependency order (playbooks/teardown.yml); "
             "buckets and home EFS volumes stay unless --delete-data")
    down = sub.add_parser("down", help=help_, description=help_)
    _add_playbook_options(down)
    down.add_argument("--delete-data", action="store_true",
                      help="also empty and delete the buckets and the Studio home EFS volumes (data is lost)")


def _add_sandbox_parser(sub: Any) -> None:
    help_ = "run the embedded AWS sandbox (a local moto server) for use without AWS credentials"
    parser = sub.add_parser("sandbox", help=help_, description=help_)
    actions = parser.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION",
                                    parser_class=_Parser)
    start = actions.add_parser("start", help="start it in the background (or show the one running)")
    start.add_argument("--port", type=_port, help="TCP port on 127.0.0.1, 1-65535 (default: any free port)")
    actions.add_parser("stop", help="stop it")
    status = actions.add_parser("status", help="show it; exit 1 when none is running")
    status.add_argument("--json", action="store_true", help="print one JSON document")


def _sandbox_home(home: Path) -> Path:
    """Where the sandbox's state lives: the project home, or $SAGELAB_SANDBOX_HOME (one sandbox shared
    by several checkouts, or by a test session)."""
    return Path(os.environ.get("SAGELAB_SANDBOX_HOME") or home)


def _sandbox(args: argparse.Namespace, home: Path, out: Console, err: Console) -> int:
    """`sagelab sandbox start|stop|status`: one sandbox per project home (see sagelab.sandbox)."""
    from sagelab import sandbox  # no moto here (the server process has it); imported when needed

    home = _sandbox_home(home)
    if args.sandbox_command == "stop":
        out.print("Sandbox stopped." if sandbox.stop(home) else "No sandbox was running.")
        return report.EXIT_OK
    if args.sandbox_command == "start":
        found = sandbox.status(home)
        if found:
            out.print("The sandbox was already running.")
        try:
            state = found or sandbox.start(home, args.port)
        except sandbox.SandboxError as exc:
            err.print(f"sagelab: error: {exc}", markup=False, highlight=False)
            return report.EXIT_ERROR
    else:
        found = sandbox.status(home)
        if args.json:
            report.print_json({"running": found is not None, **(found or {})}, out)
            return report.EXIT_OK if found else report.EXIT_ERROR
        if found is None:
            out.print("No sandbox is running; start one with `sagelab sandbox start`.", markup=False)
            return report.EXIT_ERROR
        state = found
    out.print(f"Sandbox running at {state['endpoint_url']} (pid {state['pid']}, started {state['started']}).",
              markup=False, highlight=False)
    out.print("Point AWS tools and sagelab's AWS playbooks at it with:", markup=False)
    for key, value in sandbox.client_env(state["endpoint_url"]).items():
        out.print(f"  export {key}={value}", markup=False, highlight=False, soft_wrap=True)
    return report.EXIT_OK


def _option_vars(args: argparse.Namespace) -> dict[str, tuple[str, Any]]:
    """The variables the options the user typed set: variable -> (the option as typed, its value)."""
    found: dict[str, tuple[str, Any]] = {}
    if args.route:
        found["sagelab_route"] = (f"--route {args.route}", args.route)
    if args.sdk:
        found["sagemaker_sdk_major"] = (f"--sdk {args.sdk}", args.sdk)
    if getattr(args, "full", False):
        found["sagelab_fast_path"] = ("--full", False)
    if getattr(args, "no_aws", False):
        found["sagelab_aws_cli_enabled"] = ("--no-aws", False)
    if getattr(args, "name", None):
        found["notebook_instance_name"] = (f"--name {args.name}", args.name)
    action = getattr(args, "notebook_command", None)
    if action in NOTEBOOK_STATES:
        found["notebook_instance_state"] = (f"notebook {action}", NOTEBOOK_STATES[action])
    action = getattr(args, "studio_command", None)
    if action in ("up", "down"):
        found["studio_state"] = (f"studio {action}", "present" if action == "up" else "absent")
    if getattr(args, "delete_data", False):
        found["studio_retain_home_efs" if args.command == "studio" else "teardown_delete_data"] = (
            "--delete-data", args.command != "studio")
    return found


def _same(a: Any, b: Any) -> bool:
    """Whether a -e value (key=value gives strings) says what an option says."""
    words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False,
             "0": False}
    if isinstance(b, bool):
        return (a if isinstance(a, bool) else words.get(str(a).lower())) is b
    return str(a) == str(b)


def check_user_input(args: argparse.Namespace, home: Path, err: Console) -> dict[str, Any]:
    """The user's -i and -e values, read before anything runs: a missing inventory, a malformed -e or one
    that contradicts an option the user typed is refused (ValueError); a variable no role takes gets a
    warning naming the closest known one."""
    for inventory in getattr(args, "inventory", []):
        if "," not in inventory and not Path(inventory).expanduser().exists():
            raise ValueError(f"-i {inventory}: no such inventory file or folder; allowed: an inventory "
                             "file, a folder of them, or a comma-separated host list such as 'ws-1,ws-2,'")
    user_vars = extra_vars.parse(args.extra_vars)
    for name, (option, value) in _option_vars(args).items():
        if name in user_vars and not _same(user_vars[name], value):
            raise ValueError(f"-e {name}={redact(str(user_vars[name]))} contradicts {option} "
                             f"({name}={value}); say it once")
    for warning in extra_vars.unknown_warnings(user_vars, extra_vars.known_variables(home)):
        err.print(f"sagelab: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return user_vars


def _request(args: argparse.Namespace, home: Path, playbook: str,
             inventories: list[str] | None = None) -> PlaybookRequest:
    vars_: dict[str, Any] = {}
    if args.route:
        vars_["sagelab_route"] = args.route
    if args.sdk:
        vars_["sagemaker_sdk_major"] = args.sdk
    if getattr(args, "full", False):
        vars_["sagelab_fast_path"] = False
    return PlaybookRequest(
        playbook=args.playbook or home / playbook,
        inventories=inventories or getattr(args, "inventory", []),
        limit=getattr(args, "limit", None),
        extra_vars=args.extra_vars,
        vars=vars_,
        check=args.check,
        diff=args.diff,
        ansible_verbosity=max(args.verbose - 1, 0),
        ansible_args=ansible_args(args),
        passwords=getattr(args, "passwords", {}),
    )


@dataclass
class Step:
    """One stage of a command: a name and the playbook request it runs."""

    name: str
    request: PlaybookRequest


def _aws_target(args: argparse.Namespace, home: Path, err: Console) -> tuple[AwsTarget, dict[str, str]]:
    """Where the AWS side goes (the sandbox, started when none runs, unless --profile) and the environment
    for its playbooks; says so on stderr."""
    target = choose(args.profile, args.region)
    client_env: dict[str, str] = {}
    if target.kind == "sandbox":
        from sagelab import sandbox  # no moto here (the server process has it); imported when needed

        state = sandbox.start(_sandbox_home(project_dir(home, args.project_dir)))
        target = replace(target, endpoint_url=state["endpoint_url"])
        client_env = sandbox.client_env(state["endpoint_url"], target.region)
    err.print(f"AWS side: {target.describe()} — {target.reason}.", markup=False, highlight=False,
              soft_wrap=True)
    return target, target.admin_env(client_env)


def resource_name(user: str) -> str:
    """A SageMaker name for the local user (letters, digits, hyphens): their user profile."""
    return re.sub(r"[^a-zA-Z0-9]+", "-", user).strip("-")[:63].strip("-") or "data-scientist"


def notebook_name(user: str) -> str:
    """The local user's notebook instance (`sagelab up`, `sagelab notebook`)."""
    # its schedules add up to 15 characters to the name (sagelab.names)
    return f"sagelab-{resource_name(user)}"[:scheduled_instance_name_max()].rstrip("-")


def _people(user: str) -> dict[str, Any]:
    """The local user as the data scientist, the owner of what `up` makes and of its Studio profile."""
    return {"iam_users_list": [{"name": user}], "sagelab_owner": user, "sagelab_cost_owner": user,
            "studio_user_profiles": [resource_name(user)], "notebook_instance_name": notebook_name(user),
            # `sagelab notebook open` asks for the link itself: none in the runner's artifacts, whatever
            # group_vars say
            "notebook_instance_presigned_url": False}


def _aws_step(name: str, args: argparse.Namespace, home: Path, playbook: str, target: AwsTarget,
              env: dict[str, str], **vars_: Any) -> Step:
    request = _request(args, home, playbook, inventories=[str(home / DEFAULT_INVENTORY)])
    request.vars.update({**target.playbook_vars(), **_people(local_user()), **vars_})  # vars_ win
    request.env.update(env)
    return Step(name, request)


def _up_steps(args: argparse.Namespace, home: Path, err: Console) -> tuple[list[Step], AwsTarget | None]:
    """`sagelab up`: the AWS side (sandbox or --profile) for the local user — bucket, roles, IAM user, a
    notebook instance with its night stop, the Studio domain and profile — then this workstation."""
    local = [str(home / DEFAULT_INVENTORY)]
    if args.playbook:  # tests: one playbook on this machine
        return [Step("up", _request(args, home, "", inventories=local))], None
    if args.no_aws:
        workstation = _request(args, home, PLAYBOOKS["workstation"], inventories=local)
        workstation.vars["sagelab_aws_cli_enabled"] = False
        return [Step("workstation", workstation)], None
    target, env = _aws_target(args, home, err)
    access = _aws_step("aws_access", args, home, PLAYBOOKS["up_aws"], target, env)
    workstation = _request(args, home, PLAYBOOKS["workstation"], inventories=local)
    workstation.vars.update(target.playbook_vars(), **_people(local_user()))
    return [access, Step("workstation", workstation)], target


def _aws_steps(args: argparse.Namespace, home: Path, err: Console) -> tuple[list[Step], AwsTarget]:
    """`studio up|down`, `notebook up|start|stop|down` and `down`: one AWS playbook on the target."""
    target, env = _aws_target(args, home, err)
    delete_data = getattr(args, "delete_data", False)
    if args.command == "down":
        return [_aws_step("down", args, home, PLAYBOOKS["down"], target, env,
                          teardown_delete_data=delete_data)], target
    if args.command == "notebook":
        named = {"notebook_instance_name": args.name} if args.name else {}
        return [_aws_step("notebook", args, home, PLAYBOOKS["notebook"], target, env,
                          notebook_instance_state=NOTEBOOK_STATES[args.notebook_command], **named)], target
    state = "present" if args.studio_command == "up" else "absent"
    return [_aws_step("studio", args, home, PLAYBOOKS["studio"], target, env, studio_state=state,
                      studio_retain_home_efs=not delete_data)], target


def _hand_over(done: dict[str, dict[str, Any]], step: Step) -> None:
    """`sagelab up`: the workstation gets what the AWS side made for the SDK's config (the project bucket,
    the execution role), unless the user's -e names them."""
    if step.name != "workstation" or "aws_access" not in done:
        return
    made = report.aws_summary_resources(done["aws_access"])
    for var, key in (("sagelab_bucket_name", "bucket"), ("sagelab_execution_role_arn", "execution_role")):
        if made.get(key) and var not in step.request.vars:
            step.request.vars[var] = made[key]


def _steps(args: argparse.Namespace, home: Path, err: Console) -> tuple[list[Step], AwsTarget | None]:
    if args.command == "up":
        return _up_steps(args, home, err)
    if args.command in ("studio", "notebook", "down"):
        return _aws_steps(args, home, err)
    return [Step(args.command, _request(args, home, PLAYBOOKS[args.command]))], None


def _run(request: PlaybookRequest, home: Path, args: argparse.Namespace, err: Console,
         interrupt: Interrupt | None = None) -> PlaybookResult:
    live = not args.json and sys.stdout.isatty() and err.is_terminal
    with Progress(err, live=live, quiet=args.json, show_output=args.verbose > 0) as progress:
        result = run_playbook(request, home, on_event=progress, project=project_dir(home, args.project_dir),
                              interrupt=interrupt)
    if result.rc != 0 and not result.hosts() and not args.verbose and not result.interrupted:
        # Ansible stopped before any host ran (bad option, syntax error): show why.
        stdout = result.artifacts / "stdout"
        tail = stdout.read_text(errors="replace").strip().splitlines()[-15:] if stdout.exists() else []
        for line in tail:
            err.print(redact(line), markup=False, highlight=False)
    return result


def local_jupyterlab(home: Path | None = None) -> str:
    """The command that opens this workstation's own JupyterLab: the environment the last passing
    workstation run stamped (the validate role's default stamp), else the book's ~/workdir/sagemaker."""
    home = home or Path.home()
    env = home / "workdir" / "sagemaker"
    try:
        stamped = json.loads((home / ".cache" / "sagelab" / "converged.json").read_text()).get("env")
        env = Path(stamped) if stamped else env
    except (OSError, ValueError, AttributeError):
        pass
    return f"{env}/bin/jupyter lab"


def _print_link(args: argparse.Namespace, target: AwsTarget, out: Console, err: Console,
                doc: dict[str, Any]) -> int:
    """`studio open` and `notebook open`: the link alone on stdout, or with --json the whole document. A
    sandbox's link names a real-AWS host with nothing behind it: it says so, on stderr, and which local
    JupyterLab does open."""
    if target.kind == "sandbox":
        host = urlsplit(doc["url"]).hostname or "?"
        lab = local_jupyterlab()
        doc = {**doc, "opens": False, "local_jupyterlab": lab,
               "note": (f"this link cannot open: it comes from the embedded sandbox, and {host} is a "
                        "real-AWS hostname with no SageMaker behind it (the sandbox runs no JupyterLab). "
                        f"This workstation's own JupyterLab opens: {lab}, then pick the kernel "
                        "\"Python (sagemaker)\"")}
        err.print(f"sagelab: note: {doc['note']}.", markup=False, highlight=False, soft_wrap=True)
    if args.json:
        report.print_json(doc, out)
    else:
        out.print(doc["url"], markup=False, highlight=False, soft_wrap=True)
    return report.EXIT_OK


def _studio_open(args: argparse.Namespace, target: AwsTarget, out: Console, err: Console) -> int:
    """A presigned URL straight from boto3: it never passes through Ansible, so never lands in the
    runner's artifacts or a log. Printed on stdout only."""
    from sagelab import cost

    sm = cost.client(target)
    domains = sm.list_domains().get("Domains", [])
    named = [d for d in domains if d["DomainName"] == args.domain]
    if not named and args.domain == STUDIO_DOMAIN and len(domains) == 1:
        # the studio role may have adopted the region's only domain, which it does only if sagelab made it
        tags = sm.list_tags(ResourceArn=domains[0]["DomainArn"]).get("Tags", [])
        if {"Key": "ManagedBy", "Value": "sagelab"} in tags:
            named = domains
    if not named:
        listed = ", ".join(d["DomainName"] for d in domains) or "none"
        raise ValueError(f"--domain: no Studio domain called {args.domain} in {target.region} (domains: "
                         f"{listed}); create it with `sagelab studio up`")
    user = args.user or resource_name(local_user())
    url = sm.create_presigned_domain_url(DomainId=named[0]["DomainId"], UserProfileName=user,
                                         ExpiresInSeconds=300)["AuthorizedUrl"]
    return _print_link(args, target, out, err,
                       {"domain_id": named[0]["DomainId"], "user_profile": user, "url": url})


def _notebook_open(args: argparse.Namespace, target: AwsTarget, out: Console, err: Console) -> int:
    """A presigned JupyterLab URL straight from boto3, as `studio open`: on stdout only, never through
    Ansible. Only an InService instance can be opened: anything else is an error that says what to do."""
    from sagelab import cost

    sm = cost.client(target)
    name = args.name or notebook_name(local_user())
    try:
        status = sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
    except sm.exceptions.ClientError as exc:
        if "does not exist" not in str(exc) and "RecordNotFound" not in str(exc):
            raise
        raise ValueError(f"--name: no notebook instance called {name} in {target.region}; create it with "
                         "`sagelab notebook up`") from None
    if status != "InService":
        hint = {"Stopped": "start it with `sagelab notebook start`",
                "Failed": "see its FailureReason (`aws sagemaker describe-notebook-instance`)"}
        raise ValueError(f"notebook instance {name} is {status}, not InService: "
                         + hint.get(status, "wait until it is InService"))
    url = sm.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"]
    parts = urlsplit(url)  # view=lab opens JupyterLab, not the classic Jupyter page (as the console does)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "view"]
    url = urlunsplit(parts._replace(query=urlencode([*query, ("view", "lab")])))
    return _print_link(args, target, out, err, {"notebook_instance": name, "status": status, "url": url})


def _cost(args: argparse.Namespace, home: Path, target: AwsTarget, out: Console) -> int:
    from sagelab import cost

    resources = cost.running_resources(cost.client(target))
    cost.apply_schedules(cost.client(target, "scheduler"), resources)
    prices = cost.choose_prices(target, args.prices or home / cost.TABLE, resources, args.prices is not None)
    doc = cost.build(target, resources, prices, cost.actual_spend(target))
    if args.json:
        report.print_json(doc, out)
    else:
        cost.print_report(doc, out)
    return report.EXIT_OK


def _direct(args: argparse.Namespace, home: Path, out: Console, err: Console) -> int:
    """`cost`, `studio open` and `notebook open`: AWS API calls from the CLI itself, no playbook."""
    import botocore.exceptions

    try:
        target, _unused = _aws_target(args, home, err)
        if args.command == "cost":
            return _cost(args, home, target, out)
        opener = _studio_open if args.command == "studio" else _notebook_open
        return opener(args, target, out, err)
    except ValueError as exc:  # bad options, a price table that lacks a type (sagelab.cost.CostError)
        err.print(f"sagelab: error: {exc}", markup=False, highlight=False, soft_wrap=True)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        err.print(redact(f"sagelab: error: {exc}"), markup=False, highlight=False, soft_wrap=True)
    except Exception as exc:  # a sandbox that did not start
        err.print(redact(f"sagelab: error: {exc}"), markup=False, highlight=False, soft_wrap=True)
    return report.EXIT_ERROR


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; what follows the first `--` goes to ansible-playbook as it is."""
    parser = build_parser()
    try:
        import argcomplete
    except ImportError:  # completion is a convenience: the CLI works without it
        pass
    else:
        argcomplete.autocomplete(parser)
    argv = _command_line(argv)
    passthrough: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1:]
    args = parser.parse_args(argv)
    if passthrough and not hasattr(args, "tags"):
        parser.error(f"`--` passes options to ansible-playbook: `sagelab {args.command}` runs no playbook")
    args.passthrough = passthrough
    return args


def _step_document(result: PlaybookResult, step: Step, listing: bool, err: Console) -> dict[str, Any]:
    """One step's report; a run that reached no host (and was not stopped by a signal) is an error that
    says why."""
    doc = report.build_document(result)
    stdout = result.artifacts / "stdout"
    error = None if doc["hosts"] or listing or result.interrupted else report.no_host_error(
        stdout.read_text(errors="replace") if stdout.exists() else "", result.rc,
        step.request.inventories or [DEFAULT_INVENTORY], step.request.limit)
    if error:  # nothing ran because no host matched: never a success
        doc["error"] = error
        err.print(f"sagelab: error: {error}", markup=False, highlight=False, soft_wrap=True)
    return doc


def _command_line(argv: Sequence[str] | None) -> list[str]:
    """The arguments the command was given (to tell the user what to rerun)."""
    return list(sys.argv[1:] if argv is None else argv)


def _print_listing(results: list[PlaybookResult], out: Console) -> int:
    """--list-hosts, --list-tasks, --list-tags: Ansible's own listing of each playbook, then its exit code."""
    rc = report.EXIT_OK
    for result in results:
        stdout = result.artifacts / "stdout"
        text = stdout.read_text(errors="replace").strip() if stdout.exists() else ""
        out.print(redact(text), markup=False, highlight=False, soft_wrap=True)
        rc = rc or (report.EXIT_ERROR if result.rc else report.EXIT_OK)
    return rc


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parse(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    home = project_home()
    out, err = Console(), Console(stderr=True)
    if not out.is_terminal:
        out = Console(width=200)  # logs and pipes: do not squeeze the table into 80 columns
    if args.command == "sandbox":
        return _sandbox(args, project_dir(home, args.project_dir), out, err)
    if args.command == "cost" or "open" in (getattr(args, "studio_command", ""),
                                            getattr(args, "notebook_command", "")):
        return _direct(args, home, out, err)
    if args.playbook and not args.playbook.is_file():
        err.print(f"sagelab: error: no such playbook: {args.playbook}", markup=False)
        return report.EXIT_USAGE
    listing = any(getattr(args, name, False) for name in LISTINGS)
    try:
        args.passwords = _passwords(args)
    except (EOFError, KeyboardInterrupt):
        err.print("sagelab: error: no password given", markup=False)
        return report.EXIT_ERROR

    interrupt = Interrupt()
    try:
        with interrupt.installed():  # Ctrl-C: stop the playbook, report what it did, run no further step
            check_user_input(args, home, err)
            steps, target = _steps(args, home, err)
            done: dict[str, dict[str, Any]] = {}
            results: list[PlaybookResult] = []
            for step in steps:  # stop at the first step that does not succeed
                _hand_over(done, step)
                if interrupt.signum:
                    break
                results.append(_run(step.request, home, args, err, interrupt))
                doc = done[step.name] = _step_document(results[-1], step, listing, err)
                if report.exit_code(doc) != report.EXIT_OK:
                    break
    except ValueError as exc:  # a bad option or -e value found before anything ran
        err.print(f"sagelab: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return report.EXIT_ERROR
    except Exception as exc:  # ansible-runner configuration or startup errors, a sandbox that did not start
        err.print(redact(f"sagelab: error: {exc}"), markup=False)
        return report.EXIT_ERROR
    if interrupt.signum:
        if not results:
            err.print(f"sagelab: interrupted by {interrupt.name} before any playbook ran: nothing changed",
                      markup=False, highlight=False, soft_wrap=True)
            return report.SIGNAL_EXITS.get(interrupt.name or "", report.EXIT_INTERRUPTED)
        doc["status"] = "interrupted"
        doc["interrupted"] = {"signal": interrupt.name, "task": results[-1].task,
                              "changed_tasks": results[-1].changed_tasks,
                              "command": redact(shlex.join(["sagelab", *_command_line(argv)]))}
    if listing:
        return _print_listing(results, out)
    if target is not None:
        doc = {**doc, "aws": report.aws_summary(target, done)}
    if args.json:
        report.print_json(doc, out)
    else:
        report.print_table(doc, out)
    if args.report:
        written = fleet_report.write(doc, args.report)
        err.print("report: " + ", ".join(map(str, written)), markup=False, highlight=False, soft_wrap=True)
    return report.exit_code(doc)


if __name__ == "__main__":
    sys.exit(main())
