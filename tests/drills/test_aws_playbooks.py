"""Drills 5 (check-mode accuracy, AWS playbooks), 7 (secrets) and 8 (policies), mostly on the session's
shared estate (tests/aws_estate.py): the project's own playbooks, the real runs at -vvv, the same build
tests/integration/test_aws_access.py asserts on.

Check mode: the four AWS playbooks (aws_access, notebook, schedule, studio) run together
(tests/drills/playbooks/aws_all.yml imports them: one Ansible start-up) and teardown on its own, each
on a fresh target and on a converged one: the tasks --check reports changed are exactly those the real
run that follows changes; a check run sends no write call (moto's request recorder) and leaves the AWS
state, read with list/describe calls, and the delivered-credentials folder as they were. The teardown and
the runner drill change the estate: they use one of this file's own, in the worker's sandbox.

Secrets: the keys and passwords actually issued in these runs (read from the delivered files) appear in
no stdout/stderr of any run, no Ansible log (ANSIBLE_LOG_PATH), no fact cache (jsonfile cache on), and no
ansible-runner artifact of a run through sagelab's runner (the CLI's path); delivered files are 0600 in
0700 folders.

Policies: every IAM policy the runs generated (the data scientists' policy, the execution role's policy,
the scheduler role's inline policy, both trust policies, the bucket policy) is linted with parliament,
including its community auditors: no finding of any severity (ACCEPTED lists the accepted ones: none).

Names carry a per-run prefix and the region is one no other test uses (the tests count what a region holds).
"""

from __future__ import annotations

import json
import stat
import uuid
import warnings
from typing import Any

import boto3
import pytest

from tests.aws_estate import ALL, REGION, Estate, EstateRun, tree
from tests.conftest import REPO, recording, writes

TEARDOWN = "playbooks/teardown.yml"
# parliament findings accepted on purpose: (policy, issue) -> why. Policies are named as generated_policies
# names them, without the per-run prefix.
ACCEPTED: dict[tuple[str, str], str] = {
    ("managed policy users-policy", "RESOURCE_STAR"):
        "Statement ListAndDescribeSageMaker: read-only sagemaker:List* and sagemaker:Describe* on '*'. "
        "parliament names the List/Describe actions that take a resource ARN; the rest (ListEndpoints, "
        "ListNotebookInstances, ListDomains, ...) take none, and the workstation flow needs them. Scoping "
        "would mean enumerating about 150 read-only actions per SDK release for no gain in what can change.",
    **{(f"trust policy of {role}", "CREDENTIALS_EXPOSURE"):
       "parliament lints identity policies: a trust policy, linted with its implied resource (the role), "
       "reads as 'may call sts:AssumeRole', which returns credentials. That is what a trust policy is for; "
       "only the service principal (sagemaker / scheduler.amazonaws.com) is trusted."
       for role in ("execution", "scheduler")},
    ("managed policy users-policy", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "A community auditor that flags any IAM permissions-management action: iam:PassRole is limited "
        "to the one execution role and to sagemaker.amazonaws.com (iam:PassedToService), and "
        "iam:ChangePassword to the caller's own user (${aws:username}): console users must set their "
        "first password.",
}


@pytest.fixture(scope="module")
def estate(sandbox, tmp_path_factory) -> Estate:
    """This file's own converged estate (all four playbooks, at -vvv), for the drills that change it: the
    runner drill adds a data scientist, the teardown drill removes everything."""
    env = {**{k: v for k, v in sandbox.env.items() if k != "AWS_ENDPOINT_URL"},
           "AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "standard"}
    sts = boto3.client("sts", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    own = Estate(sandbox.endpoint_url, env, tmp_path_factory.mktemp("drill-aws"),
                 sts.get_caller_identity()["Account"], prefix=f"dr{uuid.uuid4().hex[:6]}")
    converged = own.run(ALL, "-vvv")
    assert converged.rc == 0, (converged.failure_messages(), converged.stdout[-3000:])
    assert converged.changed_tasks(), "the estate was not made"
    own.seen["secrets"] = issued_secrets(own)
    assert len(own.seen["secrets"]) == 3, len(own.seen["secrets"])  # alice's key, bob's key and password
    return own


def quiet(check: EstateRun) -> None:
    """A check run that sent no write call, left the AWS state and wrote nothing on the control node."""
    assert writes(check.calls) == [], f"check mode sent write calls: {writes(check.calls)}"
    assert check.after == check.before, "check mode changed the AWS state"
    assert check.files_after == check.files_before, "check mode wrote on the control node"


def recorded_check(estate: Estate, playbook: str) -> Any:
    """A --check --diff run on estate, that must succeed and be quiet()."""
    before, files_before = estate.snapshot(), tree(estate.creds)
    with recording(estate.endpoint_url) as calls:
        result = estate.run(playbook, "--check", "--diff")
    assert result.rc == 0, (result.failure_messages(), result.stdout[-3000:])
    quiet(EstateRun(result, calls, before, estate.snapshot(), files_before, tree(estate.creds)))
    return result


def ok(run: Any) -> Any:
    assert run.rc == 0, (run.failure_messages(), run.stdout[-3000:], run.stderr[-3000:])
    assert run.data, "no JSON from the json callback"
    return run


# --- the drills that change the estate: this file's own (first: under pytest-xdist the other worker may be
# building the shared estate meanwhile) -------------------------------------------------------------------

def test_secrets_issued_through_sagelabs_runner_at_vvv_never_reach_its_artifacts(estate, tmp_path):
    """A new data scientist (key and password issued) through sagelab.runner, as the CLI runs playbooks."""
    from sagelab.runner import PlaybookRequest, run_playbook

    home = tmp_path / "home"
    home.mkdir()
    config = (REPO / "ansible.cfg").read_text()
    for relative in ("./.collections", "./roles", "inventories/local/hosts.yml"):
        config = config.replace(relative, str(REPO / relative.removeprefix("./")))
    (home / "ansible.cfg").write_text(config)
    dave = estate.name("dave")
    users = [*estate.users(), {"name": dave, "console_access": True}]
    extra = estate.extra_vars(iam_users_list=users)
    request = PlaybookRequest(playbook=REPO / "playbooks/aws_access.yml", extra_vars=[json.dumps(extra)],
                              env=estate.env, ansible_verbosity=3)
    result = run_playbook(request, home)
    assert result.rc == 0, result.failures
    delivered = [json.loads((estate.creds / f"{dave}.json").read_text())["secret_access_key"],
                 json.loads((estate.creds / "console" / f"{dave}.json").read_text())["password"]]
    artifacts = [p for p in (home / ".sagelab").rglob("*") if p.is_file()]
    assert any(p.name == "stdout" for p in artifacts) and any("job_events" in p.parts for p in artifacts)
    estate.seen["secrets"] += delivered
    leaks = [(str(p), s[:4]) for p in artifacts for s in delivered if s in p.read_text(errors="replace")]
    assert leaks == []
    events = "".join(p.read_text() for p in artifacts if "job_events" in p.parts)
    assert "censored" in events  # the no_log tasks were there, and censored


def test_check_mode_foretells_the_teardown_exactly_then_nothing(estate):
    foretold = recorded_check(estate, TEARDOWN).changed_tasks()
    assert "Ensure sagelab's notebook instances are stopped and deleted" in foretold
    removed = ok(estate.run(TEARDOWN, "-vvv"))
    assert removed.changed_tasks() == foretold
    after = estate.snapshot()
    assert after["notebooks"] == {} and after["schedules"] == {} and after["users"] == {}
    assert recorded_check(estate, TEARDOWN).changed_tasks() == []
    assert ok(estate.run(TEARDOWN)).changed_tasks() == []


# --- drill 5: check mode tells the truth --------------------------------------------------------------

def test_check_mode_on_a_fresh_account_foretells_the_converge_exactly(shared_estate):
    """aws_access, notebook and studio; schedule on its own (next test)."""
    checked, converged = shared_estate.runs["fresh_check"], shared_estate.runs["converge"]
    ok(checked.run)
    quiet(checked)
    foretold = checked.run.changed_tasks()
    assert len(foretold) >= 10, foretold
    done = ok(converged.run).changed_tasks()
    assert done == foretold, "check mode and the converge that follows differ"


def test_check_mode_foretells_the_schedules_on_a_fresh_account(shared_estate):
    checked, converged = shared_estate.runs["schedule_check"], shared_estate.runs["schedule"]
    quiet(checked)
    ok(converged.run)
    after = converged.after
    n = shared_estate.name
    users = sorted(u["name"] for u in shared_estate.users())
    assert set(after["notebooks"]) == {n("nb")} and set(after["schedules"]) == {
        n(f"nb-{s}") for s in ("stop-weeknight", "stop-weekend", "start-morning")}
    assert after["domains"] == {n("studio"): users} and sorted(after["users"]) == users
    assert checked.run.rc == 0, checked.run.failure_messages()
    assert checked.run.changed_tasks() == converged.run.changed_tasks()
    assert len(converged.run.changed_tasks()) == 3, converged.run.changed_tasks()


def generated_policies(estate: Estate) -> dict[str, dict]:
    """Every IAM policy document (and the bucket policy) the converge made, by a name for messages."""
    iam, s3 = estate.client("iam"), estate.client("s3")
    n = estate.name

    def doc(value: Any) -> dict:
        return json.loads(value) if isinstance(value, str) else value

    found: dict[str, dict] = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        if policy["PolicyName"].startswith(estate.prefix):
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            found[f"managed policy {policy['PolicyName']}"] = doc(version["PolicyVersion"]["Document"])
    for role in (n("execution"), n("scheduler")):
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        found[f"trust policy of {role}"] = doc(trust)
        for inline in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            found[f"inline policy {inline} of {role}"] = doc(
                iam.get_role_policy(RoleName=role, PolicyName=inline)["PolicyDocument"])
    found["bucket policy"] = json.loads(s3.get_bucket_policy(Bucket=estate.bucket)["Policy"])
    assert {f"managed policy {n('users-policy')}", f"managed policy {n('execution-policy')}",
            f"trust policy of {n('scheduler')}", "bucket policy"} <= set(found), sorted(found)
    assert any(name.startswith("inline policy") for name in found), sorted(found)
    return found


def issued_secrets(estate: Estate) -> list[str]:
    """The secret access keys and first passwords delivered to estate, read from the delivered files."""
    secrets = []
    for path in estate.creds.rglob("*.json"):
        delivered = json.loads(path.read_text())
        secrets += [delivered[k] for k in ("secret_access_key", "password") if k in delivered]
    assert all(len(s) >= 16 for s in secrets)
    return secrets


def test_check_mode_on_a_converged_account_foretells_no_change_and_none_happens(shared_estate):
    checked, again = shared_estate.runs["converged_check"], shared_estate.runs["again"]
    ok(checked.run)
    quiet(checked)
    assert checked.before == shared_estate.runs["schedule"].after, "the estate changed between the runs"
    assert checked.run.changed_tasks() == []
    assert ok(again.run).changed_tasks() == []
    assert again.after == checked.before


# --- drill 7: no secret anywhere --------------------------------------------------------------------------

def test_no_issued_secret_in_any_output_log_or_fact_cache_and_files_are_private(shared_estate, estate):
    """Both estates: the shared one's secrets (alice's key, bob's key and first password) and this file's
    own (the same three, then dave's two through the runner), searched for in every run of both."""
    shared = issued_secrets(shared_estate)
    assert len(shared) == 3, len(shared)
    secrets = shared + estate.seen["secrets"]
    assert len(secrets) >= 6, len(secrets)  # and dave's two once the runner drill ran
    outputs = shared_estate.outputs + estate.outputs
    assert len(outputs) >= 9
    assert any("<127.0.0.1> EXEC" in o or "ESTABLISH LOCAL CONNECTION" in o for o in outputs), \
        "the runs were not verbose"
    places = {f"output of run {i}": text for i, text in enumerate(outputs)}
    for where in (shared_estate, estate):
        places[f"ansible log of {where.prefix}"] = where.log.read_text()
        assert len(places[f"ansible log of {where.prefix}"]) > 10_000
        for path in where.facts.rglob("*") if where.facts.exists() else []:
            if path.is_file():
                places[f"fact cache {where.prefix} {path.name}"] = path.read_text()
    leaks = sorted(place for place, text in places.items() for secret in secrets if secret in text)
    assert leaks == []
    for folder in (shared_estate.creds, shared_estate.creds / "console"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    files = [p for p in shared_estate.creds.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), files
    print(f"secrets: {len(secrets)} issued secrets, {len(places)} places searched")


# --- drill 8: the generated policies, linted -------------------------------------------------------------

def test_every_generated_policy_passes_parliament_with_no_finding(shared_estate):
    """The policies the shared estate's converge made."""
    policies = generated_policies(shared_estate)
    estate = shared_estate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # parliament imports pkg_resources
        from parliament import analyze_policy_string
    findings, accepted = {}, []
    for name, document in policies.items():
        if name.startswith("trust policy of "):
            # parliament lints identity policies; a trust policy's resource is implied (the role itself,
            # and IAM refuses an explicit one): lint it with that resource filled in
            role = name.removeprefix("trust policy of ")
            document = {**document, "Statement": [{**st, "Resource": f"arn:aws:iam::123456789012:role/{role}"}
                                                  for st in document["Statement"]]}
        analyzed = analyze_policy_string(json.dumps(document), include_community_auditors=True)
        short = name.replace(f"{estate.prefix}-", "")
        for finding in analyzed.findings:
            if (short, finding.issue) in ACCEPTED:
                accepted.append((short, finding.issue))
            else:
                findings.setdefault(name, []).append((finding.issue, str(finding.detail)[:300]))
    print(f"parliament: {len(policies)} policies, {len(findings)} with findings, accepted {accepted}")
    assert findings == {}
    assert set(accepted) == set(ACCEPTED), "an accepted finding is gone: remove it from ACCEPTED"
