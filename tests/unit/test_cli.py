"""sagelab CLI: real ansible-runner runs of the fixture playbooks in tests/fixtures against localhost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sagelab import extra_vars
from sagelab.cli import _people, ansible_args, build_parser, main, resource_name
from sagelab.redact import MASK, redact
from sagelab.runner import PlaybookRequest, run_playbook

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
INVENTORY = str(FIXTURES / "inventory.yml")
SAGELAB = Path(sys.executable).parent / "sagelab"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def playbook(name: str) -> str:
    return str(FIXTURES / "playbooks" / f"{name}.yml")


def run_json(capsys, *args: str, command: str = "workstation") -> tuple[int, dict]:
    code = main([command, "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)  # exactly one JSON document on stdout


def run_echo(capsys, tmp_path: Path, *args: str) -> tuple[int, dict]:
    echo_file = tmp_path / "echo.json"
    code, _doc = run_json(capsys, "--playbook", playbook("echo_vars"), "-i", INVENTORY,
                          "-e", f"echo_file={echo_file}", *args)
    return code, json.loads(echo_file.read_text())


# --- command line ------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_help_lists_commands_and_hides_test_options():
    proc = subprocess.run([str(SAGELAB), "--help"], capture_output=True, text=True, check=True)
    for command in ("workstation", "validate", "up"):
        assert command in proc.stdout
    proc = subprocess.run([str(SAGELAB), "workstation", "--help"], capture_output=True, text=True, check=True)
    options = ("--inventory", "--limit", "--route", "--sdk", "--extra-vars", "--check", "--diff", "--json")
    for option in options:
        assert option in proc.stdout
    assert "--playbook" not in proc.stdout


@pytest.mark.parametrize("argv", [
    [],
    ["bogus"],
    ["workstation", "--sdk", "4"],
    ["workstation", "--route", "pipenv"],
    ["up", "--limit", "localhost"],  # up is this machine: no targets to choose
    ["validate", "--playbook", "/nonexistent/playbook.yml"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2  # as ansible-playbook's usage errors


@pytest.mark.parametrize("argv", [
    ["studio"],
    ["studio", "start"],
    ["studio", "open", "--check"],  # open changes nothing
    ["cost", "--check"],
    ["cost", "--prices"],
    ["down", "--limit", "localhost"],  # the AWS commands have no hosts to choose
    ["down", "--sdk", "3"],
    ["down", "--connection", "ssh"],  # the AWS commands run on this machine only
    ["cost", "--tags", "x"],  # cost runs no playbook
    ["sandbox", "status", "--", "--forks", "2"],  # nor does the sandbox: `--` has nothing to pass to
])
def test_usage_errors_of_the_aws_commands_exit_2(argv, capsys):
    assert main(argv) == 2


@pytest.mark.parametrize("argv", [["cost", "--region", "mars"], ["down", "--check", "--region", "Mars-1"],
                                  ["studio", "open", "--region", "x"]])
def test_a_bad_region_is_refused_before_anything_runs(argv, capsys):
    assert main(argv) == 2
    assert "--region: " in capsys.readouterr().err


@pytest.mark.subprocess
def test_the_aws_commands_parse():
    parser = build_parser()
    args = parser.parse_args(["down", "--check", "--delete-data", "--profile", "admin",
                              "--region", "us-east-1"])
    assert (args.command, args.check, args.delete_data, args.profile, args.region) == \
        ("down", True, True, "admin", "us-east-1")
    args = parser.parse_args(["studio", "down", "--delete-data"])
    assert (args.studio_command, args.delete_data, args.profile, args.region) == \
        ("down", True, None, "eu-west-1")
    args = parser.parse_args(["studio", "open", "--user", "bob", "--domain", "lab"])
    assert (args.studio_command, args.user, args.domain, args.json) == ("open", "bob", "lab", False)
    args = parser.parse_args(["cost", "--prices", "p.yml", "--json"])
    assert (str(args.prices), args.json, args.profile) == ("p.yml", True, None)
    proc = subprocess.run([str(SAGELAB), "--help"], capture_output=True, text=True, check=True)
    for command in ("notebook", "studio", "cost", "down"):
        assert command in proc.stdout


def test_sagemaker_names_for_the_local_user():
    assert resource_name("jane.doe@lab") == "jane-doe-lab"
    assert resource_name("__") == "data-scientist"
    people = _people("a" * 64)
    assert len(people["notebook_instance_name"]) <= 49  # <name>-stop-weeknight fits a schedule name
    assert people["studio_user_profiles"] == ["a" * 63]
    assert people["notebook_instance_presigned_url"] is False  # a URL would land in the runner's artifacts


@pytest.mark.subprocess
def test_usage_error_exit_code_of_the_installed_script():
    proc = subprocess.run([str(SAGELAB), "workstation", "--sdk", "9"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


@pytest.mark.parametrize(("line", "expected", "unexpected"), [
    ("sagelab wo", {"workstation"}, {"validate", "up"}),
    ("sagelab workstation --sk", {"--skip-tags"}, {"--sdk"}),
    ("sagelab notebook s", {"start", "stop"}, {"up"}),
])
@pytest.mark.subprocess
def test_shell_completion(tmp_path, line, expected, unexpected):
    """argcomplete's protocol, as bash's `complete -F` drives the installed script."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}
    subprocess.run([str(SAGELAB)], env=env, check=True, capture_output=True, timeout=30)
    words = {w.strip() for w in out.read_text().splitlines()}
    assert expected <= words and not unexpected & words


def test_ansible_options_are_spelled_as_ansible_playbook_takes_them(tmp_path):
    (tmp_path / "pw").write_text("x")
    args = build_parser().parse_args(["workstation", "-t", "a,b", "-t", "c", "--skip-tags", "d", "-f", "7",
                                      "-c", "ssh", "-u", "lab", "-b", "--become-user", "svc",
                                      "--vault-password-file", str(tmp_path / "pw"), "--list-hosts"])
    args.passthrough = ["--start-at-task", "Ensure x"]
    assert ansible_args(args) == ["--tags", "a,b", "--tags", "c", "--skip-tags", "d",
                                  "--vault-password-file", str(tmp_path / "pw"), "--forks", "7",
                                  "--connection", "ssh", "--user", "lab", "--become-user", "svc",
                                  "--become", "--list-hosts", "--start-at-task", "Ensure x"]
    args = build_parser().parse_args(["down", "--tags", "iam", "-J"])
    assert ansible_args(args) == ["--tags", "iam", "--ask-vault-pass"]


# --- runs --------------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_successful_run_json_document(capsys):
    code, doc = run_json(capsys, "--playbook", playbook("changed"), "-i", INVENTORY)
    assert code == 0
    assert set(doc) == {"playbook", "status", "rc", "hosts", "artifacts"}
    assert (doc["status"], doc["rc"]) == ("successful", 0)
    assert doc["playbook"].endswith("changed.yml")
    host = doc["hosts"]["localhost"]
    assert set(host) == {"ok", "changed", "failed", "unreachable", "failures", "validation"}
    assert host["ok"] == 2 and host["changed"] == 1
    assert host["failed"] is False and host["unreachable"] is False and host["failures"] == []
    assert host["validation"]["versions"] == {"boto3": "1.43.11", "sagemaker": "2.250.0", "pandas": "2.3.3"}
    assert host["validation"]["kernel"]["executed"] is True

    artifacts = Path(doc["artifacts"])
    assert artifacts.parent == REPO / ".sagelab" / "artifacts"
    assert (artifacts / "reports" / "localhost.json").is_file()
    assert (artifacts / "job_events").is_dir()
    assert not (REPO / ".sagelab" / "env" / "extravars").exists()  # suppress_env_files


@pytest.mark.subprocess
def test_failed_task_exits_2_with_redacted_message(capsys):
    code, doc = run_json(capsys, "--playbook", playbook("failing"), "-i", INVENTORY)
    assert code == 2
    assert doc["status"] == "failed" and doc["rc"] == 2
    host = doc["hosts"]["localhost"]
    assert host["failed"] is True and host["validation"] is None
    assert [f["task"] for f in host["failures"]] == ["Fail for real"]  # the ignored failure does not count
    msg = host["failures"][0]["msg"]
    assert msg.startswith("broken on purpose") and FAKE_SECRET not in msg and MASK in msg


@pytest.mark.subprocess
def test_failed_validation_check_exits_2_and_is_listed(capsys):
    code = main(["validate", "--playbook", playbook("failed_check"), "-i", INVENTORY])
    out = capsys.readouterr().out
    assert code == 2
    assert "localhost" in out and "2.250.0" in out
    assert "kernel executes code: kernel died" in out
    assert "executed: no" in out


@pytest.mark.subprocess
def test_unreachable_host_exits_2(capsys):
    code, doc = run_json(capsys, "--playbook", playbook("changed"), "-i", "unreachable.invalid,",
                         "-e", "ansible_connection=ssh ansible_ssh_timeout=2")
    assert code == 2
    assert doc["hosts"]["unreachable.invalid"]["unreachable"] is True


@pytest.mark.subprocess
def test_text_mode_without_tty_prints_task_starts_and_table(capsys):
    code = main(["workstation", "--playbook", playbook("changed"), "-i", INVENTORY])
    captured = capsys.readouterr()
    assert code == 0
    assert "[Fixture that changes one thing] Report a change" in captured.err
    assert "sagemaker (executed: yes)" in captured.out
    assert "status successful (rc 0)" in captured.out


@pytest.mark.subprocess
def test_sigterm_stops_the_playbook_reports_what_changed_and_exits_143():
    """SIGTERM (as Ctrl-C's SIGINT, tests/integration/test_interrupt.py) reaches ansible-playbook, which stops
    at once, not when its long task ends; the summary keeps the change made before, and nothing the run
    started is left running.

    The signal is sent the moment the task starts, when ansible-playbook is often forking the task's
    worker: a SIGINT then is lost inside ansible-playbook (runner.Interrupt's docstring), and the CLI's
    SIGTERM a few seconds later must stop the run and the worker's command (4 runs of 9 here, before:
    killed after the 30 s grace, the command left running)."""
    marker = f"120.{os.getpid()}{time.monotonic_ns() % 10**6}"  # this run's own `sleep` command line
    proc = subprocess.Popen([str(SAGELAB), "workstation", "--playbook", playbook("slow"), "-i", INVENTORY,
                             "-e", f"slow_seconds={marker}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "Take a long time" in line:
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=90)
    took = time.monotonic() - started
    assert proc.returncode == 143, out + err
    # stopped, not waited out (sleep 120) nor killed after the 30 s grace
    assert took < 20, (took, out[-1500:], err[-1500:])
    time.sleep(1)  # a worker that got SIGTERM ends its command group at once
    assert not _running(f"sleep {marker}"), "the task's command outlived the run"
    text = " ".join(out.split())
    assert 'INTERRUPTED by SIGTERM during the task "Take a long time"' in text, text
    assert "done before it on localhost: changed 1 tasks changed: Report a change" in text, text
    assert "status interrupted" in text, text


def _running(command_line: str) -> list[int]:
    """The processes whose command line is command_line."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().replace(b"\0", b" ").strip() == \
                    command_line.encode():
                found.append(int(proc.name))
        except OSError:  # it has just ended
            continue
    return found


@pytest.mark.subprocess
def test_a_playbook_that_missed_the_sigint_gets_sigterm_then_is_killed(monkeypatch):
    """What runner.Interrupt does when ansible-playbook misses the SIGINT (it lands while a worker forks):
    SIGTERM after ESCALATE seconds, which Ansible forwards to its workers; a process that outlives that
    too is killed (cancel() True) when GRACE runs out. Here a real process that ignores SIGINT."""
    from sagelab import runner

    monkeypatch.setattr(runner.Interrupt, "ESCALATE", 0.5)
    monkeypatch.setattr(runner.Interrupt, "GRACE", 2.0)
    child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGINT, "
                              "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert child.stdout.readline() == "ready\n"
        interrupt = runner.Interrupt()
        interrupt.collector = runner._EventCollector()
        interrupt.collector.pid = child.pid
        interrupt._handle(signal.SIGINT, None)
        assert interrupt.cancel() is False  # SIGINT sent (and ignored), not yet time to insist
        time.sleep(0.2)
        assert child.poll() is None and not interrupt.escalated
        time.sleep(0.5)
        assert interrupt.cancel() is False  # SIGTERM now; the kill waits for GRACE
        assert child.wait(timeout=5) == -signal.SIGTERM
        assert interrupt.escalated
        time.sleep(1.5)
        assert interrupt.cancel() is True  # GRACE over: ansible-runner kills what is left
    finally:
        child.kill()
        child.wait()


@pytest.mark.subprocess
def test_verbose_shows_ansible_output(capsys):
    assert main(["workstation", "-v", "--playbook", playbook("changed"), "-i", INVENTORY]) == 0
    assert "PLAY RECAP" in capsys.readouterr().err


@pytest.mark.subprocess
def test_up_runs_on_the_local_inventory(capsys):
    code, doc = run_json(capsys, "--playbook", playbook("changed"), command="up")
    assert code == 0
    assert list(doc["hosts"]) == ["localhost"]


# --- options reach Ansible ---------------------------------------------------------------------------

@pytest.mark.subprocess
def test_extra_vars_pass_through(capsys, tmp_path, monkeypatch):
    (tmp_path / "vars.yml").write_text("from_file: hello\n")
    monkeypatch.chdir(tmp_path)  # @file is relative to where sagelab runs, not to the project
    code, echoed = run_echo(capsys, tmp_path, "-e", "a=1 b=2", "-e", '{"nested": {"x": [1, 2]}}',
                            "-e", "@vars.yml", "--route", "venv", "--sdk", "3")
    assert code == 0
    assert (echoed["a"], echoed["b"]) == ("1", "2")
    assert echoed["nested"] == {"x": [1, 2]}
    assert echoed["from_file"] == "hello"
    assert echoed["sagelab_route"] == "venv"
    assert echoed["sagemaker_sdk_major"] == 3
    report_dir = Path(echoed["validate_report_dir"])
    assert report_dir.is_absolute() and report_dir.name == "reports"
    assert report_dir.parent.parent == REPO / ".sagelab" / "artifacts"
    assert echoed["sagelab_state_dir"] == str(REPO / ".sagelab")  # run from a clone: its .sagelab/
    assert echoed["check_mode"] is False and echoed["diff_mode"] is False


@pytest.mark.subprocess
def test_full_turns_the_fast_path_off(capsys, tmp_path):
    code, echoed = run_echo(capsys, tmp_path, "--full")
    assert code == 0
    assert echoed["sagelab_fast_path"] is False
    code, echoed = run_echo(capsys, tmp_path)
    assert code == 0
    assert echoed["sagelab_fast_path"] is None  # the playbook's default (on)


@pytest.mark.subprocess
def test_yaml_extra_vars_string(capsys, tmp_path):
    code, echoed = run_echo(capsys, tmp_path, "-e", "{nested: {x: yes}}")
    assert code == 0
    assert echoed["nested"] == {"x": True}


@pytest.mark.subprocess
def test_check_and_diff_reach_ansible(capsys, tmp_path):
    code, echoed = run_echo(capsys, tmp_path, "--check", "--diff")
    assert code == 0
    assert echoed["check_mode"] is True and echoed["diff_mode"] is True


def run_tagged(capsys, tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    echo_file = tmp_path / "ran.txt"
    echo_file.unlink(missing_ok=True)
    code, _unused = run_json(capsys, "--playbook", playbook("tagged"), "-i", INVENTORY,
                             "-e", f"echo_file={echo_file}", *args)
    return code, echo_file.read_text().split("\n")[:-1] if echo_file.exists() else []


@pytest.mark.subprocess
def test_tags_skip_tags_and_passthrough_reach_ansible(capsys, tmp_path):
    assert run_tagged(capsys, tmp_path) == (0, ["one ", "two"])
    assert run_tagged(capsys, tmp_path, "--tags", "two") == (0, ["two"])
    assert run_tagged(capsys, tmp_path, "--skip-tags", "two", "-f", "3", "-c", "local") == (0, ["one "])
    # anything else ansible-playbook takes, after `--`
    assert run_tagged(capsys, tmp_path, "--", "--start-at-task", "Record task two") == (0, ["two"])
    code, _doc = run_json(capsys, "--playbook", playbook("tagged"), "-i", INVENTORY, "--", "--no-such-option")
    assert code == 1  # ansible-playbook refused it: nothing ran


@pytest.mark.subprocess
def test_list_hosts_prints_ansibles_listing_and_runs_nothing(capsys, tmp_path):
    echo_file = tmp_path / "ran.txt"
    code = main(["workstation", "--playbook", playbook("tagged"), "-i", INVENTORY, "-e",
                 f"echo_file={echo_file}", "--list-hosts", "--list-tags"])
    out = capsys.readouterr().out
    assert code == 0
    assert "hosts (1):" in out and "localhost" in out
    assert "TASK TAGS: [one, two]" in out
    assert not echo_file.exists()


@pytest.mark.subprocess
def test_asked_passwords_answer_ansibles_prompts_and_stay_out_of_artifacts(capsys, tmp_path, monkeypatch):
    """-K and -J: the CLI asks once; ansible-runner answers ansible-playbook's prompts (the vault password
    decrypts a vars file, so a wrong answer fails the run)."""
    vault_pw, become_pw = "vault-Pw-8c1f2e", "become-Pw-77d0a9"
    pw_file = tmp_path / "vault-pass"
    pw_file.write_text(vault_pw)
    vars_file = tmp_path / "vault.yml"
    vars_file.write_text("secret_word: decrypted-word\n")
    subprocess.run([str(SAGELAB.parent / "ansible-vault"), "encrypt", "--vault-password-file", str(pw_file),
                    str(vars_file)], check=True, capture_output=True)
    answers = {"Vault password: ": vault_pw, "BECOME password: ": become_pw}
    monkeypatch.setattr("getpass.getpass", lambda prompt: answers[prompt])
    code, ran = run_tagged(capsys, tmp_path, "-J", "-K", "-e", f"@{vars_file}", "--tags", "one")
    assert (code, ran) == (0, ["one decrypted-word"])
    for path in (REPO / ".sagelab" / "artifacts").rglob("*"):
        if path.is_file() and path.stat().st_mtime > pw_file.stat().st_mtime:
            text = path.read_text(errors="replace")
            assert vault_pw not in text and become_pw not in text, path
    answers["Vault password: "] = "wrong"
    code, ran = run_tagged(capsys, tmp_path, "-J", "-e", f"@{vars_file}")
    assert (code, ran) == (1, [])  # Decryption failed: Ansible stopped before any host ran
    code, ran = run_tagged(capsys, tmp_path, "--vault-password-file", str(pw_file), "-e", f"@{vars_file}")
    assert (code, ran) == (0, ["one decrypted-word", "two"])


def test_a_missing_vars_file_is_refused_before_ansible_runs(capsys, tmp_path):
    before = set((REPO / ".sagelab" / "artifacts").glob("*"))
    code = main(["workstation", "--playbook", playbook("changed"), "-i", INVENTORY,
                 "-e", f"@{tmp_path / 'missing.yml'}"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert f"-e @{tmp_path / 'missing.yml'}: cannot read the file: No such file or directory" in captured.err
    assert set((REPO / ".sagelab" / "artifacts").glob("*")) == before  # no ansible-playbook run


# --- the user's -e ------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_the_users_extra_vars_win_over_the_clis_own(tmp_path):
    """The CLI's own vars (the local user as data scientist, the notebook's name, the AWS target) go first
    on ansible-playbook's command line: a later -e wins, so what the user says wins."""
    echo_file = tmp_path / "echo.json"
    request = PlaybookRequest(playbook=Path(playbook("echo_vars")), inventories=[INVENTORY],
                              vars={"a": "cli", "b": "cli", "validate_report_dir": "/cli/reports"},
                              extra_vars=[f"echo_file={echo_file}", '{"a": "user"}',
                                          "validate_report_dir=/user/reports"])
    result = run_playbook(request, REPO)
    assert result.rc == 0
    echoed = json.loads(echo_file.read_text())
    assert (echoed["a"], echoed["b"]) == ("user", "cli")
    assert Path(echoed["validate_report_dir"]) == result.report_dir  # where the CLI reads its reports


@pytest.mark.subprocess
def test_an_extra_var_that_contradicts_an_option_is_refused(capsys, tmp_path):
    echo_file = tmp_path / "echo.json"
    code = main(["workstation", "--playbook", playbook("echo_vars"), "-i", INVENTORY, "--route", "venv",
                 "-e", f"echo_file={echo_file}", "-e", "sagelab_route=conda"])
    assert code == 1
    assert ("sagelab: error: -e sagelab_route=conda contradicts --route venv (sagelab_route=venv); "
            "say it once") in capsys.readouterr().err
    assert not echo_file.exists()  # nothing ran
    code, echoed = run_echo(capsys, tmp_path, "--sdk", "3", "-e", "sagemaker_sdk_major=3", "--full",
                            "-e", "sagelab_fast_path=false")  # the same thing said twice is fine
    assert code == 0  # the user's own words (key=value: strings) are what the roles get
    assert (echoed["sagemaker_sdk_major"], echoed["sagelab_fast_path"]) == ("3", "false")


@pytest.mark.parametrize(("argv", "message"), [
    (["notebook", "up", "--name", "nb-a", "-e", "notebook_instance_name=nb-b"],
     "-e notebook_instance_name=nb-b contradicts --name nb-a"),
    (["notebook", "down", "-e", "notebook_instance_state=started"],
     "-e notebook_instance_state=started contradicts notebook down (notebook_instance_state=absent)"),
    (["studio", "down", "--delete-data", "-e", "studio_retain_home_efs=yes"],
     "-e studio_retain_home_efs=yes contradicts --delete-data (studio_retain_home_efs=False)"),
    (["up", "--no-aws", "-e", "sagelab_aws_cli_enabled=true"],
     "-e sagelab_aws_cli_enabled=true contradicts --no-aws"),
])
def test_the_aws_commands_refuse_a_contradicting_extra_var_before_any_aws_call(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "AWS side:" not in err  # refused before a target was chosen or a sandbox started


@pytest.mark.subprocess
def test_a_misspelled_variable_is_warned_about_with_the_closest_known_one(capsys, tmp_path):
    code = main(["workstation", "--playbook", playbook("changed"), "-i", INVENTORY,
                 "-e", "notebook_instance_tpye=ml.t3.large"])
    assert code == 0  # a warning: playbooks of the user's own may take variables sagelab does not know
    err = capsys.readouterr().err
    assert ("sagelab: warning: -e notebook_instance_tpye: not a variable of sagelab's roles or playbooks; "
            "did you mean notebook_instance_type?") in err
    assert "-e notebook_instance_type" not in err


def test_the_known_variables_come_from_the_argument_specs():
    known = extra_vars.known_variables(REPO)
    assert {"notebook_instance_type", "venv_name", "iam_users_list", "aws_cli_profile",
            "teardown_delete_data", "sagelab_route", "sagelab_aws_endpoint_url", "sagelab_tags"} <= known
    assert extra_vars.known_variables(REPO) is known  # read once
    assert extra_vars.unknown_warnings({"venv_nmae": 1, "ansible_user": "x", "venv_name": "s"}, known) == [
        "-e venv_nmae: not a variable of sagelab's roles or playbooks; did you mean venv_name?"]


@pytest.mark.parametrize(("value", "message"), [
    ('{"iam_users_list": [{"name": "alice"}}', "-e value 1 is not valid JSON/YAML at line 1, column 38"),
    ("{a: [1, }", "-e value 1 is not valid JSON/YAML at line 1, column 9"),
    ("[1, 2]", "-e value 1 is a list, not a mapping"),
    ("a=1 b", "-e value 1: 'b' is not key=value"),
    ("a='x", "-e value 1 is not valid key=value pairs: No closing quotation"),
    ("./vars.yml", "-e value 1 looks like a file name; allowed: @./vars.yml"),
])
def test_a_malformed_extra_var_says_which_and_where(value, message, capsys):
    code = main(["workstation", "--playbook", playbook("changed"), "-i", INVENTORY, "-e", value])
    err = capsys.readouterr().err
    assert code == 1
    assert f"sagelab: error: {message}" in err
    assert "inventory" not in err


def test_extra_vars_merge_as_ansible_merges_them(tmp_path):
    (tmp_path / "v.yml").write_text("a: 1\nb: {c: 2}\n")
    assert extra_vars.parse([f"@{tmp_path / 'v.yml'}", "a=2 d='x y'", '{"b": {"e": 3}}']) == {
        "a": "2", "b": {"e": 3}, "d": "x y"}
    assert extra_vars.parse([]) == {}


# --- redaction ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"secret {FAKE_SECRET} here",
    f"aws_secret_access_key = {FAKE_SECRET[:20]}",
    '{"aws_secret_access_key": "short-but-named"}',
    "key id AKIAIOSFODNN7EXAMPLE",
])
def test_redact_hides_credentials(text):
    hidden = redact(text)
    assert MASK in hidden
    for secret in (FAKE_SECRET, FAKE_SECRET[:20], "short-but-named", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in hidden


def test_redact_keeps_digests_and_paths():
    text = "commit 0123456789abcdef0123456789abcdef01234567 in /root/workdir/sagemaker/bin/python"
    assert redact(text) == text


@pytest.mark.subprocess
def test_no_secret_from_the_environment_lands_in_artifacts(capsys, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    code, doc = run_json(capsys, "--playbook", playbook("changed"), "-i", INVENTORY)
    assert code == 0
    artifacts = Path(doc["artifacts"])
    command = json.loads((artifacts / "command").read_text())
    assert command["env"]["AWS_SECRET_ACCESS_KEY"] == MASK
    for path in artifacts.rglob("*"):
        if path.is_file():
            assert FAKE_SECRET not in path.read_text(errors="replace"), path


# --- fleet report files ------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_report_files_show_every_host_and_check(capsys, tmp_path):
    """Two hosts pass, one fails a check, one cannot be reached: all four are in both files."""
    inventory = tmp_path / "fleet.yml"
    inventory.write_text(
        "workstations:\n  hosts:\n"
        "    ws-a: {ansible_connection: local, ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
        "    ws-b: {ansible_connection: local, ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
        "    ws-gone: {ansible_connection: ssh, ansible_host: unreachable.invalid, ansible_ssh_timeout: 2}\n")
    code = main(["validate", "--playbook", playbook("changed"), "-i", str(inventory), "--report",
                 str(tmp_path / "out")])
    capsys.readouterr()
    assert code == 2  # the unreachable host
    import xml.etree.ElementTree as ET

    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    cases = {(c.get("classname"), c.get("name")): c.find("failure") for c in suite.iter("testcase")}
    assert cases[("ws-a", "import boto3")] is None and cases[("ws-b", "import boto3")] is None
    assert cases[("ws-gone", "host reachable")] is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    page = (tmp_path / "out" / "report.html").read_text()
    assert "3 hosts, 2 passed, 1 failed" in page
    for host in ("ws-a", "ws-b", "ws-gone"):
        assert f"<th>{host}</th>" in page
    assert "2.250.0" in page and "FAILED" in page
    assert json.loads((tmp_path / "out" / "report.json").read_text())["hosts"].keys() == {
        "ws-a", "ws-b", "ws-gone"}


@pytest.mark.subprocess
def test_report_files_name_the_failed_check(capsys, tmp_path):
    assert main(["validate", "--playbook", playbook("failed_check"), "-i", INVENTORY,
                 "--report", str(tmp_path)]) == 2
    capsys.readouterr()
    xml = (tmp_path / "junit.xml").read_text()
    assert 'classname="localhost" name="kernel executes code"' in xml
    assert '<failure message="kernel died">' in xml
    assert "localhost</b> kernel executes code: kernel died" in (tmp_path / "report.html").read_text()


# --- no host matched ----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "workstation"])
def test_a_missing_inventory_is_refused_before_ansible_runs(command, capsys):
    before = set((REPO / ".sagelab" / "artifacts").glob("*"))
    assert main([command, "-i", "/no/such/inventory"]) == 1
    err = capsys.readouterr().err
    assert "sagelab: error: -i /no/such/inventory: no such inventory file or folder" in err
    assert set((REPO / ".sagelab" / "artifacts").glob("*")) == before


@pytest.mark.subprocess
def test_limit_matching_no_host_is_an_error_that_says_so(capsys):
    code, doc = run_json(capsys, "--playbook", playbook("changed"), "-i", INVENTORY, "--limit", "nohost",
                         command="validate")
    assert code == 1
    assert doc["hosts"] == {}
    assert doc["error"] == ("no host matched: --limit nohost names no host or group of the inventory "
                            f"{INVENTORY}")


@pytest.mark.parametrize("command", ["validate", "workstation"])
@pytest.mark.subprocess
def test_an_inventory_without_workstations_is_an_error_not_a_success(command, capsys, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("databases:\n  hosts:\n    db-1:\n")
    code = main([command, "-i", str(inventory)])  # the real playbook: its play matches no host
    captured = capsys.readouterr()
    assert code == 1
    message = f"no host matched: the inventory {inventory} has no host in the group the playbook runs on"
    assert f"sagelab: error: {message}" in captured.err
    assert f"status failed: {message}" in captured.out and "successful" not in captured.out


@pytest.mark.subprocess
def test_an_unreadable_inventory_is_an_error_that_says_so(capsys, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("workstations: [unclosed\n")
    assert main(["validate", "-i", str(inventory)]) == 1
    assert (f"sagelab: error: no host matched: the inventory {inventory} could not be read as an inventory"
            in capsys.readouterr().err)


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_sandbox_start_refuses_a_port_that_cannot_be(port, capsys, tmp_path, monkeypatch):
    """It took any free port for --port 99999, saying nothing."""
    monkeypatch.setenv("SAGELAB_SANDBOX_HOME", str(tmp_path))
    assert main(["sandbox", "start", "--port", port]) == 2  # a usage error
    assert f"argument --port: '{port}' is not a TCP port; allowed: 1 to 65535" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no sandbox started, none recorded


def test_the_local_jupyterlab_is_the_stamped_environments(tmp_path):
    from sagelab.cli import local_jupyterlab

    assert local_jupyterlab(tmp_path) == f"{tmp_path}/workdir/sagemaker/bin/jupyter lab"  # the book's
    stamp = tmp_path / ".cache" / "sagelab" / "converged.json"
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps({"env": "/srv/envs/conda-sagemaker"}))
    assert local_jupyterlab(tmp_path) == "/srv/envs/conda-sagemaker/bin/jupyter lab"


@pytest.mark.subprocess
def test_state_goes_to_the_project_dir_or_the_user_state_dir(tmp_path, monkeypatch, capsys):
    """Installed from the wheel, state goes to $XDG_STATE_HOME/sagelab; from a clone, to the clone's
    .sagelab/; --project-dir (or $SAGELAB_PROJECT_DIR) wins. The collection itself is only read."""
    from sagelab import runner

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SAGELAB_PROJECT_DIR", raising=False)
    assert runner.project_home() == REPO
    assert runner.project_dir(REPO) == REPO
    assert runner.project_dir(runner.PACKAGED) == tmp_path / "xdg" / "sagelab"
    assert runner.project_dir(runner.PACKAGED, tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.setenv("SAGELAB_PROJECT_DIR", str(tmp_path / "env"))
    assert runner.project_dir(REPO) == tmp_path / "env"
    monkeypatch.setenv("XDG_STATE_HOME", "relative")  # the XDG rule: ignored
    assert runner.user_state_dir() == Path.home() / ".local" / "state" / "sagelab"
    monkeypatch.delenv("SAGELAB_PROJECT_DIR")
    echo_file = tmp_path / "echo.json"
    code = main(["--project-dir", str(tmp_path / "proj"), "workstation", "--json", "--playbook",
                 playbook("echo_vars"), "-i", INVENTORY, "-e", f"echo_file={echo_file}"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert Path(doc["artifacts"]).parent == tmp_path / "proj" / ".sagelab" / "artifacts"
    assert json.loads(echo_file.read_text())["sagelab_state_dir"] == str(tmp_path / "proj" / ".sagelab")
