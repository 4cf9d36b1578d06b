# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.notebook_instance_problems: what the sagemaker_notebook_instance module (and AWS)
would refuse, checked by the notebook_instance role's preflight (sagelab.sagemaker.preflight) before anything
is made (documentation: notebook_instance_problems.yml beside this file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.sagelab.sagemaker.plugins.module_utils._notebook_input import validate

# The options validate() reads, as the module has them when an option is not given.
OPTIONS = ("name", "instance_type", "volume_size", "role", "subnet_id", "security_group_ids", "kms_key_id",
           "default_code_repository", "additional_code_repositories", "lifecycle_config_name",
           "platform_identifier", "presigned_url_session_seconds", "tags")


def _named(message: str, variable_prefix: str, options: tuple[str, ...]) -> str:
    """`instance_type: ...` as the role's variable says it: `notebook_instance_type: ...`."""
    option, sep, rest = message.partition(": ")
    if sep and option in options and variable_prefix:
        short = option.removeprefix("instance_") if variable_prefix.endswith("instance_") else option
        return f"{variable_prefix}{short}:{' ' if rest else ''}{rest}"
    return message


def notebook_instance_problems(args: dict, variable_prefix: str = "") -> list[str]:
    """The module's refusal of these arguments (the ones the role passes), or an empty list."""
    if not isinstance(args, dict):
        raise AnsibleFilterError(f"notebook_instance_problems: expects the module's arguments as a mapping, "
                                 f"got {type(args).__name__}")
    params = {**dict.fromkeys(OPTIONS), "wait_timeout": 0,
              **{k: v for k, v in args.items() if v is not None and v != "__omit__"}}
    if isinstance(params["volume_size"], str) and params["volume_size"].isdigit():
        params["volume_size"] = int(params["volume_size"])
    message = validate(params)
    return [_named(message, variable_prefix, OPTIONS)] if message else []


class FilterModule:
    def filters(self) -> dict:
        return {"notebook_instance_problems": notebook_instance_problems}
