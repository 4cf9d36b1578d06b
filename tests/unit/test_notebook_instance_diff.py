"""sagemaker_notebook_instance's comparison, in-process: a DescribeNotebookInstance result in the options'
terms, what differs (a role name against an ARN, a KMS key ID against its ARN), the UpdateNotebookInstance
request that closes the difference, what AWS cannot change in place, the settings after a run, and the
CreateNotebookInstance request of a new instance; plus the tag difference every SageMaker module shares.
The sandbox tests (tests/integration/test_notebook_instance.py) drive the same functions through AWS
calls; these say in milliseconds which rule broke."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.sagelab.sagemaker.plugins.module_utils import _sagemaker  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.modules import sagemaker_notebook_instance as nb  # noqa: E402

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/sagelab-execution"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"

DESCRIBED = {  # as DescribeNotebookInstance answers, trimmed to what the module reads
    "NotebookInstanceName": "lab", "InstanceType": "ml.t3.medium", "VolumeSizeInGB": 10,
    "RoleArn": ROLE_ARN, "RootAccess": "Disabled", "SubnetId": "subnet-0a",
    "SecurityGroups": ["sg-2", "sg-1"], "DirectInternetAccess": "Enabled", "KmsKeyId": KEY_ARN,
    "DefaultCodeRepository": "book", "AdditionalCodeRepositories": ["z-extra", "a-extra"],
    "NotebookInstanceLifecycleConfigName": "idle-stop",
    "PlatformIdentifier": "notebook-al2-v3", "IpAddressType": "ipv4",
    "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
}
OPTIONS = {key: None for key in ("instance_type", "volume_size", "role", "root_access", "subnet_id",
                                 "security_group_ids", "direct_internet_access", "kms_key_id",
                                 "default_code_repository", "additional_code_repositories",
                                 "lifecycle_config_name", "platform_identifier", "ip_address_type",
                                 "instance_metadata_service_version")}


def current() -> dict:
    return nb.settings_of(DESCRIBED)


def wanted(**given) -> dict:
    return nb.wanted_settings({**OPTIONS, **given})


# --- the instance in the options' terms ----------------------------------------------------------------

def test_a_description_reads_as_the_options_with_lists_sorted_and_enabled_as_booleans():
    assert current() == {
        "instance_type": "ml.t3.medium", "volume_size": 10, "role_arn": ROLE_ARN, "root_access": False,
        "subnet_id": "subnet-0a", "security_group_ids": ["sg-1", "sg-2"], "direct_internet_access": True,
        "kms_key_id": KEY_ARN, "default_code_repository": "book",
        "additional_code_repositories": ["a-extra", "z-extra"], "lifecycle_config_name": "idle-stop",
        "platform_identifier": "notebook-al2-v3", "ip_address_type": "ipv4",
        "instance_metadata_service_version": "2",
    }


def test_what_a_description_leaves_out_reads_as_none_empty_or_ipv4():
    sparse = nb.settings_of({"InstanceType": "ml.t3.medium", "RoleArn": ROLE_ARN})
    assert sparse["root_access"] is None and sparse["direct_internet_access"] is None
    assert sparse["security_group_ids"] == [] and sparse["additional_code_repositories"] == []
    assert sparse["default_code_repository"] == "" and sparse["lifecycle_config_name"] == ""
    assert sparse["ip_address_type"] == "ipv4"  # instances made before the field existed are IPv4
    assert sparse["instance_metadata_service_version"] is None


def test_options_left_out_want_nothing_and_change_nothing():
    assert set(wanted().values()) == {None}
    assert nb.update_request(current(), wanted()) == {}
    assert nb.immutable_differences(current(), wanted()) == []
    assert nb.merged_settings(current(), wanted()) == current()


# --- what differs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "same"), [
    ("sagelab-execution", True),  # a name: the last part of the ARN, whatever the path
    ("service-role/sagelab-execution", True),
    (ROLE_ARN, True),
    (f"arn:aws:iam::{ACCOUNT}:role/sagelab-execution", False),  # an ARN must match exactly (the path too)
    ("other-role", False),
])
def test_a_role_name_matches_the_arns_last_part_and_an_arn_only_itself(given, same):
    assert nb.same_role(ROLE_ARN, given) is same
    assert nb.differs("role_arn", ROLE_ARN, given) is not same


def test_no_current_role_matches_only_no_wanted_role():
    assert nb.same_role(None, None) is True
    assert nb.same_role("", "sagelab-execution") is False


@pytest.mark.parametrize(("given", "differs"), [
    (KEY_ID, False), (KEY_ARN, False), (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/other", True),
    ("alias/lab", True),
])
def test_a_kms_key_id_and_its_arn_name_the_same_key(given, differs):
    assert nb.differs("kms_key_id", KEY_ARN, given) is differs


def test_an_alias_arn_and_the_alias_name_are_the_same_key():
    assert nb.kms_key(f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/lab") == "alias/lab"
    assert nb.differs("kms_key_id", f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/lab", "alias/lab") is False


# --- the update request --------------------------------------------------------------------------------

def test_each_changed_option_maps_to_its_update_member():
    request = nb.update_request(current(), wanted(
        instance_type="ml.t3.large", role="other-role", root_access=True,
        platform_identifier="notebook-al2-v2", ip_address_type="dualstack",
        instance_metadata_service_version="1"))
    assert request == {"InstanceType": "ml.t3.large", "RoleArn": "other-role", "RootAccess": "Enabled",
                       "PlatformIdentifier": "notebook-al2-v2", "IpAddressType": "dualstack",
                       "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "1"}}
    assert set(request) <= set(nb.UPDATE_KEYS)


def test_an_unchanged_value_given_again_asks_for_nothing():
    again = wanted(instance_type="ml.t3.medium", role="sagelab-execution", root_access=False,
                   kms_key_id=KEY_ID, security_group_ids=["sg-2", "sg-1"],
                   additional_code_repositories=["z-extra", "a-extra"], volume_size=10)
    assert nb.update_request(current(), again) == {}
    assert nb.immutable_differences(current(), again) == []


def test_the_volume_only_grows_in_place_and_shrinking_is_an_immutable_difference():
    assert nb.update_request(current(), wanted(volume_size=20)) == {"VolumeSizeInGB": 20}
    assert nb.update_request(current(), wanted(volume_size=5)) == {}
    assert nb.immutable_differences(current(), wanted(volume_size=5)) == [("volume_size", 10, 5)]


def test_an_empty_value_detaches_and_a_new_one_replaces():
    detached = nb.update_request(current(), wanted(lifecycle_config_name="", default_code_repository="",
                                                   additional_code_repositories=[]))
    assert detached == {"DisassociateLifecycleConfig": True, "DisassociateDefaultCodeRepository": True,
                        "DisassociateAdditionalCodeRepositories": True}
    replaced = nb.update_request(current(), wanted(lifecycle_config_name="other",
                                                   additional_code_repositories=["b", "a"]))
    assert replaced == {"LifecycleConfigName": "other", "AdditionalCodeRepositories": ["a", "b"]}


def test_network_and_encryption_settings_cannot_change_in_place():
    found = nb.immutable_differences(current(), wanted(
        subnet_id="subnet-0b", security_group_ids=["sg-3"], kms_key_id="alias/other",
        direct_internet_access=False))
    assert found == [("subnet_id", "subnet-0a", "subnet-0b"),
                     ("security_group_ids", ["sg-1", "sg-2"], ["sg-3"]),
                     ("kms_key_id", KEY_ARN, "alias/other"), ("direct_internet_access", True, False)]
    assert nb.update_request(current(), wanted(subnet_id="subnet-0b")) == {}  # never sent as an update


def test_security_groups_left_out_keep_awss_default_group():
    assert nb.immutable_differences(current(), wanted(security_group_ids=[])) == []


def test_settings_after_the_run_take_what_was_given_and_keep_the_rest():
    after = nb.merged_settings(current(), wanted(instance_type="ml.t3.large", role="sagelab-execution"))
    assert after == {**current(), "instance_type": "ml.t3.large"}  # the same role named: the ARN stays


# --- a new instance ----------------------------------------------------------------------------------

def test_a_new_instance_gets_the_modules_and_awss_defaults():
    settings = nb.creation_settings(wanted(role=ROLE_ARN))
    assert settings["instance_type"] == nb.DEFAULT_INSTANCE_TYPE
    assert settings["instance_metadata_service_version"] == nb.DEFAULT_IMDS_VERSION
    assert settings["root_access"] is False
    assert {key: settings[key] for key in nb.AWS_DEFAULTS} == nb.AWS_DEFAULTS
    assert settings["security_group_ids"] == [] and settings["additional_code_repositories"] == []


def test_the_create_request_sends_what_is_set_and_omits_the_empty():
    request = nb.create_request("lab", nb.creation_settings(wanted(role=ROLE_ARN, lifecycle_config_name="")),
                                {"Project": "book", "CostCenter": "42"})
    assert request == {
        "NotebookInstanceName": "lab", "InstanceType": nb.DEFAULT_INSTANCE_TYPE, "RoleArn": ROLE_ARN,
        "RootAccess": "Disabled",
        "InstanceMetadataServiceConfiguration": {
            "MinimumInstanceMetadataServiceVersion": nb.DEFAULT_IMDS_VERSION},
        "VolumeSizeInGB": 5, "IpAddressType": "ipv4", "DirectInternetAccess": "Enabled",
        "Tags": [{"Key": "Project", "Value": "book"}, {"Key": "CostCenter", "Value": "42"}],
    }
    assert "Tags" not in nb.create_request("lab", nb.creation_settings(wanted(role=ROLE_ARN)), {})


@pytest.mark.parametrize(("given", "message"), [
    ({}, "role: is required to create notebook instance lab (the execution role)"),
    ({"role_arn": ROLE_ARN, "security_group_ids": ["sg-1"]},
     "security_group_ids: needs subnet_id (security groups belong to the subnet's VPC)"),
    ({"role_arn": ROLE_ARN, "ip_address_type": "dualstack"},
     "ip_address_type: dualstack needs subnet_id (a subnet with IPv6 addressing; AWS refuses dualstack "
     "without one)"),
    ({"role_arn": ROLE_ARN, "direct_internet_access": False},
     "direct_internet_access: false needs subnet_id (without a VPC the instance would have no network)"),
    ({"role_arn": ROLE_ARN, "direct_internet_access": False, "subnet_id": "subnet-0a"}, None),
])
def test_what_only_a_new_instance_needs(given, message):
    assert nb.validate_creation({"name": "lab"}, given) == message


# --- tags, shared by the SageMaker modules -----------------------------------------------------------

def test_tags_are_set_and_unset_as_a_difference_and_none_leaves_them_alone():
    assert _sagemaker.tag_changes({"a": "1", "b": "2"}, None, purge=True) == ({}, [])
    to_set, to_unset = _sagemaker.tag_changes({"a": "1", "b": "2"}, {"a": "1", "c": 3}, purge=True)
    assert (to_set, sorted(to_unset)) == ({"c": "3"}, ["b"])  # values compared as strings
    assert _sagemaker.tag_changes({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == ({"a": "9"}, [])
    assert _sagemaker.tags_after({"a": "1", "b": "2"}, {"c": "3"}, ["b"]) == {"a": "1", "c": "3"}
