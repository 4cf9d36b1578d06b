"""Drill 6: bad input, one table across the roles and the modules, each case refused before any change
with a message that names the variable, the value and the rule.

Cheap by design, two ansible-playbook runs for the whole table:
- ROLE_CASES: each role's preflight (the entry point every playbook runs first, in its own play, before
  any role changes anything; argument_specs validate types and unknown keys there), one block per case
  with the bad value as the include's vars; the rescue records the refusal.
- MODULE_CASES: each module directly, one task per case (ignore_errors).
While they run the session sandbox records every request: there must be none, and the temporary folder
the cases point at stays empty. The per-playbook runs that prove a refusal stops the whole playbook are
in tests/integration (test_workstation, test_aws_access, test_notebook_instance, test_cost_controls).
Each expected message is the part that names variable and value; RULE words must appear too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import recording, run_playbook

TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}
ROLE_ARN = "arn:aws:iam::123456789012:role/sagelab-drill"
STOP_ARN = "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance"
RULE = ("allowed", "not a valid", "not supported", "is required", "mutually exclusive", "must be one of",
        "Supported parameters", "unable to convert", "refused", "missing or empty", "more than once",
        "not an exact release", "reserved", "not a known route", "out of range", "needs six fields",
        "at most")

# (id, role, variable, bad value, expected text naming variable and value)
ROLE_CASES = [
    ("venv-name-slash", "venv", "venv_name", "team/sagemaker", "venv_name: 'team/sagemaker' is not allowed"),
    ("venv-name-space", "venv", "venv_name", "sage maker", "venv_name: 'sage maker' is not allowed"),
    ("sdk-major-range", "sagemaker_sdk", "sagemaker_sdk_major", 4,
     "sagemaker_sdk_major: '4' is not supported"),
    ("sdk-major-type", "sagemaker_sdk", "sagemaker_sdk_major", "two", "sagemaker_sdk_major"),
    ("sdk-version-of-other-major", "sagemaker_sdk", "sagemaker_sdk_version", "3.1.0",
     "sagemaker_sdk_version: '3.1.0' is not allowed"),
    ("sdk-requirement-pattern", "sagemaker_sdk", "sagemaker_sdk_extra_packages", ["scikit-learn>>=1"],
     "'scikit-learn>>=1' is not a valid requirement"),
    ("kernel-name-pattern", "jupyter_kernel", "jupyter_kernel_name", "Sage Maker",
     "jupyter_kernel_name: 'Sage Maker' is not a valid kernel name"),
    ("uv-version-pattern", "python", "python_uv_version", "latest",
     "python_uv_version: 'latest' is not an exact release"),
    ("validate-timeout-range", "validate", "validate_timeout", 0, "validate_timeout: '0' is not allowed"),
    ("iam-user-name-pattern", "iam_users", "iam_users_list", [{"name": "alice smith"}],
     "iam_users_list[0].name: 'alice smith' is not allowed"),
    ("iam-user-name-length", "iam_users", "iam_users_list", [{"name": "a" * 65}],
     f"iam_users_list[0].name: '{'a' * 65}' is not allowed"),
    ("iam-user-state-choice", "iam_users", "iam_users_list", [{"name": "alice", "state": "gone"}],
     "iam_users_list[0].state (alice): 'gone' is not allowed; allowed: present, absent"),
    ("iam-user-twice", "iam_users", "iam_users_list", [{"name": "alice"}, {"name": "Alice"}],
     "iam_users_list: 'alice' is listed more than once"),
    ("iam-user-unknown-key", "iam_users", "iam_users_list", [{"name": "alice", "admin": True}],
     "iam_users_list.admin. Supported parameters include"),
    ("iam-user-flag-type", "iam_users", "iam_users_list", [{"name": "alice", "console_access": "yes"}],
     "iam_users_list[0] (alice): console_access 'yes'"),
    ("bucket-name-uppercase", "s3_bucket", "s3_bucket_name", "My_Bucket",
     "s3_bucket_name: 'My_Bucket' is not allowed"),
    ("bucket-name-ip", "s3_bucket", "s3_bucket_name", "192.168.1.1",
     "s3_bucket_name: '192.168.1.1' is not allowed"),
    ("bucket-state-choice", "s3_bucket", "s3_bucket_state", "gone", "s3_bucket_state: 'gone' is not allowed"),
    ("bucket-delete-needs-delete-data", "s3_bucket", "s3_bucket_state", "absent",
     "s3_bucket_state: 'absent' is not allowed while s3_bucket_delete_data is"),
    ("bucket-region-pattern", "s3_bucket", "sagelab_aws_region", "mars-north-1a",
     "(sagelab_aws_region): 'mars-north-1a' is not allowed"),
    ("bucket-encryption-choice", "s3_bucket", "s3_bucket_encryption", "none",
     "s3_bucket_encryption: 'none' is not allowed; allowed: AES256, aws:kms"),
    ("role-bucket-pattern", "execution_role", "execution_role_buckets", ["ok-bucket", "Bad_Bucket"],
     "execution_role_buckets: 'Bad_Bucket' is not allowed"),
    ("role-cost-tags-required", "execution_role", "sagelab_tags",
     {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": ""}, "(missing or empty: Owner, CostCenter)"),
    ("notebook-name-pattern", "notebook_instance", "notebook_instance_name", "bad_name!",
     "notebook_instance_name: 'bad_name!' is not allowed"),
    ("notebook-type-pattern", "notebook_instance", "notebook_instance_type", "t3.medium",
     "notebook_instance_type: 't3.medium' is not allowed"),
    ("notebook-volume-range", "notebook_instance", "notebook_instance_volume_size", 2,
     "notebook_instance_volume_size: '2' is not allowed"),
    ("notebook-idle-range", "notebook_instance", "notebook_instance_idle_minutes", 3,
     "notebook_instance_idle_minutes: '3' is not allowed"),
    ("notebook-repositories-count", "notebook_instance", "notebook_instance_additional_code_repositories",
     ["a", "b", "c", "d"],
     "notebook_instance_additional_code_repositories: ['a', 'b', 'c', 'd'] is not allowed"),
    # values only the module (or AWS) refused, after the lifecycle configuration was made: now the preflight
    ("notebook-type-unknown", "notebook_instance", "notebook_instance_type", "ml.t3.tiny",
     "notebook_instance_type: 'ml.t3.tiny' is not allowed; allowed: a notebook instance type, one of the"),
    ("notebook-tag-value-length", "notebook_instance", "notebook_instance_tags", {**TAGS, "Owner": "o" * 257},
     f"notebook_instance_tags: value '{'o' * 257}' of Owner is not allowed; allowed: a string of up to 256"),
    ("role-tag-value-length", "execution_role", "sagelab_tags", {**TAGS, "Project": "p" * 257},
     "execution_role_tags (sagelab_tags): value"),
    ("studio-tag-key-reserved", "studio", "sagelab_tags", {**TAGS, "aws:team": "ml"},
     "studio_tags (sagelab_tags): key 'aws:team' is not allowed; keys starting with 'aws:' are reserved"),
    ("bucket-too-many-tags", "s3_bucket", "sagelab_tags", {**TAGS, **{f"k{i}": "v" for i in range(50)}},
     "s3_bucket_tags (sagelab_tags): 54 tags given; allowed: at most 50"),
    # AWS's TagKey (1-128) and TagValue (0-256) limits, in every role that tags what it makes
    ("bucket-tag-key-length", "s3_bucket", "sagelab_tags", {**TAGS, "k" * 129: "v"},
     f"s3_bucket_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("bucket-tag-value-length", "s3_bucket", "s3_bucket_tags", {**TAGS, "Owner": "o" * 257},
     f"s3_bucket_tags (sagelab_tags): value '{'o' * 257}' of Owner is not allowed; allowed: a string of up"),
    ("role-tag-key-length", "execution_role", "execution_role_tags", {**TAGS, "k" * 129: "v"},
     f"execution_role_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128"),
    ("iam-tag-key-length", "iam_users", "sagelab_tags", {**TAGS, "k" * 129: "v"},
     f"iam_users_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("iam-tag-value-length", "iam_users", "iam_users_tags", {**TAGS, "CostCenter": "c" * 257},
     f"iam_users_tags (sagelab_tags): value '{'c' * 257}' of CostCenter is not allowed; allowed: a string"),
    ("notebook-tag-key-length", "notebook_instance", "notebook_instance_tags", {**TAGS, "k" * 129: "v"},
     f"notebook_instance_tags: key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("studio-tag-key-length", "studio", "studio_tags", {**TAGS, "k" * 129: "v"},
     f"studio_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("studio-tag-value-length", "studio", "sagelab_tags", {**TAGS, "Project": "p" * 257},
     f"studio_tags (sagelab_tags): value '{'p' * 257}' of Project is not allowed; allowed: a string"),
    ("schedule-tag-key-length", "cost_controls", "sagelab_tags", {**TAGS, "k" * 129: "v"},
     f"cost_controls_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("schedule-tag-value-length", "cost_controls", "cost_controls_tags", {**TAGS, "Owner": "o" * 257},
     f"cost_controls_tags (sagelab_tags): value '{'o' * 257}' of Owner is not allowed; allowed: a string"),
    ("sdk-tag-key-length", "sagemaker_sdk", "sagemaker_sdk_tags", {**TAGS, "k" * 129: "v"},
     f"sagemaker_sdk_tags (sagelab_tags): key '{'k' * 129}' is not allowed; allowed: 1 to 128 characters"),
    ("sdk-tag-value-length", "sagemaker_sdk", "sagelab_tags", {**TAGS, "Owner": "o" * 257},
     f"sagemaker_sdk_tags (sagelab_tags): value '{'o' * 257}' of Owner is not allowed; allowed: a string"),
    ("schedule-cron-day-fields", "cost_controls", "cost_controls_weeknight_stop", "cron(0 20 * * MON-FRI *)",
     "cost_controls_weeknight_stop: 'cron(0 20 * * MON-FRI *)' is not allowed"),
    ("schedule-timezone", "cost_controls", "cost_controls_timezone", "Europe/Paris-ish",
     "cost_controls_timezone: 'Europe/Paris-ish' is not allowed; allowed: an IANA time zone"),
    ("schedule-instance-pattern", "cost_controls", "cost_controls_notebook_instances", ["bad_name!"],
     "cost_controls_notebook_instances: ['bad_name!'] is not allowed"),
]

# (id, module, args, expected text naming option and value)
PP, KS = "sagelab.sagemaker.python_packages", "sagelab.sagemaker.jupyter_kernelspec"
NB, LCC = "sagelab.sagemaker.sagemaker_notebook_instance", "sagelab.sagemaker.sagemaker_lifecycle_config"
REPO, DOM = "sagelab.sagemaker.sagemaker_code_repository", "sagelab.sagemaker.sagemaker_domain"
PROF, SCHED = "sagelab.sagemaker.sagemaker_user_profile", "sagelab.sagemaker.scheduler_schedule"
DOM_INFO = "sagelab.sagemaker.sagemaker_domain_info"


def schedule(**override: Any) -> dict:
    return {"name": "night-stop", "schedule_expression": "cron(0 20 ? * MON-FRI *)",
            "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN}, **override}


MODULE_CASES = [
    ("packages-requirement", PP, {"venv": "{tmp}/env", "requirements": ["pandas ==="]},
     "requirements: 'pandas ===' is not a valid requirement"),
    ("packages-index-url", PP, {"venv": "{tmp}/env", "index_url": "ftp://mirror"},
     "index_url: 'ftp://mirror' is not a URL"),
    ("packages-unknown-key", PP, {"venv": "{tmp}/env", "pakages": ["boto3"]},
     "Unsupported parameters for (sagelab.sagemaker.python_packages) module: pakages"),
    ("packages-state-choice", PP, {"venv": "{tmp}/env", "state": "latest"},
     "value of state must be one of: present, absent, got: latest"),
    ("kernelspec-name", KS, {"name": "Sage Maker", "python": "/usr/bin/python3"},
     "name: 'Sage Maker' is not a valid kernel name"),
    ("notebook-name", NB, {"name": "bad_name!", "role": ROLE_ARN}, "name: 'bad_name!' is not allowed"),
    ("notebook-volume-range", NB, {"name": "nb", "role": ROLE_ARN, "volume_size": 2},
     "volume_size: 2 is not allowed; allowed: 5 to 16384"),
    ("notebook-volume-type", NB, {"name": "nb", "role": ROLE_ARN, "volume_size": "big"},
     "argument 'volume_size' is of type"),
    ("notebook-role", NB, {"name": "nb", "role": "arn:aws:iam::1:role/x"},
     "role: 'arn:aws:iam::1:role/x' is not allowed"),
    ("notebook-aws-tag", NB, {"name": "nb", "role": ROLE_ARN, "tags": {"aws:owner": "x"}},
     "tags: key 'aws:owner' is not allowed; keys starting with 'aws:' are reserved"),
    ("lifecycle-name-length", LCC, {"name": "l" * 64}, f"name: '{'l' * 64}' is not allowed"),
    ("repository-url", REPO, {"name": "repo", "repository_url": "git@github.com:a/b.git"},
     "repository_url: 'git@github.com:a/b.git' is not allowed"),
    ("domain-idle-range", DOM, {"name": "ok", "idle_timeout_minutes": 30},
     "idle_timeout_minutes: 30 is not allowed; allowed: 60"),
    ("domain-auth-choice", DOM, {"name": "ok", "auth_mode": "LDAP"}, "value of auth_mode must be one of"),
    ("domain-info-exclusive", DOM_INFO, {"name": "ok", "domain_id": "d-abc"},
     "parameters are mutually exclusive: name|domain_id"),
    ("profile-exclusive", PROF, {"name": "alice", "domain_id": "d-abc", "domain_name": "studio"},
     "parameters are mutually exclusive: domain_id|domain_name"),
    ("profile-url-expiry-range", PROF,
     {"name": "alice", "domain_id": "d-x", "presigned_url_expires_seconds": 600},
     "presigned_url_expires_seconds: 600 is not allowed; allowed: 5 to 300"),
    ("schedule-cron-hours", SCHED, schedule(schedule_expression="cron(0 25 ? * MON-FRI *)"),
     "hours value 25 is out of range 0-23"),
    ("schedule-timezone", SCHED, schedule(schedule_expression_timezone="Europe/Atlantis"),
     "schedule_expression_timezone: 'Europe/Atlantis'"),
    ("schedule-retry-range", SCHED, schedule(target={"arn": STOP_ARN, "role_arn": ROLE_ARN, "retry_policy": {
        "maximum_retry_attempts": 200, "maximum_event_age_in_seconds": 60}}),
     "maximum_retry_attempts: 200 is not allowed; allowed: 0 to 185"),
    ("schedule-name", SCHED, schedule(name="night stop"), "name: 'night stop' is not allowed"),
]

RECORD_REFUSAL = "{{ drill_refused | combine({'CASE': ansible_failed_result.msg}) }}"
# What every role needs besides the bad value (the playbooks' own defaults or sandbox settings).
BASE_VARS = {"sagelab_tags": TAGS, "sagelab_python_version": "", "notebook_instance_name": "nb-ok",
             "cost_controls_notebook_instances": ["nb-ok"]}


@pytest.fixture(scope="module")
def refusals(sandbox, tmp_path_factory) -> dict[str, Any]:
    """Both tables in one ansible-playbook run each, with every AWS request recorded."""
    tmp = tmp_path_factory.mktemp("bad-input")
    target = tmp / "target"
    target.mkdir()
    blocks = []
    for i, (case, role, var, value, _unused) in enumerate(ROLE_CASES):
        blocks.append({"name": f"Case {case}", "block": [{
            "name": f"Run the {role} preflight ({case})",
            "ansible.builtin.include_role": {"name": f"sagelab.sagemaker.{role}", "tasks_from": "preflight"},
            "vars": {**BASE_VARS, var: value}},
            {"name": f"Record that {case} passed (wrong)",
             "ansible.builtin.set_fact": {"drill_passed": f"{{{{ drill_passed + [{i}] }}}}"}}],
            "rescue": [{"name": f"Record the refusal of {case}", "ansible.builtin.set_fact": {
                "drill_refused": RECORD_REFUSAL.replace("CASE", case)}}]})
    roles_play = [{"name": "Preflights", "hosts": "localhost", "connection": "local", "gather_facts": True,
                   "gather_subset": ["min"], "vars": {"drill_passed": [], "drill_refused": {}},
                   "tasks": [*blocks, {"name": "Show the refusals",
                                       "ansible.builtin.debug": {"var": "drill_refused"}}]}]
    playbook = tmp / "preflights.yml"
    playbook.write_text(json.dumps(roles_play))
    modules_play = [{"name": "Modules", "hosts": "localhost", "connection": "local", "gather_facts": False,
                     "tasks": [{"name": f"Case {case}",
                                module: json.loads(json.dumps(args).replace("{tmp}", str(target))),
                                "ignore_errors": True}
                               for case, module, args, _unused in MODULE_CASES]}]
    modules = tmp / "modules.yml"
    modules.write_text(json.dumps(modules_play))
    env = {**sandbox.env, "JUPYTER_DATA_DIR": str(target / "jupyter")}
    with recording(sandbox.endpoint_url) as calls:
        roles_run = run_playbook(str(playbook), env=env)
        modules_run = run_playbook(str(modules), env=env)
    tasks = roles_run.data["plays"][0]["tasks"]
    refused = tasks[-1]["hosts"]["localhost"]["drill_refused"]
    module_tasks = modules_run.data["plays"][0]["tasks"]
    module_results = {case: task["hosts"]["localhost"]
                      for (case, *_unused), task in zip(MODULE_CASES, module_tasks, strict=True)}
    changed = [t["task"]["name"] for run in (roles_run, modules_run) for p in run.data["plays"]
               for t in p["tasks"] if t["hosts"].get("localhost", {}).get("changed")]
    return {"roles": refused, "modules": module_results, "calls": calls, "target": target, "changed": changed}


def test_the_table_is_at_least_thirty_cases_across_roles_and_modules():
    assert len(ROLE_CASES) + len(MODULE_CASES) >= 30
    assert len({role for _unused, role, *_unused in ROLE_CASES}) >= 10
    assert len({module for _unused, module, *_unused in MODULE_CASES}) >= 8
    print(f"bad input: {len(ROLE_CASES)} role cases, {len(MODULE_CASES)} module cases")


@pytest.mark.parametrize(("case", "role", "var", "value", "message"), ROLE_CASES,
                         ids=[c[0] for c in ROLE_CASES])
def test_a_role_refuses_bad_input_naming_variable_value_and_rule(refusals, case, role, var, value, message):
    msg = refusals["roles"].get(case)
    assert msg is not None, f"{role} accepted {var}={value!r}"
    assert message in msg, msg
    assert var in msg, msg
    assert any(rule in msg for rule in RULE), f"no rule in {msg!r}"


@pytest.mark.parametrize(("case", "module", "args", "message"), MODULE_CASES,
                         ids=[c[0] for c in MODULE_CASES])
def test_a_module_refuses_bad_input_naming_option_value_and_rule(refusals, case, module, args, message):
    result = refusals["modules"][case]
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert any(rule in result["msg"] for rule in RULE), f"no rule in {result['msg']!r}"
    assert "Traceback" not in json.dumps(result)
    assert result.get("changed") is not True


def test_nothing_changed_and_aws_was_never_called(refusals):
    assert refusals["calls"] == [], refusals["calls"]
    assert refusals["changed"] == []
    assert sorted(p.name for p in Path(refusals["target"]).iterdir()) == []
