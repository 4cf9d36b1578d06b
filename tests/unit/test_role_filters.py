"""The filters that took the roles' vars logic out of Jinja, in-process: the project bucket's name
(s3_bucket, execution_role, iam_users), the s3_bucket role's check-mode drift, the SDK requirement."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.filter.names import bucket_name  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.filter.s3_bucket_drift import s3_bucket_drift  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.filter.sdk_config import sdk_requirement  # noqa: E402

TLS = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny"}]}


def test_bucket_name_is_the_given_one_else_sagelab_account_region():
    assert bucket_name("", "123456789012", "eu-west-1") == "sagelab-123456789012-eu-west-1"
    assert bucket_name(None, "123456789012", "eu-west-1") == "sagelab-123456789012-eu-west-1"
    assert bucket_name("team-data", "123456789012", "eu-west-1") == "team-data"
    with pytest.raises(AnsibleFilterError, match="needs the account and the region"):
        bucket_name("", "", "eu-west-1")
    with pytest.raises(AnsibleFilterError, match="is not allowed; allowed: a bucket name"):
        bucket_name(["a"], "123456789012", "eu-west-1")


def bucket(**changes):
    """A bucket as amazon.aws.s3_bucket_info describes it when it is as the role wants it."""
    found = {
        "bucket_encryption": {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}},
        "public_access_block": {"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}},
        "bucket_versioning": {"Status": "Enabled"},
        "bucket_tagging": {"Owner": "alice", "Extra": "kept"},
        "bucket_policy": {"Policy": json.dumps(TLS)},
    }
    found.update(changes)
    return found


def test_s3_bucket_drift_is_empty_for_a_bucket_as_wanted_and_create_for_none():
    wanted = {"versioning": True, "tags": {"Owner": "alice"}, "policy": TLS}
    assert s3_bucket_drift(bucket(), "AES256", **wanted) == []
    assert s3_bucket_drift({}, "AES256", **wanted) == ["create the bucket"]
    assert s3_bucket_drift(bucket(bucket_policy=None), "AES256", versioning="true", tags={}) == []


def test_s3_bucket_drift_names_each_setting_that_differs_in_order():
    found = bucket(bucket_encryption={},
                   public_access_block={"PublicAccessBlockConfiguration": {"BlockPublicAcls": False}},
                   bucket_versioning={"Status": "Suspended"}, bucket_tagging={"Owner": "bob"},
                   bucket_policy={"Policy": "{}"})
    assert s3_bucket_drift(found, "AES256", versioning=True, tags={"Owner": "alice"}, policy=TLS) == [
        "encryption", "public access block", "versioning", "tags", "bucket policy"]
    kms = bucket(bucket_encryption={"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/a"}}]}})
    assert s3_bucket_drift(kms, "aws:kms", kms_key_id="alias/a", versioning=True) == []
    assert s3_bucket_drift(kms, "aws:kms", kms_key_id="alias/b", versioning=True) == ["encryption"]
    assert s3_bucket_drift(bucket(), "AES256", versioning=True, tags={"New": "1"}) == ["tags"]


def test_sdk_requirement_pins_the_version_else_the_major():
    assert sdk_requirement("", 2) == "sagemaker>=2,<3"
    assert sdk_requirement(None, "3") == "sagemaker>=3,<4"
    assert sdk_requirement("2.257.7", 2) == "sagemaker==2.257.7"
    with pytest.raises(AnsibleFilterError, match="major 'two' is not allowed"):
        sdk_requirement("", "two")
