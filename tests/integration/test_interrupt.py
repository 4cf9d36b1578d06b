"""Ctrl-C during `sagelab up` (issue 17, item 6): the real CLI, real ansible-playbook, a sandbox of the file's
own. SIGINT goes to the CLI's process group, as a terminal's Ctrl-C does, once the access key is being made:
by then the bucket, the execution role and the IAM user exist. The summary must say so (it said
"changed 0 / no host ran a task"), say the run was interrupted and how to finish it, and exit 130; the
same command run again finishes the estate, replacing a key the interrupted run may have made and never
delivered (roles/iam_users marks the user before making it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

from sagelab.redact import redact
from sagelab.target import local_user
from tests.conftest import BIN, REPO, call_api
from tests.integration.test_up import isolated_up

# the task that makes the access key (roles/iam_users/tasks/access_keys.yml), as the CLI's progress prints it
ACCESS_KEY_TASK = "Ensure each user without an access key gets one (never a second one)"
# CreateAccessKey is throttled 4 times, which botocore retries with exponential back-off (about 7 s in all,
# under 1.5 s once in 300 runs), so the task is still running when the signal arrives. Unthrottled, an idle
# machine ends the whole access-key sequence first (1 run in 6 here) and leaves the rerun nothing to do.
THROTTLED = {"service": "iam", "operation": "CreateAccessKey", "status": 400, "code": "Throttling",
             "message": "Rate exceeded", "count": 4}


def test_ctrl_c_reports_what_was_done_exits_130_and_a_rerun_finishes(tmp_path, own_sandbox):
    run, iam, env = isolated_up(tmp_path, own_sandbox)
    user = local_user()
    call_api(own_sandbox.endpoint_url, "/sagelab-sandbox/faults", THROTTLED)
    proc = subprocess.Popen([str(BIN / "sagelab"), "up", "-e", f"@{tmp_path / 'vars.json'}"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    progress = []
    for line in proc.stderr:  # the CLI prints "[play] task" as each task starts (no terminal: plain lines)
        progress.append(line)
        if ACCESS_KEY_TASK in line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    else:
        proc.wait()
        raise AssertionError(f"the access-key task never started:\n{''.join(progress)[-3000:]}")
    err = proc.stderr.read()
    code = proc.wait(timeout=300)
    reader.join(timeout=30)
    text = " ".join(out[0].split())
    assert code == 130, text + err

    # what was done before the interrupt is reported, and is true
    assert "INTERRUPTED by SIGINT during the task" in text, text
    assert "aws_access: interrupted, changed" in text, text
    assert "changed 0" not in text and "no host ran a task" not in text, text
    done = int(text.split("done before it on localhost: changed ", 1)[1].split()[0])
    assert done > 0, text
    assert "changed: Ensure the users are present and tagged" in text, text
    assert iam.get_user(UserName=user)["User"]["UserName"] == user
    assert f"Rerun sagelab up -e @{tmp_path / 'vars.json'} to finish" in text, text
    assert redact(out[0] + err) == out[0] + err  # nothing credential-like in what it printed

    # the same command again finishes it: one key, delivered and in the workstation's profile, all checks
    code, doc, _unused = run()
    assert code == 0, json.dumps(doc, indent=1)[-4000:]
    assert doc["aws"]["aws_access"]["changed"] > 0, text  # the rest was made now
    assert "interrupted" not in doc
    (key,) = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    delivered = json.loads((tmp_path / "credentials" / f"{user}.json").read_text())
    assert delivered["access_key_id"] == key["AccessKeyId"]
    assert key["AccessKeyId"] in Path(tmp_path / "aws" / "credentials").read_text()
    checks = {c["name"]: c for c in doc["hosts"]["localhost"]["validation"]["checks"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["aws sts get-caller-identity"]["detail"].endswith(f":user/{user}")
