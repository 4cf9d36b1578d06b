# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.s3_bucket_drift: what amazon.aws.s3_bucket would change on the project bucket,
from what amazon.aws.s3_bucket_info found - the s3_bucket role's check mode reports it (s3_bucket cannot
tell in check mode; documentation: s3_bucket_drift.yml)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# What the role's public access block sets (s3_bucket_public_access: every setting on)
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


def _mapping(value, name):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AnsibleFilterError(f"s3_bucket_drift: {name}: {value!r} is not allowed; allowed: a dict")
    return value


def _encryption_default(found):
    rules = (_mapping(found.get("bucket_encryption"), "bucket_encryption")
             .get("ServerSideEncryptionConfiguration") or {}).get("Rules") or [{}]
    return (rules[0] or {}).get("ApplyServerSideEncryptionByDefault") or {}


def _policy(found):
    policy = _mapping(found.get("bucket_policy"), "bucket_policy").get("Policy") or "{}"
    return json.loads(policy) if isinstance(policy, str) else policy


def s3_bucket_drift(found, encryption, kms_key_id="", versioning=False, tags=None, policy=None):
    """The settings that differ, in the order the role names them ([] when none; ['create the bucket']
    when nothing was found). found: one bucket of s3_bucket_info; policy: the bucket policy wanted (None:
    not managed); tags: only those given are compared (the role sets them with purge_tags: false)."""
    found = _mapping(found, "found")
    if not found:
        return ["create the bucket"]
    drift = []
    default = _encryption_default(found)
    other_key = kms_key_id and default.get("KMSMasterKeyID") != kms_key_id
    if default.get("SSEAlgorithm") != encryption or other_key:
        drift.append("encryption")
    block = _mapping(found.get("public_access_block"), "public_access_block")
    if block.get("PublicAccessBlockConfiguration", {}) != ALL_BLOCKED:
        drift.append("public access block")
    enabled = _mapping(found.get("bucket_versioning"), "bucket_versioning").get("Status") == "Enabled"
    if boolean(versioning, strict=False) != enabled:
        drift.append("versioning")
    stored = _mapping(found.get("bucket_tagging"), "bucket_tagging")
    if any(stored.get(key) != value or key not in stored for key, value in _mapping(tags, "tags").items()):
        drift.append("tags")
    if policy is not None and _policy(found) != json.loads(json.dumps(policy)):
        drift.append("bucket policy")
    return drift


class FilterModule:
    def filters(self):
        return {"s3_bucket_drift": s3_bucket_drift}
