# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.sdk_config: the SageMaker Python SDK's defaults configuration (its
config.yaml) with sagelab's settings merged into what the file holds already
(documentation: sdk_config.yml beside this file)."""

from __future__ import annotations

import copy

import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules

# Where each setting lives in the SDK's schema (sagemaker/config/config_schema.py, SDK 2).
BUCKET_PATH = ("SageMaker", "PythonSDK", "Modules", "Session", "DefaultS3Bucket")
TELEMETRY_PATH = ("SageMaker", "PythonSDK", "Modules", "TelemetryOptOut")
ROLE_PATHS = (("SageMaker", "TrainingJob", "RoleArn"), ("SageMaker", "ProcessingJob", "RoleArn"),
              ("SageMaker", "Model", "ExecutionRoleArn"))
# What the book's code makes (fit: a training job; deploy: model, endpoint config, endpoint), and
# processing jobs: each carries the cost tags, so `sagelab cost` and `sagelab down` find it.
TAGGED = ("TrainingJob", "ProcessingJob", "Model", "EndpointConfig", "Endpoint")


def _set(doc: dict, path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        if not isinstance(doc.get(key), dict):
            doc[key] = {}
        doc = doc[key]
    doc[path[-1]] = value


def _merge_tags(existing: object, tags: dict[str, str]) -> list[dict[str, str]]:
    """The file's tags with sagelab's set (same key: sagelab's value), in a stable order."""
    kept = [t for t in (existing if isinstance(existing, list) else [])
            if isinstance(t, dict) and t.get("Key") not in tags]
    return kept + [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]


def sdk_config(existing: str | None, bucket: str = "", role: str = "", tags: dict | None = None,
               telemetry_opt_out: bool | None = None, path: str = "config.yaml") -> dict:
    """The SDK config document: `existing` (the file's text, may be empty) with the default bucket, the
    execution role, the tags and the telemetry setting sagelab manages; every other key kept."""
    try:
        doc = yaml.safe_load(existing or "") or {}
    except yaml.YAMLError as exc:
        raise AnsibleFilterError(f"sagemaker_sdk_config_path: {path} is not valid YAML ({exc}); fix or "
                                 "remove it, sagelab merges its settings into it") from None
    if not isinstance(doc, dict):
        raise AnsibleFilterError(f"sagemaker_sdk_config_path: {path} holds a {type(doc).__name__}, not the "
                                 "SDK's mapping (SchemaVersion, SageMaker); fix or remove it")
    doc = copy.deepcopy(doc)
    doc["SchemaVersion"] = str(doc.get("SchemaVersion") or "1.0")
    if bucket:
        _set(doc, BUCKET_PATH, bucket)
    if role:
        for role_path in ROLE_PATHS:
            _set(doc, role_path, role)
    if telemetry_opt_out is not None:
        _set(doc, TELEMETRY_PATH, bool(telemetry_opt_out))
    if tags:
        for resource in TAGGED:
            section = doc.setdefault("SageMaker", {}).get(resource)
            _set(doc, ("SageMaker", resource, "Tags"),
                 _merge_tags((section or {}).get("Tags") if isinstance(section, dict) else None, tags))
    return doc


def sdk_config_problems(path: str, bucket: str = "", role: str = "", tags: object = None) -> list[str]:
    """One message per setting the SDK or AWS would refuse, naming the variable and what is allowed."""
    problems = []
    if not isinstance(path, str) or not path.startswith("/") or path.endswith("/"):
        problems.append(f"sagemaker_sdk_config_path: {path!r} is not allowed; allowed: an absolute path "
                        "to a file")
    if bucket and rules.s3_bucket_name("sagemaker_sdk_default_bucket", bucket):
        problems.append(f"sagemaker_sdk_default_bucket: {bucket!r} is not an S3 bucket name; allowed: "
                        "3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a "
                        "letter or digit (e.g. sagelab-123456789012-eu-west-1), or empty")
    if role and rules.role_arn("sagemaker_sdk_execution_role", role):
        problems.append(f"sagemaker_sdk_execution_role: {role!r} is not an IAM role ARN; allowed: "
                        "arn:aws:iam::123456789012:role/NAME, or empty")
    # named as every AWS role names its tags: the variable, and sagelab_tags its default comes from
    message = rules.tags(tags, "sagemaker_sdk_tags (sagelab_tags)", required=True)
    if message:
        problems.append(message)
    return problems


def sdk_requirement(version: object, major: object) -> str:
    """The sagemaker package's pip requirement: the exact version given, else any of the major
    (`'' | sagelab.sagemaker.sdk_requirement(2)` -> 'sagemaker>=2,<3')."""
    if version:
        return f"sagemaker=={version}"
    try:
        number = int(str(major))
    except ValueError:
        raise AnsibleFilterError(f"sdk_requirement: major {major!r} is not allowed; allowed: a whole number "
                                 "(2 or 3)") from None
    return f"sagemaker>={number},<{number + 1}"


class FilterModule:
    def filters(self) -> dict:
        return {"sdk_config": sdk_config, "sdk_config_problems": sdk_config_problems,
                "sdk_requirement": sdk_requirement}
