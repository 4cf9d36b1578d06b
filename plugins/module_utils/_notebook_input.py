# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the sagemaker_notebook_instance module refuses, as one function: the module calls it before any
AWS call, and the notebook_instance role's preflight calls it (filter
sagelab.sagemaker.notebook_instance_problems) with the arguments the role will pass, so that a value the
module would refuse stops the playbook before the role makes anything (its lifecycle configuration)."""

import re

from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules

# A code repository option: the name of a SageMaker code repository, or an https:// Git URL.
REPOSITORY_RE = re.compile(r"^(https://([^/]+)/?(.*)|[a-zA-Z0-9](-*[a-zA-Z0-9])*)$")


def validate(params):
    """One clear message for the first bad input, or None."""
    error = rules.first(rules.sagemaker_name("name", params["name"]),
                        rules.instance_type("instance_type", params["instance_type"]))
    if error:
        return error
    volume = params["volume_size"]
    if volume is not None and not 5 <= volume <= 16384:
        return f"volume_size: {volume} is not allowed; allowed: 5 to 16384 (GB)"
    subnet = params["subnet_id"]
    error = rules.first(rules.role("role", params["role"]),
                        subnet is not None and rules.aws_id("subnet_id", subnet, "subnet"))
    if error:
        return error
    groups = params["security_group_ids"]
    if groups is not None:
        if len(groups) > 5:
            return f"security_group_ids: {len(groups)} groups given; allowed: at most 5"
        error = rules.first(*(rules.aws_id("security_group_ids", g, "security group") for g in groups))
        if error:
            return error
    error = rules.kms_key("kms_key_id", params["kms_key_id"])
    if error:
        return error
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
        error = rules.sagemaker_name("lifecycle_config_name", params["lifecycle_config_name"],
                                     allow_empty=True)
        if error:
            return error
    platform = params["platform_identifier"]
    if platform is not None:
        platforms = rules.model_choices("PlatformIdentifier", pattern=True) or []
        if platforms and platform not in platforms:
            return f"platform_identifier: {platform!r} is not allowed; allowed: {', '.join(platforms)}"
    if params["wait_timeout"] < 0:
        return f"wait_timeout: {params['wait_timeout']} is not allowed; allowed: 0 or more seconds"
    seconds = params["presigned_url_session_seconds"]
    if seconds is not None and not 1800 <= seconds <= 43200:
        return f"presigned_url_session_seconds: {seconds} is not allowed; allowed: 1800 to 43200"
    return rules.tags(params["tags"])
