# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What each role's preflight checks beyond its meta/argument_specs.yml (the action plugin
sagelab.sagemaker.preflight runs the spec first, then these).

- VARIABLE_RULES: role -> {variable: rule}, a rule being the name of one of _validators.RULES or a
  function(option, value) -> message | None. A variable the spec refused is not checked again.
- CROSS_RULES: role -> [function(values) -> list of messages] for what a spec cannot say: one variable
  depending on another, list entries with their index, a file on the control node. `values` raises
  Skip for a variable the spec refused, so a check reading it is left out (its error is reported already).
- EXTRA_VARS: variables a role's checks read that are not its options, each the role's own (its
  vars/main.yml): what they take from other roles stays visible in the role's YAML
  (docs/ARCHITECTURE.md's table of cross-role variables is made from it).

Every message is one line in sagelab's form "<variable>: '<value>' is not allowed; allowed: ...".
"""

from __future__ import annotations

import os
import re

from ansible_collections.sagelab.sagemaker.plugins.module_utils import _studio_settings as studio
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules
from ansible_collections.sagelab.sagemaker.plugins.module_utils._python_env import REQUIREMENT_RE
from ansible_collections.sagelab.sagemaker.plugins.module_utils._teardown import SCHEDULED_INSTANCE_NAME_MAX

# The cross-role defaults a role variable falls back to: shown beside it ("s3_bucket_tags (sagelab_tags)").
SHARED = {"aws_region": "sagelab_aws_region", "aws_endpoint_url": "sagelab_aws_endpoint_url",
          "aws_profile": "sagelab_aws_profile", "tags": "sagelab_tags"}
COST_TAGS = ("Owner", "Project", "CostCenter")
AWS_ROLES = ("cost_controls", "execution_role", "iam_users", "notebook_instance", "s3_bucket", "studio")


class Skip(Exception):
    """A check read a variable its argument spec refused."""


class Values(dict):
    """The role's variables after the spec (types converted, defaults filled); raw holds them before."""

    def __init__(self, validated, raw, refused):
        super().__init__(validated)
        self.raw, self.refused = raw, refused

    def __getitem__(self, name):
        if name in self.refused:
            raise Skip(name)
        return super().get(name)


def label(role, variable):
    """The name a message shows: the variable, and the sagelab_* variable its default comes from."""
    for suffix, shared in SHARED.items():
        if variable == f"{role}_{suffix}":
            return f"{variable} ({shared})"
    return variable


def _quoted(value):
    return f"'{value}'"


def whole_number(low, high=None, unit="", note=""):
    """A whole number from low to high (inclusive)."""
    def check(option, value):
        if isinstance(value, int) and not isinstance(value, bool) and value >= low and (
                high is None or value <= high):
            return None
        span = f"from {low} to {high}" if high is not None else f"{low} or more"
        return f"{option}: {_quoted(value)} is not allowed; allowed: a whole number{unit} {span}{note}"
    return check


def matches(pattern, allowed, empty=None, verb="is not allowed"):
    """A string matching pattern (empty passes when `empty` says what it means)."""
    regex = re.compile(pattern)

    def check(option, value):
        if empty is not None and value in ("", None):
            return None
        if isinstance(value, str) and regex.match(value):
            return None
        return f"{option}: {_quoted(value)} {verb}; allowed: {allowed}"
    return check


def cost_tags(option, value):
    """The cost tags every sagelab resource carries: Owner, Project, CostCenter non-empty, ManagedBy sagelab
    (the teardown finds what sagelab made by ManagedBy)."""
    mapping = value if isinstance(value, dict) else {}
    missing = [k for k in (*COST_TAGS, "ManagedBy") if mapping.get(k) in ("", None)]
    if isinstance(value, dict) and not missing and mapping.get("ManagedBy") == "sagelab":
        return None
    return (f"{option}: {_quoted(value)} is not allowed; untagged resources are refused. Allowed: a dict "
            "with non-empty Owner, Project and CostCenter and ManagedBy: sagelab"
            + (f" (missing or empty: {', '.join(missing)})" if missing else ""))


def requirements(variables):
    """Every entry of the variables' lists a PEP 508 requirement (no URL)."""
    def check(values):
        entries = [e for name in variables for e in (values[name] or [])]
        bad = [str(e) for e in entries if not isinstance(e, str) or not REQUIREMENT_RE.match(e)]
        if not bad:
            return []
        quoted = "', '".join(bad)
        verb = "is not a valid requirement" if len(bad) == 1 else "are not valid requirements"
        return [f"{'/'.join(variables)}: '{quoted}' {verb}; allowed: a PEP 508 spec such as 'pandas', "
                "'pandas==2.2.3' or 'boto3>=1.34,<2'"]
    return check


def connection(role):
    """Region, endpoint URL and profile of an AWS role."""
    return {f"{role}_aws_region": "region", f"{role}_aws_endpoint_url": "endpoint_url",
            f"{role}_aws_profile": "profile"}


def tagged(role):
    """The cost tags, and AWS's tag limits, of a role that tags what it makes."""
    return {f"{role}_tags": [cost_tags, "tags"]}


# --- cross-variable rules ---------------------------------------------------------------------------------

def aws_cli_keys(values):
    key, secret = values["aws_cli_access_key_id"] or "", values["aws_cli_secret_access_key"] or ""
    problems = []
    if bool(key) != bool(secret):  # the values are secrets: the messages never show them
        problems.append("aws_cli_access_key_id/aws_cli_secret_access_key: only one of the two is set; "
                        "allowed: both (an access key and its secret) or neither")
    if key and not re.match(r"^[A-Z0-9]{16,128}$", key):
        problems.append("aws_cli_access_key_id: the value is not allowed; allowed: an access key id of 16 to "
                        "128 uppercase letters and digits, e.g. AKIA followed by 16 characters")
    return problems


def conda_something_to_install(values):
    if values["conda_packages"] or values["conda_extra_packages"] or values["conda_from_lock"]:
        return []
    return ["conda_packages: empty; allowed: a list of conda match specs such as [python, pandas], or "
            "conda_from_lock"]


def conda_channels(values):
    bad = [str(c) for c in values["conda_channels"] or [] if rules.conda_channel("conda_channels", c)]
    if not bad:
        return []
    return ["conda_channels: '{}' not allowed; allowed: a channel name such as conda-forge, or an https://, "
            "http:// or file:// URL".format("', '".join(bad))]


def cost_controls_expressions(values):
    wanted = {"cost_controls_weeknight_stop": True,
              "cost_controls_weekend_stop": bool(values["cost_controls_weekend_stop"]),
              "cost_controls_morning_start_expression": values["cost_controls_morning_start"]}
    return [m for name, on in wanted.items() if on
            for m in [rules.schedule_expression(name, values[name])] if m]


def cost_controls_instances(option, value):
    if (isinstance(value, list) and all(isinstance(v, str) for v in value)
            and rules.each(rules.sagemaker_name)(option, value) is None
            and all(len(v) <= SCHEDULED_INSTANCE_NAME_MAX for v in value)):
        return None
    return (f"{option}: {value} is not allowed; allowed: a list of notebook instance names (letters, digits "
            "and hyphens, starting and ending with a letter or digit, at most "
            f"{SCHEDULED_INSTANCE_NAME_MAX} characters so that <name>-stop-weeknight fits the 64-character "
            "schedule name), e.g. [sagelab-alice]")


def iam_users_entries(values):
    """Each user of iam_users_list (as given, before the spec converts 'yes' to true): its name, state and
    flags, and every name once."""
    if not values["iam_users_list"]:  # raises Skip when the spec refused the list
        return []
    users = values.raw["iam_users_list"]
    problems, seen, twice = [], set(), []
    for i, user in enumerate(users):
        name = user.get("name")
        problems += [m for m in [rules.iam_user_name(f"iam_users_list[{i}].name", name)] if m]
        state = user.get("state", "present")
        if state not in ("present", "absent"):
            problems.append(f"iam_users_list[{i}].state ({name}): '{state}' is not allowed; allowed: "
                            "present, absent")
        console, key = user.get("console_access", False), user.get("create_access_key", True)
        if not isinstance(console, bool) or not isinstance(key, bool):
            problems.append(f"iam_users_list[{i}] ({name}): console_access '{console}' / create_access_key "
                            f"'{key}' is not allowed; allowed: true or false")
        lower = str(name).lower()
        if lower in seen and lower not in twice:
            twice.append(lower)
        seen.add(lower)
    if twice:
        problems.append(f"iam_users_list: '{', '.join(twice)}' is listed more than once; allowed: each user "
                        "once (IAM user names are case-insensitive)")
    return problems


def iam_users_vault_file(values):
    path = values["iam_users_vault_password_file"]
    if not path or os.path.isfile(os.path.expanduser(str(path))):
        return []
    return [f"iam_users_vault_password_file: '{path}' is not allowed; allowed: empty (plain JSON in a "
            "private folder) or an existing vault password file on the control node"]


def notebook_instance_network(values):
    problems = []
    subnet = values["notebook_instance_subnet_id"]
    groups = values["notebook_instance_security_group_ids"] or []
    if len(groups) > 5 or (groups and not subnet):
        problems.append(f"notebook_instance_security_group_ids: {groups} is not allowed; allowed: a list of "
                        "up to "
                        "5 security group IDs such as sg-0abc1234, together with notebook_instance_subnet_id "
                        "(the groups belong to its VPC)")
    if not values["notebook_instance_direct_internet_access"] and not subnet:
        problems.append("notebook_instance_direct_internet_access: false is not allowed without "
                        "notebook_instance_subnet_id; allowed: true, or false together with a subnet (the "
                        "instance then reaches the internet through the VPC)")
    return problems


def notebook_instance_repositories(values):
    problems = []
    for i, entry in enumerate(values["notebook_instance_code_repositories"] or []):
        option = f"notebook_instance_code_repositories[{i}]"
        keys = set(entry) if isinstance(entry, dict) else set()
        unknown = sorted(keys - {"name", "url", "branch", "secret_arn"})
        if not isinstance(entry, dict) or unknown:
            problems.append(f"{option}: {entry} is not allowed; allowed: entries with a name (1-63 letters, "
                            "digits, hyphens), an https:// Git url, and optionally branch and secret_arn")
            continue
        problems += [m for m in (rules.sagemaker_name(f"{option}.name", entry.get("name", "")),
                                 rules.repository_url(f"{option}.url", entry.get("url", "")),
                                 rules.secret_arn(f"{option}.secret_arn", entry.get("secret_arn", ""))) if m]
    extra = values["notebook_instance_additional_code_repositories"] or []
    if len(extra) > 3:
        problems.append(f"notebook_instance_additional_code_repositories: {extra} is not allowed; allowed: "
                        "a list of up to 3 code repository names or https:// Git URLs")
    return problems


def notebook_instance_module(values):
    """What the sagemaker_notebook_instance module would refuse of what the role passes it (ml.t3.tiny, a
    tag value over 256 characters): refused here, before the lifecycle configuration is made."""
    from ansible_collections.sagelab.sagemaker.plugins.filter.notebook_instance import (
        notebook_instance_problems,
    )

    if values["notebook_instance_state"] == "absent":
        return []
    auto_stop = values["notebook_instance_auto_stop"]
    return notebook_instance_problems({
        "name": values["notebook_instance_name"], "instance_type": values["notebook_instance_type"],
        "volume_size": values["notebook_instance_volume_size"],
        "role": values["notebook_instance_role_effective"],
        "subnet_id": values["notebook_instance_subnet_id"] or None,
        "security_group_ids": values["notebook_instance_security_group_ids"] or None,
        "kms_key_id": values["notebook_instance_kms_key_id"] or None,
        "platform_identifier": values["notebook_instance_platform_identifier"] or None,
        "lifecycle_config_name": values["notebook_instance_lifecycle_config_name"] if auto_stop else "",
        "default_code_repository": values["notebook_instance_default_code_repository"],
        "additional_code_repositories": values["notebook_instance_additional_code_repositories"],
        "tags": values["notebook_instance_tags"]}, variable_prefix="notebook_instance_")


def s3_bucket_state(values):
    problems = []
    if values["s3_bucket_state"] == "absent" and not values["s3_bucket_delete_data"]:
        problems.append(f"s3_bucket_state: 'absent' is not allowed while s3_bucket_delete_data is "
                        f"'{values['s3_bucket_delete_data']}'; deleting the bucket deletes every object and "
                        "version in it. Allowed: s3_bucket_state: present, or s3_bucket_state: absent "
                        "together with s3_bucket_delete_data: true")
    if values["s3_bucket_kms_key_id"] and values["s3_bucket_encryption"] != "aws:kms":
        problems.append(f"s3_bucket_kms_key_id: '{values['s3_bucket_kms_key_id']}' is not allowed with "
                        f"s3_bucket_encryption '{values['s3_bucket_encryption']}'; allowed: empty, or a KMS "
                        "key with s3_bucket_encryption: aws:kms")
    return problems


SDK_PYTHON_MINIMUM = {2: (3, 9), 3: (3, 10)}  # the SDK majors' Requires-Python


def sagemaker_sdk_major(option, value):
    if value in SDK_PYTHON_MINIMUM:
        return None
    return f"{option}: {_quoted(value)} is not supported; allowed: 2 (the book's SDK) or 3"


def sagemaker_sdk_release(values):
    version, major = values["sagemaker_sdk_version"], values["sagemaker_sdk_major"]
    problems = []
    if version and (not re.match(r"^[0-9]+(\.[0-9]+)*$", version) or version.split(".")[0] != str(major)):
        problems.append(f"sagemaker_sdk_version: '{version}' is not allowed; give an exact release of major "
                        f"{major} (e.g. {major}.0.0) or leave it empty")
    python = str(values.get("sagemaker_sdk_python_version") or "")
    minimum = SDK_PYTHON_MINIMUM.get(major)
    if python and minimum and tuple(int(p) for p in re.findall(r"\d+", python)[:2]) < minimum:
        wanted = ".".join(map(str, minimum))
        problems.append(f"python_interpreter: Python {python} is older than SageMaker SDK {major} supports; "
                        f"allowed: Python {wanted} or newer (set python_interpreter, or choose "
                        "sagemaker_sdk_major 2)")
    return problems


def sagemaker_sdk_config(values):
    from ansible_collections.sagelab.sagemaker.plugins.filter.sdk_config import sdk_config_problems

    if not values["sagemaker_sdk_config"]:
        return []
    return sdk_config_problems(values["sagemaker_sdk_config_path"],
                               bucket=values["sagemaker_sdk_default_bucket"],
                               role=values["sagemaker_sdk_execution_role"], tags=values["sagemaker_sdk_tags"])


def studio_role(values):
    if values["studio_state"] == "absent":
        return []
    message = rules.role("studio_execution_role (or sagelab_execution_role_arn)",
                         values["studio_execution_role_effective"])
    return [message] if message else []


def studio_network(values):
    subnets, groups = values["studio_subnet_ids"] or [], values["studio_security_group_ids"] or []
    if len(subnets) <= 16 and len(groups) <= 5:
        return []
    return [f"studio_subnet_ids/studio_security_group_ids: {subnets} / {groups} is not allowed; allowed: up "
            "to 16 subnet IDs (subnet-0abc1234), up to 5 security group IDs (sg-0abc1234)"]


def profile_name(user_name):
    """The Studio user profile name of an IAM user: what a profile name cannot hold becomes a hyphen."""
    return re.sub(r"^-+|-+$", "", re.sub(r"[^a-zA-Z0-9]+", "-", str(user_name)))


def studio_known_users(values):
    """Each profile belongs to a user of iam_users_list (when that list is given), so it has an IAM user."""
    users = values.get("studio_iam_users") or []
    if values["studio_state"] != "present" or not users or not isinstance(users, list):
        return []
    known = [profile_name(u.get("name")) for u in users if isinstance(u, dict) and u.get("state") != "absent"]
    unknown = [p for p in values["studio_user_profiles"] or [] if p not in known]
    if not unknown:
        return []
    return [f"studio_user_profiles: {unknown} not in iam_users_list; allowed: the names of its users without "
            f"state: absent ({', '.join(known)}), so each profile has an IAM user (add the user first, or "
            "leave iam_users_list unset)"]


def jupyter_kernel_env(option, value):
    if isinstance(value, dict) and all(isinstance(k, str) and k and "=" not in k for k in value) and all(
            isinstance(v, str) for v in value.values()):
        return None
    return (f"{option}: {value} is not allowed; it must map environment variable names (non-empty, no '=') "
            "to string values, e.g. {AWS_PROFILE: sagemaker}")


def validate_packages(option, value):
    if value and all(isinstance(v, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", v) for v in value):
        return None
    return (f"{option}: {value} is not allowed; give a non-empty list of importable module names, e.g. "
            "[boto3, sagemaker, pandas]")


def wheelhouse_requirements(values):
    if not values["wheelhouse_requirements"]:
        return ["wheelhouse_requirements/wheelhouse_extra_requirements: '' is empty; allowed: PEP 508 specs "
                "such as 'pandas', 'pandas==2.2.3' or 'boto3>=1.34,<2'"]
    return requirements(["wheelhouse_requirements"])(values)


def wheelhouse_platform(option, value):
    match = re.match(r"^manylinux_2_([0-9]+)_(x86_64|aarch64|ppc64le|s390x|armv7l|i686)$", value or "")
    if not value or (match and int(match.group(1)) >= 17):
        return None
    return (f"{option}: {_quoted(value)} is not supported; allowed: empty (read from the host) or "
            "manylinux_2_<glibc minor>_<arch> with glibc 2.17 or newer, e.g. manylinux_2_36_x86_64")


def wheelhouse_folders(values):
    cache, dest = values["wheelhouse_cache_dir"], values["wheelhouse_dest"]
    if all(isinstance(p, str) and p.startswith(("/", "~")) for p in (cache, dest)):
        return []
    return [f"wheelhouse_cache_dir/wheelhouse_dest: '{cache}', '{dest}' must be absolute paths; allowed: "
            "/... or ~/..."]


VARIABLE_RULES = {
    "aws_cli": {
        "aws_cli_version": matches(r"^1\.[0-9]+\.[0-9]+$", "empty (the newest) or an exact AWS CLI v1 "
                                   "release such as 1.42.11 (v2 is not published on PyPI)", empty="newest"),
        "aws_cli_profile": "profile_name", "aws_cli_region": "region", "aws_cli_endpoint_url": "endpoint_url",
    },
    "conda": {"conda_env_name": lambda option, value: rules.env_name(option, value, "conda-sagemaker")},
    "cost_controls": {
        "cost_controls_notebook_instances": cost_controls_instances,
        "cost_controls_timezone": "timezone",
        "cost_controls_group_name": "schedule_name", "cost_controls_role_name": "iam_name",
        "cost_controls_policy_name": "iam_policy_name",
        "cost_controls_retry_attempts": whole_number(0, 185, " of attempts"),
        "cost_controls_retry_max_age": whole_number(60, 86400, " of seconds"),
        **connection("cost_controls"), **tagged("cost_controls"),
    },
    "execution_role": {
        "execution_role_name": "iam_name", "execution_role_policy_name": "iam_policy_name",
        "execution_role_buckets": "s3_bucket_names",
        **connection("execution_role"), **tagged("execution_role"),
    },
    "iam_users": {
        "iam_users_group": "iam_group_name", "iam_users_policy_name": "iam_policy_name",
        "iam_users_execution_role_arn": "optional_role_arn",
        "iam_users_bucket": lambda option, value: rules.s3_bucket_name(option, value,
                                                                       empty="empty for the project bucket"),
        "iam_users_credentials_dir": matches(r"^.+$", "a folder on the control node, e.g. "
                                             "~/.local/state/sagelab/credentials"),
        "iam_users_password_length": whole_number(14, 128),
        **connection("iam_users"), **tagged("iam_users"),
    },
    "jupyter_kernel": {
        "jupyter_kernel_name": matches(r"^[a-z0-9._-]+$", "lowercase letters, digits, '.', '_' and '-', e.g. "
                                       "sagemaker", verb="is not a valid kernel name"),
        "jupyter_kernel_env": jupyter_kernel_env,
    },
    "notebook_instance": {
        "notebook_instance_name": "sagemaker_name",
        "notebook_instance_volume_size": whole_number(5, 16384, " of GB"),
        "notebook_instance_idle_minutes": whole_number(5, None, " of minutes", " (the checker runs every 5 "
                                                                               "minutes)"),
        "notebook_instance_wait_timeout": whole_number(0, None, " of seconds", " (AWS takes 5-10 minutes to "
                                                       "start an instance; default 1800)"),
        **connection("notebook_instance"),
        # AWS's tag limits: the module's own rules (notebook_instance_module)
        "notebook_instance_tags": cost_tags,
    },
    "python": {"python_uv_version": matches(r"^[0-9]+\.[0-9]+\.[0-9]+$", "X.Y.Z, e.g. 0.13.9",
                                            verb="is not an exact release")},
    "s3_bucket": {
        "s3_bucket_name": lambda option, value: rules.s3_bucket_name(option, value,
                                                                     empty="empty for sagelab-<account "
                                                                           "id>-<region>"),
        **connection("s3_bucket"), **tagged("s3_bucket"),
    },
    "sagemaker_sdk": {"sagemaker_sdk_major": sagemaker_sdk_major},
    "studio": {
        "studio_domain_name": "sagemaker_name",
        "studio_vpc_id": lambda option, value: rules.aws_id(option, value, "VPC") if value else None,
        "studio_subnet_ids": "subnet_ids", "studio_security_group_ids": "security_group_ids",
        "studio_idle_timeout_minutes": whole_number(60, 525600, " of minutes"),
        "studio_user_profiles": "sagemaker_names",
        # the modules' own argument_spec and rules for domain_settings, default_space_settings, user_settings
        "studio_domain_settings": lambda option, value: studio.problem(
            option, value, studio.domain_settings_spec(), studio.DOMAIN_SETTINGS),
        "studio_default_space_settings": lambda option, value: studio.problem(
            option, value, studio.app_settings_spec(), studio.APP_SETTINGS),
        "studio_user_settings": lambda option, value: studio.problem(
            option, value, studio.app_settings_spec(), studio.APP_SETTINGS),
        **connection("studio"), **tagged("studio"),
    },
    "validate": {"validate_packages": validate_packages, "validate_timeout": whole_number(1, None, " of "
                                                                                                   "seconds")},
    "venv": {"venv_name": lambda option, value: rules.env_name(option, value, "sagemaker")},
    "wheelhouse": {
        "wheelhouse_index_url": matches(r"^(https?|file)://[^ ]+$", "empty (PyPI) or an http://, https:// or "
                                        "file:// URL", empty="PyPI", verb="is not a URL"),
        "wheelhouse_python_version": matches(r"^3\.[0-9]+$", "empty (the host's interpreter) or 3.X, e.g. "
                                                             "3.11",
                                             empty="host", verb="is not a Python version"),
        "wheelhouse_platform": wheelhouse_platform,
    },
}

CROSS_RULES = {
    "aws_cli": [aws_cli_keys],
    "conda": [conda_channels, conda_something_to_install],
    "cost_controls": [cost_controls_expressions],
    "iam_users": [iam_users_entries, iam_users_vault_file],
    "notebook_instance": [notebook_instance_network, notebook_instance_repositories,
                          notebook_instance_module],
    "s3_bucket": [s3_bucket_state],
    "sagemaker_sdk": [sagemaker_sdk_release,
                      requirements(["sagemaker_sdk_packages", "sagemaker_sdk_extra_packages"]),
                      sagemaker_sdk_config],
    "studio": [studio_role, studio_network, studio_known_users],
    "wheelhouse": [wheelhouse_requirements, wheelhouse_folders],
}

EXTRA_VARS = {
    "notebook_instance": ["notebook_instance_role_effective"],
    "sagemaker_sdk": ["sagemaker_sdk_python_version"],
    "studio": ["studio_execution_role_effective", "studio_iam_users"],
}


def _rule(rule):
    return rules.RULES[rule] if isinstance(rule, str) else rule


def problems(role, values):
    """Every message of the role's rules on values (a Values), variable rules first, in spec order."""
    found = []
    for variable, bound in VARIABLE_RULES.get(role, {}).items():
        if variable in values.refused or variable not in values.raw:
            continue
        for rule in bound if isinstance(bound, list) else [bound]:
            message = _rule(rule)(label(role, variable), dict.get(values, variable))
            if message:
                found.append(message)
    for check in CROSS_RULES.get(role, []):
        try:
            found += check(values)
        except Skip:
            continue
    return list(dict.fromkeys(found))  # a value two rules refuse (the module's and the role's) is told once
