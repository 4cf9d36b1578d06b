# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the sagemaker_notebook_instance module refuses, as one function: the module calls it before any
AWS call, and the notebook_instance role's preflight calls it (filter
sagelab.sagemaker.notebook_instance_problems) with the arguments the role will pass, so that a value the
module would refuse stops the playbook before the role makes anything (its lifecycle configuration)."""

import re

from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import validate_name, validate_tags

ROLE_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]+(/[\w+=,.@-]+)*$")
VPC_ID_RE = re.compile(r"^[-0-9a-zA-Z]{1,32}$")
KMS_RE = re.compile(r"^[a-zA-Z0-9:/_-]{1,2048}$")
REPOSITORY_RE = re.compile(r"^(https://([^/]+)/?(.*)|[a-zA-Z0-9](-*[a-zA-Z0-9])*)$")


def model_choices(shape, pattern=False):
    """The values botocore's SageMaker model allows for a shape (an enum, or a pattern of alternatives)."""
    try:
        import botocore.session

        meta = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).metadata
    except Exception:  # pragma: no cover - botocore missing is reported by AnsibleAWSModule
        return None
    if pattern:
        text = meta.get("pattern", "")
        return text.strip("^$()").split("|") if text else None
    return meta.get("enum")


def validate(params):
    """One clear message for the first bad input, or None."""
    error = validate_name("name", params["name"])
    if error:
        return error
    instance_type = params["instance_type"]
    if instance_type is not None:
        types = model_choices("InstanceType") or []
        if types and instance_type not in types:
            family = instance_type.rsplit(".", 1)[0] + "."
            near = [t for t in types if t.startswith(family)][:8] or ["ml.t3.medium", "ml.m5.xlarge"]
            return (f"instance_type: {instance_type!r} is not a notebook instance type; allowed: one of the "
                    f"{len(types)} types in botocore's SageMaker model, e.g. {', '.join(near)}")
    volume = params["volume_size"]
    if volume is not None and not 5 <= volume <= 16384:
        return f"volume_size: {volume} is not allowed; allowed: 5 to 16384 (GB)"
    role = params["role"]
    role_ok = (role is None or ROLE_ARN_RE.match(role)
               or (not role.startswith("arn:") and ROLE_NAME_RE.match(role)))
    if not role_ok:
        return (f"role: {role!r} is not allowed; allowed: an IAM role ARN "
                "(arn:aws:iam::123456789012:role/NAME) or a role name")
    if params["subnet_id"] is not None and not VPC_ID_RE.match(params["subnet_id"]):
        return (f"subnet_id: {params['subnet_id']!r} is not allowed; allowed: a subnet ID such as "
                "subnet-0abc1234")
    groups = params["security_group_ids"]
    if groups is not None:
        if len(groups) > 5:
            return f"security_group_ids: {len(groups)} groups given; allowed: at most 5"
        for group in groups:
            if not VPC_ID_RE.match(group or ""):
                return (f"security_group_ids: {group!r} is not allowed; allowed: security group IDs such as "
                        "sg-0abc1234")
    if params["kms_key_id"] is not None and not KMS_RE.match(params["kms_key_id"]):
        return (f"kms_key_id: {params['kms_key_id']!r} is not allowed; allowed: a KMS key ID, key ARN, "
                "alias name or alias ARN")
    default_repo = params["default_code_repository"]
    if default_repo and (len(default_repo) > 1024 or not REPOSITORY_RE.match(default_repo)):
        return (f"default_code_repository: {default_repo!r} is not allowed; allowed: empty (to detach), "
                "a code repository name or an https:// Git URL")
    repos = params["additional_code_repositories"]
    if repos is not None:
        if len(repos) > 3:
            return f"additional_code_repositories: {len(repos)} repositories given; allowed: at most 3"
        for repo in repos:
            if not repo or len(repo) > 1024 or not REPOSITORY_RE.match(repo):
                return (f"additional_code_repositories: {repo!r} is not allowed; allowed: code repository "
                        "names or https:// Git URLs")
        if len(set(repos)) != len(repos):
            return (f"additional_code_repositories: {repos} lists a repository twice; allowed: distinct "
                    "entries")
        if default_repo and default_repo in repos:
            return (f"additional_code_repositories: {default_repo!r} is also the default_code_repository; "
                    "allowed: repositories other than the default one")
    if params["lifecycle_config_name"] is not None:
        error = validate_name("lifecycle_config_name", params["lifecycle_config_name"], allow_empty=True)
        if error:
            return error
    platform = params["platform_identifier"]
    if platform is not None:
        platforms = model_choices("PlatformIdentifier", pattern=True) or []
        if platforms and platform not in platforms:
            return f"platform_identifier: {platform!r} is not allowed; allowed: {', '.join(platforms)}"
    if params["wait_timeout"] < 0:
        return f"wait_timeout: {params['wait_timeout']} is not allowed; allowed: 0 or more seconds"
    seconds = params["presigned_url_session_seconds"]
    if seconds is not None and not 1800 <= seconds <= 43200:
        return f"presigned_url_session_seconds: {seconds} is not allowed; allowed: 1800 to 43200"
    return validate_tags(params["tags"])
