"""The action sagelab.sagemaker.preflight (plugins/action/preflight.py) and the role rules it applies
(plugins/plugin_utils/_preflight_rules.py).

In-process: the checks of every role on bad values of each kind - a type or choice the argument spec
refuses, a shared rule of _validators.py, a cross-variable rule - with the whole list of messages; the
bindings name only variables the roles declare and rules that exist; secrets never appear.
One real ansible-playbook run tries every role (a block per case, the refusal recorded in the rescue): the
action fails once with every error, no task of the role after it runs, and in check mode it passes with
changed=false. No sandbox: the cases point the AWS roles at a closed local port.
"""

from __future__ import annotations

import json
import sys

import pytest
import yaml

from tests.conftest import REPO, run_playbook

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.sagelab.sagemaker.plugins.action import preflight  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.plugin_utils import _preflight_rules as role_rules  # noqa: E402

TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}
ROLE_ARN = "arn:aws:iam::123456789012:role/sagelab-drill"
ROLES = sorted(p.parent.parent.name for p in REPO.glob("roles/*/tasks/preflight.yml"))
NAME_HELP = "1 to 63 ASCII letters, digits and hyphens, starting and ending with a letter or digit"
BUCKET_HELP = ("3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no "
               "'..', not an IP address (the S3 bucket naming rules)")
SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"


def errors(role: str, raw: dict) -> list[str]:
    return preflight.check(role, preflight.spec_of(str(REPO / "roles" / role)), raw)


def same(found: list[str], expected: list[str]) -> bool:
    """The lists equal; an expected line ending in '...' is the start of ansible-core's message (its list of
    valid booleans comes in no fixed order)."""
    return len(found) == len(expected) and all(
        f.startswith(e[:-3]) if e.endswith("...") else f == e for f, e in zip(found, expected, strict=True))


# --- in-process --------------------------------------------------------------------------------------------

def test_each_kind_of_check_in_one_list():
    assert errors("notebook_instance", {
        "notebook_instance_volume_size": "big", "notebook_instance_state": "running",
        "notebook_instance_name": "bad_name!", "notebook_instance_direct_internet_access": False,
        "notebook_instance_subnet_id": "", "notebook_instance_tags": TAGS,
        "notebook_instance_role_effective": ROLE_ARN}) == [
        # type (the spec), choice (the spec, in sagelab's form), shared rule, cross-variable rule
        "notebook_instance_volume_size: 'big' is not allowed; allowed: a whole number (int)",
        "notebook_instance_state: 'running' is not allowed; allowed: present, started, stopped, absent",
        f"notebook_instance_name: 'bad_name!' is not allowed; allowed: {NAME_HELP}",
        "notebook_instance_direct_internet_access: false is not allowed without notebook_instance_subnet_id; "
        "allowed: true, or false together with a subnet (the instance then reaches the internet through the "
        "VPC)"]


def test_a_value_two_rules_refuse_is_told_once_and_valid_input_passes():
    raw = {"notebook_instance_name": "bad_name!", "notebook_instance_tags": TAGS,
           "notebook_instance_role_effective": ROLE_ARN}
    assert errors("notebook_instance", raw) == [
        f"notebook_instance_name: 'bad_name!' is not allowed; allowed: {NAME_HELP}"]
    assert errors("notebook_instance", {**raw, "notebook_instance_name": "nb-ok"}) == []
    assert errors("notebook_instance", {**raw, "notebook_instance_name": "nb-ok",
                                        "notebook_instance_type": "ml.t3.tiny"})[0].startswith(
        "notebook_instance_type: 'ml.t3.tiny' is not allowed; allowed: a notebook instance type, one of the")


def test_iam_users_entries_each_with_index_and_name():
    assert errors("iam_users", {
        "iam_users_list": [{"name": "alice smith"}, {"name": "alice", "state": "gone"},
                           {"name": "Alice", "console_access": "yes"}],
        "iam_users_password_length": 12, "iam_users_tags": TAGS}) == [
        "iam_users_password_length: '12' is not allowed; allowed: a whole number from 14 to 128",
        "iam_users_list[0].name: 'alice smith' is not allowed; allowed: 1-64 letters, digits and '+=,.@_-' "
        "(the IAM user name rules), e.g. alice or alice.smith@example.com",
        "iam_users_list[1].state (alice): 'gone' is not allowed; allowed: present, absent",
        "iam_users_list[2] (Alice): console_access 'yes' / create_access_key 'True' is not allowed; allowed: "
        "true or false",
        "iam_users_list: 'alice' is listed more than once; allowed: each user once (IAM user names are "
        "case-insensitive)"]


def test_a_list_the_spec_refuses_is_not_checked_again():
    assert errors("iam_users", {"iam_users_list": [{"name": "alice smith", "admin": True}],
                                "iam_users_tags": TAGS}) == [
        "iam_users_list.admin. Supported parameters include: console_access, create_access_key, name, state."]


def test_wrong_types_are_told_in_sagelab_wording_naming_the_variable_and_the_type():
    # a list where a string is wanted: ansible-core would turn it into its text; refused, and checked once
    assert errors("venv", {"venv_name": ["team", "sagemaker"], "venv_seed_pip": "maybe"}) == [
        "venv_name: ['team', 'sagemaker'] is not allowed; allowed: a string (str)",
        "venv_seed_pip: 'maybe' is not allowed; allowed: true or false (bool)"]
    # inside a list of dicts: the key path
    assert errors("iam_users", {"iam_users_list": [{"name": "alice", "console_access": "maybe"}],
                                "iam_users_tags": TAGS}) == [
        "iam_users_list.console_access: a value of type str is not allowed; allowed: true or false (bool)"]
    # an element of the wrong type, a mapping where a list is wanted
    options = {"sizes": {"type": "list", "elements": "int"}, "names": {"type": "list", "elements": "str"},
               "token": {"type": "str", "no_log": True}}
    assert preflight.check("venv", options, {"sizes": [1, "two"], "names": {"a": 1},
                                             "token": ["s3cr3t-value"]}) == [
        "token: ******** is not allowed; allowed: a string (str)",
        "sizes: an element of type str is not allowed; allowed: a list of int elements (a whole number each)",
        "names: {'a': 1} is not allowed; allowed: a list (list)"]


def test_secrets_never_appear():
    found = errors("aws_cli", {"aws_cli_secret_access_key": SECRET, "aws_cli_access_key_id": "",
                               "aws_cli_profile": f"{SECRET} x", "aws_cli_output": "xml"})
    assert found == [
        "aws_cli_output: 'xml' is not allowed; allowed: json, text, table, yaml, yaml-stream",
        "aws_cli_profile: '******** x' is not allowed; allowed: a profile name of letters, digits and "
        "'_.@+-'",
        "aws_cli_access_key_id/aws_cli_secret_access_key: only one of the two is set; allowed: both (an "
        "access key and its secret) or neither"]
    assert SECRET not in json.dumps(found)


@pytest.mark.parametrize(("role", "raw", "expected"), [
    ("s3_bucket", {"s3_bucket_state": "absent", "s3_bucket_name": "My_Bucket", "s3_bucket_kms_key_id": "k",
                   "s3_bucket_encryption": "AES256", "s3_bucket_tags": TAGS},
     [f"s3_bucket_name: 'My_Bucket' is not allowed; allowed: {BUCKET_HELP}, or empty for "
      "sagelab-<account id>-<region>",
      "s3_bucket_state: 'absent' is not allowed while s3_bucket_delete_data is 'False'; deleting the bucket "
      "deletes every object and version in it. Allowed: s3_bucket_state: present, or s3_bucket_state: absent "
      "together with s3_bucket_delete_data: true",
      "s3_bucket_kms_key_id: 'k' is not allowed with s3_bucket_encryption 'AES256'; allowed: empty, or a KMS "
      "key with s3_bucket_encryption: aws:kms"]),
    ("execution_role", {"execution_role_buckets": ["ok-bucket", "1.2.3.4"],
                        "execution_role_tags": {"Owner": "x"}},
     [f"execution_role_buckets: '1.2.3.4' is not allowed; allowed: {BUCKET_HELP}",
      "execution_role_tags (sagelab_tags): '{'Owner': 'x'}' is not allowed; untagged resources are refused. "
      "Allowed: a dict with non-empty Owner, Project and CostCenter and ManagedBy: sagelab (missing or "
      "empty: "
      "Project, CostCenter, ManagedBy)"]),
    ("cost_controls", {"cost_controls_retry_attempts": 200, "cost_controls_morning_start": "maybe",
                       "cost_controls_notebook_instances": ["n" * 50], "cost_controls_tags": TAGS},
     ["cost_controls_morning_start: 'maybe' is not allowed; allowed: true or false (bool)",
      f"cost_controls_notebook_instances: ['{'n' * 50}'] is not allowed; allowed: a list of notebook "
      "instance "
      "names (letters, digits and hyphens, starting and ending with a letter or digit, at most 49 characters "
      "so that <name>-stop-weeknight fits the 64-character schedule name), e.g. [sagelab-alice]",
      "cost_controls_retry_attempts: '200' is not allowed; allowed: a whole number of attempts from 0 to "
      "185"]),
    ("studio", {"studio_user_profiles": ["bob"], "studio_iam_users": [{"name": "alice.smith"}],
                "studio_tags": TAGS, "studio_execution_role_effective": ROLE_ARN},
     ["studio_user_profiles: ['bob'] not in iam_users_list; allowed: the names of its users without state: "
      "absent (alice-smith), so each profile has an IAM user (add the user first, or leave iam_users_list "
      "unset)"]),
    ("conda", {"conda_env_name": "a/b", "conda_channels": ["ftp://x", "conda-forge"], "conda_packages": []},
     ["conda_env_name: 'a/b' is not allowed; an environment name is one folder name made of letters, digits, "
      "'.', '_' and '-' (no slashes, no spaces), e.g. conda-sagemaker",
      "conda_channels: 'ftp://x' not allowed; allowed: a channel name such as conda-forge, or an https://, "
      "http:// or file:// URL",
      "conda_packages: empty; allowed: a list of conda match specs such as [python, pandas], or "
      "conda_from_lock"]),
    ("sagemaker_sdk", {"sagemaker_sdk_major": 3, "sagemaker_sdk_version": "2.1",
                       "sagemaker_sdk_python_version": "3.9.1",
                       "sagemaker_sdk_config": False},
     ["sagemaker_sdk_version: '2.1' is not allowed; give an exact release of major 3 (e.g. 3.0.0) or leave "
      "it "
      "empty",
      "python_interpreter: Python 3.9.1 is older than SageMaker SDK 3 supports; allowed: Python 3.10 or "
      "newer "
      "(set python_interpreter, or choose sagemaker_sdk_major 2)"]),
])
def test_cross_variable_rules(role, raw, expected):
    found = errors(role, raw)
    assert same(found, expected), found


def test_the_bindings_name_declared_variables_and_existing_rules():
    for role in ROLES:
        options = preflight.spec_of(str(REPO / "roles" / role))
        bound = role_rules.VARIABLE_RULES.get(role, {})
        assert set(bound) <= set(options), (role, sorted(set(bound) - set(options)))
        for rule in (r for value in bound.values() for r in (value if isinstance(value, list) else [value])):
            assert callable(rule) or rule in rules.RULES, (role, rule)
    assert set(role_rules.VARIABLE_RULES) | set(role_rules.CROSS_RULES) <= set(ROLES)


def test_every_preflight_calls_the_action_first_and_asserts_no_input():
    for role in ROLES:
        tasks = yaml.safe_load((REPO / "roles" / role / "tasks" / "preflight.yml").read_text())
        assert "sagelab.sagemaker.preflight" in tasks[0], role
        # what stays is about the host (a path that exists, the interpreter), not the variables' values
        assert len([t for t in tasks if "ansible.builtin.assert" in t]) <= 1, role


def test_an_unknown_entry_point_is_refused():
    with pytest.raises(Exception, match="entry_point 'nope' is not allowed; allowed: config, main"):
        preflight.spec_of(str(REPO / "roles" / "sagemaker_sdk"), "nope")


# --- one real ansible-playbook run across the roles --------------------------------------------------------

OFF = {"sagelab_aws_endpoint_url": "http://127.0.0.1:9", "sagelab_aws_region": "eu-west-1"}
# (case, role, tasks_from, bad values, the whole list of errors)
CASES = [
    ("s3_bucket", "s3_bucket", "main",
     {"s3_bucket_state": "absent", "s3_bucket_name": "My_Bucket", "s3_bucket_aws_region": "mars-north-1a"},
     [f"s3_bucket_name: 'My_Bucket' is not allowed; allowed: {BUCKET_HELP}, or empty for "
      "sagelab-<account id>-<region>",
      "s3_bucket_aws_region (sagelab_aws_region): 'mars-north-1a' is not allowed; allowed: an AWS region "
      "name "
      "such as eu-west-1 or us-east-1",
      "s3_bucket_state: 'absent' is not allowed while s3_bucket_delete_data is 'False'; deleting the bucket "
      "deletes every object and version in it. Allowed: s3_bucket_state: present, or s3_bucket_state: absent "
      "together with s3_bucket_delete_data: true"]),
    ("notebook_instance", "notebook_instance", "preflight",
     {"notebook_instance_volume_size": "big", "notebook_instance_state": "running",
      "notebook_instance_name": "bad_name!", "notebook_instance_direct_internet_access": False},
     ["notebook_instance_volume_size: 'big' is not allowed; allowed: a whole number (int)",
      "notebook_instance_state: 'running' is not allowed; allowed: present, started, stopped, absent",
      f"notebook_instance_name: 'bad_name!' is not allowed; allowed: {NAME_HELP}",
      "notebook_instance_direct_internet_access: false is not allowed without notebook_instance_subnet_id; "
      "allowed: true, or false together with a subnet (the instance then reaches the internet through the "
      "VPC)"]),
    ("iam_users", "iam_users", "preflight",
     {"iam_users_list": [{"name": "alice"}, {"name": "ALICE", "state": "gone"}],
      "iam_users_password_length": 9},
     ["iam_users_password_length: '9' is not allowed; allowed: a whole number from 14 to 128",
      "iam_users_list[1].state (ALICE): 'gone' is not allowed; allowed: present, absent",
      "iam_users_list: 'alice' is listed more than once; allowed: each user once (IAM user names are "
      "case-insensitive)"]),
    ("execution_role", "execution_role", "preflight",
     {"execution_role_buckets": ["Bad_Bucket"], "execution_role_name": "has space"},
     ["execution_role_name: 'has space' is not allowed; allowed: 1 to 64 letters, digits and +=,.@_- "
      "characters",
      # its default policy name is made from the role name: refused too, before anything is made
      "execution_role_policy_name: 'has space-policy' is not allowed; allowed: 1 to 128 letters, digits and "
      "+=,.@_- characters",
      f"execution_role_buckets: 'Bad_Bucket' is not allowed; allowed: {BUCKET_HELP}"]),
    ("cost_controls", "cost_controls", "preflight",
     {"cost_controls_timezone": "Mars/Olympus", "cost_controls_weeknight_stop": "rate(1 days)",
      "cost_controls_notebook_instances": ["nb-ok"]},
     ["cost_controls_timezone: 'Mars/Olympus' is not allowed; allowed: an IANA time zone name such as "
      "Europe/Dublin, America/New_York or UTC",
      "cost_controls_weeknight_stop: 'rate(1 days)' is not allowed: rate unit 'days' for 1: use minute, "
      "hour, "
      f"day (e.g. rate(1 minute)); {rules.EXPRESSION_HELP}"]),
    ("studio", "studio", "preflight",
     {"studio_auth_mode": "LDAP", "studio_idle_timeout_minutes": 30, "studio_subnet_ids": ["subnet 1"]},
     ["studio_auth_mode: 'LDAP' is not allowed; allowed: IAM, SSO",
      "studio_subnet_ids: 'subnet 1' is not allowed; allowed: a subnet ID such as subnet-0abc1234",
      "studio_idle_timeout_minutes: '30' is not allowed; allowed: a whole number of minutes from 60 to "
      "525600"]),
    ("aws_cli", "aws_cli", "preflight",
     {"aws_cli_secret_access_key": SECRET, "aws_cli_profile": f"{SECRET} x", "aws_cli_version": "2.0.0"},
     ["aws_cli_version: '2.0.0' is not allowed; allowed: empty (the newest) or an exact AWS CLI v1 release "
      "such as 1.42.11 (v2 is not published on PyPI)",
      "aws_cli_profile: '******** x' is not allowed; allowed: a profile name of letters, digits and '_.@+-'",
      "aws_cli_access_key_id/aws_cli_secret_access_key: only one of the two is set; allowed: both (an access "
      "key and its secret) or neither"]),
    ("sagemaker_sdk", "sagemaker_sdk", "preflight",
     {"sagemaker_sdk_major": 4, "sagemaker_sdk_extra_packages": ["scikit-learn>>=1"]},
     ["sagemaker_sdk_major: '4' is not supported; allowed: 2 (the book's SDK) or 3",
      "sagemaker_sdk_packages/sagemaker_sdk_extra_packages: 'scikit-learn>>=1' is not a valid requirement; "
      "allowed: a PEP 508 spec such as 'pandas', 'pandas==2.2.3' or 'boto3>=1.34,<2'"]),
    ("jupyter_kernel", "jupyter_kernel", "preflight",
     {"jupyter_kernel_name": "Sage Maker", "jupyter_kernel_scope": "system"},
     ["jupyter_kernel_scope: 'system' is not allowed; allowed: user, sys_prefix",
      "jupyter_kernel_name: 'Sage Maker' is not a valid kernel name; allowed: lowercase letters, digits, "
      "'.', "
      "'_' and '-', e.g. sagemaker"]),
    ("validate", "validate", "preflight",
     {"validate_timeout": 0, "validate_packages": ["boto3", "not-a-module"]},
     ["validate_packages: ['boto3', 'not-a-module'] is not allowed; give a non-empty list of importable "
      "module "
      "names, e.g. [boto3, sagemaker, pandas]",
      "validate_timeout: '0' is not allowed; allowed: a whole number of seconds 1 or more"]),
    ("wheelhouse", "wheelhouse", "preflight",
     {"wheelhouse_python_version": "2.7", "wheelhouse_index_url": "ftp://mirror"},
     ["wheelhouse_index_url: 'ftp://mirror' is not a URL; allowed: empty (PyPI) or an http://, https:// or "
      "file:// URL",
      "wheelhouse_python_version: '2.7' is not a Python version; allowed: empty (the host's interpreter) or "
      "3.X, e.g. 3.11"]),
    ("venv", "venv", "preflight", {"venv_name": "team/sagemaker", "venv_seed_pip": "maybe"},
     ["venv_seed_pip: 'maybe' is not allowed; allowed: true or false (bool)",
      "venv_name: 'team/sagemaker' is not allowed; an environment name is one folder name made of letters, "
      "digits, '.', '_' and '-' (no slashes, no spaces), e.g. sagemaker"]),
    ("conda", "conda", "preflight", {"conda_engine": "pip", "conda_channels": ["ftp://mirror"]},
     ["conda_engine: 'pip' is not allowed; allowed: auto, conda, mamba, micromamba, rattler",
      "conda_channels: 'ftp://mirror' not allowed; allowed: a channel name such as conda-forge, or an "
      "https://, http:// or file:// URL"]),
    ("python", "python", "preflight", {"python_uv_version": "latest"},
     ["python_uv_version: 'latest' is not an exact release; allowed: X.Y.Z, e.g. 0.13.9"]),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preflight")
    blocks = [{"name": f"Case {case}", "block": [
        {"name": f"Run {role} ({tasks_from})",
         "ansible.builtin.include_role": {"name": f"sagelab.sagemaker.{role}", "tasks_from": tasks_from},
         "vars": bad},
        {"name": f"Record that {case} passed (wrong)",
         "ansible.builtin.set_fact": {"passed": f"{{{{ passed + ['{case}'] }}}}"}}],
        "rescue": [{"name": f"Record the refusal of {case}", "ansible.builtin.set_fact": {
            "refused": f"{{{{ refused | combine({{'{case}': ansible_failed_result}}) }}}}"}}]}
        for case, role, tasks_from, bad, _unused in CASES]
    check = {"name": "Check the notebook_instance input in check mode",
             "ansible.builtin.include_role": {"name": "sagelab.sagemaker.notebook_instance",
                                              "tasks_from": "preflight", "apply": {"check_mode": True}}}
    plays = [{"name": "Preflights", "hosts": "localhost", "connection": "local", "gather_facts": True,
              "gather_subset": ["min"],
              "vars": {"passed": [], "refused": {}, "sagelab_tags": TAGS, "sagelab_python_version": "",
                       "cost_controls_notebook_instances": ["nb-ok"], **OFF},
              "tasks": [*blocks, check, {"name": "Show", "ansible.builtin.debug": {
                  "msg": {"passed": "{{ passed }}", "refused": "{{ refused }}"}}}]}]
    playbook = tmp / "preflights.yml"
    playbook.write_text(json.dumps(plays))
    result = run_playbook(str(playbook), env={"HOME": str(tmp)})
    assert result.data.get("plays"), result.stdout[-3000:] + result.stderr[-3000:]
    return result.data["plays"][0]["tasks"]


def test_the_run_covers_every_role():
    assert sorted({role for _case, role, *_unused in CASES}) == ROLES


@pytest.mark.subprocess
@pytest.mark.parametrize(("case", "role", "tasks_from", "bad", "expected"), CASES, ids=[c[0] for c in CASES])
def test_one_failure_lists_every_error(run, case, role, tasks_from, bad, expected):
    shown = run[-1]["hosts"]["localhost"]["msg"]
    assert case not in shown["passed"]
    result = shown["refused"][case]
    assert same(result["errors"], expected), result["errors"]
    assert result["msg"] == "\n".join(result["errors"])
    assert result["changed"] is False and result["role"] == role
    assert SECRET not in json.dumps(result)


@pytest.mark.subprocess
def test_no_task_after_the_preflight_ran(run):
    """The role's main: ansible-core's check of the spec (it passes: the values have the right types), the
    include of the preflight and the action ran, nothing of the role after them."""
    names = [t["task"]["name"] for t in run]
    ran = names[names.index("Run s3_bucket (main)") + 1:names.index("Record the refusal of s3_bucket")]
    role = "sagelab.sagemaker.s3_bucket : "
    assert ran == [f"{role}Validating arguments against arg spec 'main' - Ensure the project S3 bucket "
                   "exists, "
                   "encrypted, private and tagged",
                   f"{role}Check the role's input (unless the playbook's preflight play just did)",
                   f"{role}Ensure the role's input is valid before anything changes"], ran


@pytest.mark.subprocess
def test_check_mode_passes_with_changed_false(run):
    names = [t["task"]["name"] for t in run]
    result = run[names.index("Check the notebook_instance input in check mode") + 1]
    assert result["task"]["name"] == ("sagelab.sagemaker.notebook_instance : Ensure the role's input is "
                                      "valid "
                                      "before anything changes")
    host = result["hosts"]["localhost"]
    assert host["changed"] is False and not host.get("failed") and host["errors"] == [], host
    assert host["msg"].startswith("notebook_instance: 26 variables checked, none refused")
