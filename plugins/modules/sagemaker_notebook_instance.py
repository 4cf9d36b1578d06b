#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_notebook_instance
short_description: Create, update, start, stop or delete an Amazon SageMaker notebook instance
version_added: "0.1.0"
description:
  - Manages a SageMaker notebook instance with every setting the SageMaker console shows - instance
    type, volume size, execution role, root access, VPC subnet and security groups, direct internet
    access, KMS key, default and additional Git repositories, lifecycle configuration, platform
    identifier, IP address type, minimum instance metadata service (IMDS) version and tags.
  - B(An option left out means "leave it as it is".) Omitting O(lifecycle_config_name),
    O(default_code_repository) or O(additional_code_repositories) never detaches them; detaching takes
    an explicit empty value (V("") or V([])). Options with a creation default (O(instance_type),
    O(root_access), O(instance_metadata_service_version), ...) use it only when the instance is created.
  - Settings that UpdateNotebookInstance accepts (instance type, volume size, role, root access,
    lifecycle configuration, code repositories, platform identifier, IP address type, IMDS version) are
    changed in place. AWS updates only stopped instances, so a running instance is stopped, updated and
    started again; a stopped instance is updated and stays stopped. Tag changes never stop the instance.
  - Settings AWS cannot change in place (O(subnet_id), O(security_group_ids), O(kms_key_id),
    O(direct_internet_access), a smaller O(volume_size)) make the module fail with a message naming them,
    unless O(recreate=true), which deletes the instance and creates it again (its ML storage volume, with
    everything under C(/home/ec2-user/SageMaker), is lost).
  - A notebook instance in a transitional status (Pending, Stopping, Updating, Deleting) is waited out
    first, then reconciled. A Failed instance is reported with its failure reason and is never sent a
    stop request (AWS refuses it); it can be updated, started or deleted directly.
  - Check mode and diff mode show exactly what would change, including whether the instance would be
    stopped or replaced (RV(actions)), without any write call.
  - Uses the amazon.aws connection options (O(endpoint_url), O(region), O(profile), ...), so it runs
    against real AWS or any endpoint such as sagelab's sandbox.
options:
  name:
    description:
      - Name of the notebook instance.
      - 1 to 63 ASCII letters, digits and hyphens, starting and ending with a letter or digit.
    type: str
    required: true
    aliases: [notebook_instance_name]
  state:
    description:
      - V(present) - the instance exists with the given settings. A new instance is started by AWS (it goes
        to InService); an existing instance keeps its running status (stopped stays stopped).
      - V(started) - as V(present), and the instance is InService (a Stopped or Failed instance is started).
      - V(stopped) - as V(present), and the instance is Stopped (a new instance is created, waited for and
        stopped). A Failed instance cannot be stopped and is left as it is, with a warning.
      - V(absent) - the instance is deleted (stopped first when it is running).
    type: str
    choices: [present, started, stopped, absent]
    default: present
  instance_type:
    description:
      - The ML compute instance type, for example V(ml.t3.medium) or V(ml.m5.xlarge); it must be one of the
        types in botocore's SageMaker model.
      - When the instance is created and this is omitted, V(ml.t3.medium) is used. The book uses
        V(ml.t2.medium), a previous-generation type that AWS now calls legacy; V(ml.t3.medium) is its
        current, cheaper equivalent.
      - Omitted for an existing instance - the type is left as it is.
    type: str
  volume_size:
    description:
      - Size of the ML storage volume in GB, 5 to 16384.
      - When the instance is created and this is omitted, AWS's default of 5 GB is used.
      - The volume can grow in place; a smaller size than the current one needs O(recreate=true).
    type: int
    aliases: [volume_size_in_gb]
  role:
    description:
      - The IAM execution role the instance assumes - a role ARN, or a role name, which is turned into
        C(arn:<partition>:iam::<account>:role/<name>) with the account of the caller (STS
        GetCallerIdentity). A role with a path needs the path in the name (V(service-role/MyRole)) or
        its full ARN.
      - Required when the instance is created.
    type: str
    aliases: [role_arn]
  root_access:
    description:
      - Whether notebook users get root access (sudo) on the instance.
      - When the instance is created and this is omitted, root access is B(disabled) (AWS's own default
        is enabled). Lifecycle configuration scripts always run as root regardless.
      - Omitted for an existing instance - left as it is.
    type: bool
  subnet_id:
    description:
      - The VPC subnet the instance's network interface goes into. Cannot be changed in place.
    type: str
  security_group_ids:
    description:
      - VPC security group IDs for the instance (up to 5, in the subnet's VPC); needs O(subnet_id).
      - Compared as a set - the order does not matter. Omitted or V([]) - not compared (AWS puts an
        instance created without security groups into the VPC's default group).
      - Cannot be changed in place.
    type: list
    elements: str
  direct_internet_access:
    description:
      - Whether SageMaker gives the instance internet access. V(false) needs O(subnet_id) (the instance then
        reaches the internet only through the VPC, for example via a NAT gateway).
      - When the instance is created and this is omitted, AWS's default (enabled) is used.
      - Cannot be changed in place.
    type: bool
  kms_key_id:
    description:
      - The KMS key (ID, ARN, alias name or alias ARN) that encrypts the ML storage volume.
      - A key ID and the ARN of the same key are not a difference.
      - Cannot be changed in place.
    type: str
  default_code_repository:
    description:
      - The Git repository cloned into the instance and opened by default - a code repository name
        registered in SageMaker (see M(sagelab.sagemaker.sagemaker_code_repository)) or an HTTPS Git URL.
      - V("") detaches the default repository; omitted - left as it is.
      - A name (not a URL) must be registered in SageMaker - it is looked up (DescribeCodeRepository) and
        a missing one refused before the instance is stopped; likewise each name in
        O(additional_code_repositories).
    type: str
  additional_code_repositories:
    description:
      - Up to three more Git repositories (names or HTTPS URLs), compared as a set.
      - V([]) detaches them all; omitted - left as they are.
    type: list
    elements: str
  lifecycle_config_name:
    description:
      - Name of the lifecycle configuration (see M(sagelab.sagemaker.sagemaker_lifecycle_config)) that runs
        when the instance is created and started.
      - V("") detaches the lifecycle configuration; omitted - left as it is.
      - It must exist - it is looked up (DescribeNotebookInstanceLifecycleConfig) and a missing one refused
        before the instance is stopped.
    type: str
  platform_identifier:
    description:
      - The platform (Amazon Linux and JupyterLab version) the instance runs, one of those in botocore's
        SageMaker model, for example V(notebook-al2-v3) or V(notebook-al2023-v1).
      - When the instance is created and this is omitted, AWS's default is used. Can be changed in place.
    type: str
  ip_address_type:
    description:
      - V(ipv4), or V(dualstack) for IPv4 and IPv6 (needs a dual-stack subnet).
      - When the instance is created and this is omitted, AWS's default (V(ipv4)) is used.
      - V(dualstack) without O(subnet_id) (given, or the instance's) is refused before any call - AWS refuses
        it, and an instance would otherwise be stopped and started again for nothing.
      - An instance described without C(IpAddressType) (made before the field existed) is V(ipv4).
    type: str
    choices: [ipv4, dualstack]
  instance_metadata_service_version:
    description:
      - The minimum version of the instance metadata service (IMDS) the instance allows. V("2") allows
        only IMDSv2 (session tokens), which protects the instance's credentials from SSRF-style attacks.
      - When the instance is created and this is omitted, V("2") is used (AWS's own default is V("1")).
      - Omitted for an existing instance - left as it is.
    type: str
    choices: ["1", "2"]
    aliases: [imds_version]
  wait:
    description:
      - Wait until the instance reaches the status O(state) implies (InService, Stopped, or deleted).
      - With V(false) the module still never leaves a running instance stopped - when an update needs the
        instance stopped, stop, update and start are all done; only the final wait is skipped.
      - With V(false) an instance found in a transitional status (Pending, Stopping, Updating, Deleting) is
        not waited for - the run returns at once when it has nothing to do, and fails, without any write
        call, when the instance must change (AWS changes it only once it settles). Check mode never waits -
        it plans from the status the instance is moving to.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds one run of the module may spend waiting in total (for transitional statuses to
        end, and for the waits O(wait) asks for). On AWS an instance takes 5 to 10 minutes to reach
        InService, a stop a minute or two.
    type: int
    default: 1800
  recreate:
    description:
      - Delete the instance and create it again when a setting that cannot be changed in place differs.
      - The new instance keeps every setting not given here, including tags; the ML storage volume and its
        data are lost.
    type: bool
    default: false
  presigned_url:
    description:
      - Return a presigned URL that opens the instance's JupyterLab (RV(url)). AWS accepts it for 5 minutes.
      - Not requested in check mode.
    type: bool
    default: false
  presigned_url_session_seconds:
    description:
      - How long the session the presigned URL opens lasts, 1800 to 43200 seconds (AWS's default is 12 hours).
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
attributes:
  check_mode:
    support: full
    description: Reports exactly what a real run would do (RV(actions)) without any write call to AWS.
  diff_mode:
    support: full
    description: Shows the instance's settings, status and tags before and after.
notes:
  - Elastic Inference accelerators (C(AcceleratorTypes)) are not managed; AWS has retired Elastic Inference.
  - Lifecycle configuration scripts run with root access and the execution role's permissions.
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance_info
  - module: sagelab.sagemaker.sagemaker_lifecycle_config
  - module: sagelab.sagemaker.sagemaker_code_repository
  - name: UpdateNotebookInstance
    description: What AWS can change on an existing notebook instance.
    link: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateNotebookInstance.html
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the book's notebook instance runs (ml.t3.medium, root access disabled, IMDSv2 only)
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: sagemaker-book
    role: sagelab-sagemaker-execution
    volume_size: 10
    lifecycle_config_name: sagemaker-book-auto-stop
    default_code_repository: https://github.com/example/sagemaker-book.git
    tags:
      Owner: alice
      Project: sagelab
      CostCenter: cc-4711
      ManagedBy: sagelab
    state: started
    presigned_url: true
  register: notebook

- name: Show the link that opens JupyterLab (valid for 5 minutes)
  ansible.builtin.debug:
    msg: "{{ notebook.url }}"

- name: Ensure a notebook instance in a private subnet, with its volume encrypted
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: private-lab
    role: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
    instance_type: ml.m5.xlarge
    subnet_id: subnet-0abc1234def567890
    security_group_ids: [sg-0123456789abcdef0]
    direct_internet_access: false
    kms_key_id: 1234abcd-12ab-34cd-56ef-1234567890ab
    platform_identifier: notebook-al2023-v1

- name: Detach the lifecycle configuration and the extra repositories (an omitted option is left alone)
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: sagemaker-book
    lifecycle_config_name: ""
    additional_code_repositories: []

- name: Move the instance to another subnet (deletes it and creates it again, its volume is lost)
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: private-lab
    subnet_id: subnet-0fed9876cba543210
    recreate: true

- name: Stop the instance for the night, without waiting
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: sagemaker-book
    state: stopped
    wait: false

- name: Delete the instance
  sagelab.sagemaker.sagemaker_notebook_instance:
    name: sagemaker-book
    state: absent
"""

RETURN = r"""
notebook_instance:
  description:
    - The notebook instance as DescribeNotebookInstance reports it after the run, with snake_case keys and
      its tags as a dict.
    - Empty when the instance does not exist (O(state=absent), or a creation in check mode).
  returned: always
  type: dict
  contains:
    notebook_instance_name:
      description: Name.
      type: str
      returned: when the instance exists
      sample: sagemaker-book
    notebook_instance_arn:
      description: ARN.
      type: str
      returned: when the instance exists
      sample: arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/sagemaker-book
    notebook_instance_status:
      description: Pending, InService, Stopping, Stopped, Failed, Deleting or Updating.
      type: str
      returned: when the instance exists
      sample: InService
    failure_reason:
      description: Why the instance is Failed.
      type: str
      returned: when the instance is Failed
      sample: Lifecycle config script failed with exit code 1.
    url:
      description: The instance's host name (open it through a presigned URL, see RV(url)).
      type: str
      returned: when the instance exists
      sample: sagemaker-book.notebook.eu-west-1.sagemaker.aws
    instance_type:
      description: ML compute instance type.
      type: str
      returned: when the instance exists
      sample: ml.t3.medium
    volume_size_in_gb:
      description: Size of the ML storage volume.
      type: int
      returned: when the instance exists
      sample: 10
    role_arn:
      description: Execution role.
      type: str
      returned: when the instance exists
      sample: arn:aws:iam::123456789012:role/sagelab-sagemaker-execution
    root_access:
      description: Enabled or Disabled.
      type: str
      returned: when the instance exists
      sample: Disabled
    subnet_id:
      description: The VPC subnet the instance's network interface is in.
      type: str
      returned: when the instance is in a VPC
      sample: subnet-0abc1234
    security_groups:
      description: The VPC security group IDs.
      type: list
      elements: str
      returned: when the instance is in a VPC
      sample: [sg-0abc1234]
    network_interface_id:
      description: The instance's network interface in the subnet.
      type: str
      returned: when the instance is in a VPC
      sample: eni-0abc1234
    direct_internet_access:
      description: Enabled or Disabled (internet access through SageMaker's own network).
      type: str
      returned: when the instance exists
      sample: Enabled
    kms_key_id:
      description: The KMS key that encrypts the ML storage volume.
      type: str
      returned: when a key was given
      sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    accelerator_types:
      description: Elastic Inference accelerator types.
      type: list
      elements: str
      returned: when the instance has accelerators
      sample: []
    default_code_repository:
      description: The Git repository (URL or SageMaker code repository name) cloned as the default folder.
      type: str
      returned: when one is set
      sample: https://github.com/example/notebooks.git
    additional_code_repositories:
      description: Further Git repositories (at most three).
      type: list
      elements: str
      returned: when some are set
      sample: [sagemaker-book-code]
    notebook_instance_lifecycle_config_name:
      description: The lifecycle configuration run at creation and at each start.
      type: str
      returned: when one is attached
      sample: sagemaker-book-auto-stop
    platform_identifier:
      description: The instance's platform (operating system and JupyterLab version).
      type: str
      returned: when the instance exists
      sample: notebook-al2-v2
    instance_metadata_service_configuration:
      description: The instance metadata service settings.
      type: dict
      returned: when the instance exists
      contains:
        minimum_instance_metadata_service_version:
          description: The lowest IMDS version the instance accepts, C(1) or C(2).
          type: str
          returned: always
          sample: "2"
    ip_address_type:
      description: The instance's IP address type, C(ipv4) or C(dualstack).
      type: str
      returned: when the instance exists
      sample: ipv4
    creation_time:
      description: When the instance was created (ISO 8601).
      type: str
      returned: when the instance exists
      sample: "2026-12-07T01:12:00.000000+00:00"
    last_modified_time:
      description: When the instance was last changed (ISO 8601).
      type: str
      returned: when the instance exists
      sample: "2026-12-07T01:14:00.000000+00:00"
    tags:
      description: Tags.
      type: dict
      returned: when the instance exists
      sample: {Owner: alice, Project: sagelab, CostCenter: cc-4711, ManagedBy: sagelab}
  sample:
    notebook_instance_name: sagemaker-book
    notebook_instance_status: InService
    instance_type: ml.t3.medium
    volume_size_in_gb: 10
    root_access: Disabled
    direct_internet_access: Enabled
    platform_identifier: notebook-al2-v2
    instance_metadata_service_configuration: {minimum_instance_metadata_service_version: "2"}
    notebook_instance_lifecycle_config_name: sagemaker-book-auto-stop
    tags: {Owner: alice, Project: sagelab, CostCenter: cc-4711, ManagedBy: sagelab}
actions:
  description:
    - The AWS calls that changed (or in check mode would change) the instance, in order. A stop followed by
      an update means the instance had to be stopped; a delete followed by a create is a replacement.
  returned: always
  type: list
  elements: str
  sample: [StopNotebookInstance, UpdateNotebookInstance, StartNotebookInstance, AddTags]
changed_settings:
  description: Names of the settings (options) that differed, including C(tags) and C(state).
  returned: always
  type: list
  elements: str
  sample: [instance_type, root_access]
url:
  description:
    - A presigned URL that opens JupyterLab on the instance (C(view=lab) added to AWS's AuthorizedUrl).
      Anyone holding it can open the instance while it is valid (5 minutes).
  returned: when O(presigned_url=true), the instance exists and it is not check mode
  type: str
  sample: https://sagemaker-book.notebook.eu-west-1.sagemaker.aws?authToken=eyJhbGciOi...&view=lab
changed:
  description: Whether the instance was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: Settings, status and tags before and after (empty before a creation, empty after a deletion).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Settings before.
      type: dict
      returned: always
    after:
      description: Settings after.
      type: dict
      returned: always
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit  # noqa: E402

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._notebook_input import validate  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    BotoCoreError,
    ClientError,
    Resource,
    new_tags,
    resolve_role,
    same_role,
    tag_changes,
    tags_after,
    to_result,
)

DEFAULT_INSTANCE_TYPE = "ml.t3.medium"
DEFAULT_IMDS_VERSION = "2"
TRANSITIONAL = ("Pending", "Stopping", "Updating", "Deleting")
SETTLES_TO = {"Pending": "InService", "Stopping": "Stopped", "Updating": "Stopped", "Deleting": None}
# What AWS fills in at creation when a setting is not given (CreateNotebookInstance's documentation).
AWS_DEFAULTS = {"volume_size": 5, "direct_internet_access": True, "ip_address_type": "ipv4"}
# Settings AWS fixes at creation: option -> describe key.
IMMUTABLE = ("subnet_id", "security_group_ids", "kms_key_id", "direct_internet_access")


# --- input: validate() is sagelab's _notebook_input, shared with the role's preflight ------------

def validate_creation(params, settings):
    """What a new instance needs that an existing one does not."""
    if not settings.get("role_arn"):
        return f"role: is required to create notebook instance {params['name']} (the execution role)"
    if settings.get("security_group_ids") and not settings.get("subnet_id"):
        return "security_group_ids: needs subnet_id (security groups belong to the subnet's VPC)"
    if settings.get("ip_address_type") == "dualstack" and not settings.get("subnet_id"):
        return ("ip_address_type: dualstack needs subnet_id (a subnet with IPv6 addressing; AWS refuses "
                "dualstack without one)")
    if settings.get("direct_internet_access") is False and not settings.get("subnet_id"):
        return ("direct_internet_access: false needs subnet_id (without a VPC the instance would have no "
                "network)")
    return None


# --- settings: the instance as the module's options see it -----------------------------------------------

def shown(value):
    """A setting's value in a message."""
    return "(none)" if value in (None, "", []) else repr(value)


def enabled(value):
    return None if value is None else value == "Enabled"


def kms_key(value):
    """A key ID and the key's ARN name the same key; an alias ARN and the alias name too."""
    if not value:
        return value
    if value.startswith("arn:"):
        resource = value.split(":", 5)[-1]  # key/ID or alias/NAME
        return resource[len("key/"):] if resource.startswith("key/") else resource
    return value


def settings_of(described):
    """The managed settings of a DescribeNotebookInstance result, in the options' terms."""
    imds = described.get("InstanceMetadataServiceConfiguration") or {}
    return {
        "instance_type": described.get("InstanceType"),
        "volume_size": described.get("VolumeSizeInGB"),
        "role_arn": described.get("RoleArn"),
        "root_access": enabled(described.get("RootAccess")),
        "subnet_id": described.get("SubnetId"),
        "security_group_ids": sorted(described.get("SecurityGroups") or []),
        "direct_internet_access": enabled(described.get("DirectInternetAccess")),
        "kms_key_id": described.get("KmsKeyId"),
        "default_code_repository": described.get("DefaultCodeRepository") or "",
        "additional_code_repositories": sorted(described.get("AdditionalCodeRepositories") or []),
        "lifecycle_config_name": described.get("NotebookInstanceLifecycleConfigName") or "",
        "platform_identifier": described.get("PlatformIdentifier"),
        # instances made before the field existed are described without it: they are IPv4
        "ip_address_type": described.get("IpAddressType") or "ipv4",
        "instance_metadata_service_version": imds.get("MinimumInstanceMetadataServiceVersion"),
    }


def wanted_settings(params):
    """The settings the options ask for; None for each option left out."""
    return {
        "instance_type": params["instance_type"],
        "volume_size": params["volume_size"],
        "role_arn": params["role"],  # a name until resolve_role()
        "root_access": params["root_access"],
        "subnet_id": params["subnet_id"],
        "security_group_ids": sorted(params["security_group_ids"]) if params["security_group_ids"] else None,
        "direct_internet_access": params["direct_internet_access"],
        "kms_key_id": params["kms_key_id"],
        "default_code_repository": params["default_code_repository"],
        "additional_code_repositories": (sorted(params["additional_code_repositories"])
                                         if params["additional_code_repositories"] is not None else None),
        "lifecycle_config_name": params["lifecycle_config_name"],
        "platform_identifier": params["platform_identifier"],
        "ip_address_type": params["ip_address_type"],
        "instance_metadata_service_version": params["instance_metadata_service_version"],
    }


def differs(key, current, wanted):
    if wanted is None:
        return False
    if key == "role_arn":
        return not same_role(current, wanted)
    if key == "kms_key_id":
        return kms_key(current) != kms_key(wanted)
    return current != wanted


# --- API parameters ---------------------------------------------------------------------------------------

def update_request(current, wanted):
    """The UpdateNotebookInstance parameters that turn current settings into wanted ones (only growth
    for the volume: shrinking is an immutable difference)."""
    request = {}
    simple = {"instance_type": "InstanceType", "role_arn": "RoleArn",
              "platform_identifier": "PlatformIdentifier", "ip_address_type": "IpAddressType"}
    for key, api_key in simple.items():
        if differs(key, current[key], wanted[key]):
            request[api_key] = wanted[key]
    if wanted["volume_size"] is not None and wanted["volume_size"] > (current["volume_size"] or 0):
        request["VolumeSizeInGB"] = wanted["volume_size"]
    if differs("root_access", current["root_access"], wanted["root_access"]):
        request["RootAccess"] = "Enabled" if wanted["root_access"] else "Disabled"
    version = wanted["instance_metadata_service_version"]
    if differs("instance_metadata_service_version", current["instance_metadata_service_version"], version):
        request["InstanceMetadataServiceConfiguration"] = {"MinimumInstanceMetadataServiceVersion": version}
    detachable = (("lifecycle_config_name", "LifecycleConfigName", "DisassociateLifecycleConfig"),
                  ("default_code_repository", "DefaultCodeRepository", "DisassociateDefaultCodeRepository"),
                  ("additional_code_repositories", "AdditionalCodeRepositories",
                   "DisassociateAdditionalCodeRepositories"))
    for key, api_key, detach_key in detachable:
        if differs(key, current[key], wanted[key]):
            if wanted[key] in ("", []):
                request[detach_key] = True
            else:
                request[api_key] = wanted[key]
    return request


UPDATE_KEYS = {"InstanceType": "instance_type", "RoleArn": "role", "VolumeSizeInGB": "volume_size",
               "RootAccess": "root_access", "PlatformIdentifier": "platform_identifier",
               "IpAddressType": "ip_address_type",
               "InstanceMetadataServiceConfiguration": "instance_metadata_service_version",
               "LifecycleConfigName": "lifecycle_config_name",
               "DisassociateLifecycleConfig": "lifecycle_config_name",
               "DefaultCodeRepository": "default_code_repository",
               "DisassociateDefaultCodeRepository": "default_code_repository",
               "AdditionalCodeRepositories": "additional_code_repositories",
               "DisassociateAdditionalCodeRepositories": "additional_code_repositories"}


def immutable_differences(current, wanted):
    """[(option, current, wanted)] for settings AWS cannot change in place."""
    found = []
    for key in IMMUTABLE:
        if key == "security_group_ids" and not wanted[key]:
            continue  # not given: AWS's default group stays
        if differs(key, current[key], wanted[key]):
            found.append((key, current[key], wanted[key]))
    if wanted["volume_size"] is not None and wanted["volume_size"] < (current["volume_size"] or 0):
        found.append(("volume_size", current["volume_size"], wanted["volume_size"]))
    return found


def merged_settings(current, wanted):
    """Settings after the run: wanted where given, current elsewhere."""
    merged = dict(current)
    for key, value in wanted.items():
        if value is not None and differs(key, current.get(key), value):
            merged[key] = value
    return merged


def create_request(name, settings, tags):
    request = {"NotebookInstanceName": name,
               "InstanceType": settings["instance_type"] or DEFAULT_INSTANCE_TYPE,
               "RoleArn": settings["role_arn"],
               "RootAccess": "Enabled" if settings["root_access"] else "Disabled",
               "InstanceMetadataServiceConfiguration": {
                   "MinimumInstanceMetadataServiceVersion":
                       settings["instance_metadata_service_version"] or DEFAULT_IMDS_VERSION}}
    optional = {"volume_size": "VolumeSizeInGB", "subnet_id": "SubnetId",
                "security_group_ids": "SecurityGroupIds", "kms_key_id": "KmsKeyId",
                "lifecycle_config_name": "LifecycleConfigName",
                "default_code_repository": "DefaultCodeRepository",
                "additional_code_repositories": "AdditionalCodeRepositories",
                "platform_identifier": "PlatformIdentifier", "ip_address_type": "IpAddressType"}
    for key, api_key in optional.items():
        if settings.get(key) not in (None, "", []):
            request[api_key] = settings[key]
    if settings.get("direct_internet_access") is not None:
        request["DirectInternetAccess"] = "Enabled" if settings["direct_internet_access"] else "Disabled"
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return request


def creation_settings(wanted):
    """The settings of a new instance: wanted ones plus the module's creation defaults."""
    settings = dict(wanted)
    settings["instance_type"] = settings["instance_type"] or DEFAULT_INSTANCE_TYPE
    settings["root_access"] = bool(settings["root_access"])
    settings["instance_metadata_service_version"] = (settings["instance_metadata_service_version"]
                                                     or DEFAULT_IMDS_VERSION)
    settings["security_group_ids"] = settings["security_group_ids"] or []
    for key in ("default_code_repository", "lifecycle_config_name"):
        settings[key] = settings[key] or ""
    settings["additional_code_repositories"] = settings["additional_code_repositories"] or []
    for key, default in AWS_DEFAULTS.items():  # what AWS fills in (shown in the diff)
        if settings[key] is None:
            settings[key] = default
    return settings


# --- the notebook instance ---------------------------------------------------------------------------------

class NotebookInstance(Resource):
    """Reads, plans and applies one notebook instance; every wait shares one deadline."""

    kind = "notebook instance"
    report_actions = True

    # reading and waiting

    def describe(self):
        return self.read("describe_notebook_instance", NotebookInstanceName=self.name)

    def status_text(self, described):
        if described is None:
            return f"notebook instance {self.name} (it no longer exists)"
        return f"notebook instance {self.name} (it is {described['NotebookInstanceStatus']})"

    def wait_status(self, statuses, gone_ok=False, needed=False):
        """Wait for one of statuses (or for the instance to be gone when gone_ok) when the run asks for it
        (wait: true) or the next step needs it; never in check mode. A Failed instance ends the wait with
        its reason, unless Failed is one of statuses."""
        wanted = " or ".join(statuses) if statuses else "deletion"

        def done(described):
            if described is None:
                if gone_ok:
                    return True
                self.module.fail_json(msg=f"Notebook instance {self.name} disappeared while waiting for "
                                      f"{wanted}", **self.progress())
            status = described["NotebookInstanceStatus"]
            if status == "Failed" and "Failed" not in statuses:
                self.fail_failed(described, f"while waiting for {wanted}")
            return status in statuses

        return self.wait(self.describe, done, lambda described: f"{wanted} of {self.status_text(described)}",
                         needed=needed)

    def settle(self, described):
        """Wait out a transitional status; the settled description (None when it was being deleted).

        Check mode does not wait: it plans from the status the instance is moving to (SETTLES_TO). With
        wait: false neither: self.unsettled keeps the status it was found in, and any write is refused.
        Not Resource.settle(): an instance settles in one of several statuses and is planned from the one it
        moves to, and AWS tags it in any status (before_write refuses writes, not tag changes)."""
        status = described["NotebookInstanceStatus"]
        if status not in TRANSITIONAL:
            return described
        if self.module.check_mode or not self.params["wait"]:
            self.unsettled = status
            self.module.warn(f"Notebook instance {self.name} is {status}; "
                             + ("check mode planned from the status it is moving to "
                                f"({SETTLES_TO[status] or 'deleted'})." if self.module.check_mode else
                                "wait: false, so it was not waited for."))
            if SETTLES_TO[status] is None:
                return None
            return dict(described, NotebookInstanceStatus=SETTLES_TO[status])
        if status == "Deleting":
            return self.wait_status([], gone_ok=True, needed=True)
        return self.wait_status(["InService", "Stopped", "Failed"], needed=True)

    def fail_failed(self, described, when):
        self.module.fail_json(
            msg=f"Notebook instance {self.name} is Failed {when}: "
                f"{described.get('FailureReason') or 'no reason given'}",
            failure_reason=described.get("FailureReason"), notebook_instance=to_result(described),
            **self.progress())

    # writing

    def before_write(self, action):
        """With wait: false on an instance found in a transitional status, no write is made."""
        if self.unsettled and not self.module.check_mode:
            self.module.fail_json(
                msg=(f"Notebook instance {self.name} is {self.unsettled}: AWS changes it only once it is "
                     f"{SETTLES_TO[self.unsettled] or 'deleted'}, and wait: false does not wait for that "
                     f"(the run would {action}). Run again later, or with wait: true."),
                status=self.unsettled, **self.progress())

    def stop(self):
        self.act("stop_notebook_instance", NotebookInstanceName=self.name)

    def start(self):
        self.act("start_notebook_instance", NotebookInstanceName=self.name)

    def delete(self):
        self.act("delete_notebook_instance", NotebookInstanceName=self.name)

    def create(self, request):
        self.act("create_notebook_instance", **request)

    # the states

    def absent(self, described):
        if described is None:
            return {}
        status = described["NotebookInstanceStatus"]
        if status == "InService":
            self.stop()
            self.wait_status(["Stopped"], needed=True)
        self.delete()
        self.wait_status([], gone_ok=True)
        return {}

    def ensure(self):
        """Bring the instance to the wanted state; returns the module's result."""
        described = self.describe()
        if described is not None and described["NotebookInstanceStatus"] in TRANSITIONAL:
            if self.params["state"] == "absent" and described["NotebookInstanceStatus"] == "Deleting":
                self.wait_status([], gone_ok=True)
                return self.finish(dict(settings_of(described), status="Deleting"), None, [], gone=True)
            described = self.settle(described)
        state = self.params["state"]
        if state == "absent":
            if described is None:
                return self.finish(None, None, [])
            self.absent(described)
            before = dict(settings_of(described), status=described["NotebookInstanceStatus"])
            return self.finish(before, None, ["state"], gone=True)
        if described is None:
            return self.create_new()
        return self.reconcile(described)

    def check_references(self, settings, current=None):
        """Refuse, before any write, a lifecycle configuration or code repository name (not a URL) that does
        not exist: AWS would refuse the create or update only after the instance was stopped. Only what
        differs from current (the instance's settings; None for a new instance) is looked up."""
        def new(key):
            return settings.get(key) and (current is None or differs(key, current.get(key), settings[key]))

        missing = []
        config = settings.get("lifecycle_config_name")
        if new("lifecycle_config_name") and self.api.describe(
                "describe_notebook_instance_lifecycle_config",
                NotebookInstanceLifecycleConfigName=config) is None:
            missing.append(f"lifecycle_config_name: no lifecycle configuration called {config!r} exists")
        repositories = [settings["default_code_repository"]] if new("default_code_repository") else []
        if new("additional_code_repositories"):
            repositories += settings["additional_code_repositories"]
        for repository in repositories:
            if not repository.startswith("https://") and self.api.describe(
                    "describe_code_repository", CodeRepositoryName=repository) is None:
                missing.append(f"code repository {repository!r} is not registered in SageMaker (give an "
                               "https:// Git URL, or register it with sagemaker_code_repository)")
        if missing and self.module.check_mode:
            # An earlier task of the same run may make it (the role's auto-stop configuration does), and in
            # check mode that task made nothing: foretell the run, and say what a real run would refuse.
            self.module.warn(f"Notebook instance {self.name}: {'; '.join(missing)} yet; a real run refuses "
                             "this unless an earlier task makes it.")
        elif missing:
            self.module.fail_json(msg=f"Notebook instance {self.name} was not changed: {'; '.join(missing)}.",
                                  actions=[], changed=False)

    def create_new(self):
        params = self.params
        wanted = wanted_settings(params)
        settings = creation_settings(wanted)
        error = validate_creation(params, settings)
        if error:
            self.module.fail_json(msg=error)
        self.check_references(settings)
        settings["role_arn"] = resolve_role(self.api, settings["role_arn"])
        tags = new_tags(params["tags"])
        self.create(create_request(self.name, settings, tags))
        final = "Stopped" if params["state"] == "stopped" else "InService"
        if params["state"] == "stopped":
            self.wait_status(["InService"], needed=True)  # AWS stops only an instance that is in service
            self.stop()
            self.wait_status(["Stopped"])
        else:
            self.wait_status(["InService"])
        after = dict({k: v for k, v in settings.items() if v is not None}, tags=tags, status=final)
        return self.finish(None, after, ["state"])

    def reconcile(self, described):
        params, state = self.params, self.params["state"]
        status = described["NotebookInstanceStatus"]
        current = settings_of(described)
        wanted = wanted_settings(params)
        arn = described["NotebookInstanceArn"]
        current_tags = self.api.tags(arn)
        to_set, to_unset = tag_changes(current_tags, params["tags"], params["purge_tags"])

        immutable = immutable_differences(current, wanted)
        if immutable and not params["recreate"]:
            fields = ", ".join(key for key, _unused, _unused in immutable)
            details = "; ".join(f"{key}: {shown(old)} -> {shown(new)}" for key, old, new in immutable)
            self.module.fail_json(
                msg=(f"Cannot change {fields} of notebook instance {self.name} in place: AWS sets "
                     f"{'it' if len(immutable) == 1 else 'them'} only when an instance is created "
                     f"({details}). "
                     "Set recreate: true to delete the instance and create it again (its ML storage volume "
                     "is lost), or leave these options as they are."),
                immutable_settings=[key for key, *_rest in immutable], notebook_instance=to_result(described))

        if not immutable:
            merged = merged_settings(current, wanted)
            if merged["ip_address_type"] == "dualstack" and not merged["subnet_id"] \
                    and differs("ip_address_type", current["ip_address_type"], wanted["ip_address_type"]):
                self.module.fail_json(msg=f"ip_address_type: dualstack needs a subnet and notebook instance "
                                      f"{self.name} has none (subnet_id is fixed at creation: recreate: true "
                                      "with subnet_id moves it to one); nothing was changed",
                                      actions=[], changed=False)
            self.check_references(merged, current)
        if wanted["role_arn"] is not None and differs("role_arn", current["role_arn"], wanted["role_arn"]):
            wanted["role_arn"] = resolve_role(self.api, wanted["role_arn"])
        running = status == "InService"
        # the status the run ends with
        if state == "started":
            final = "InService"
        elif state == "stopped":
            final = "Stopped" if status != "Failed" else "Failed"
        else:
            final = status if status != "Failed" else "Failed"

        if immutable:
            return self.replace(described, current, wanted, current_tags, to_set, to_unset, final)

        request = update_request(current, wanted)
        changed_names = sorted({UPDATE_KEYS[key] for key in request})
        if request:
            if status == "InService":
                self.stop()
                self.wait_status(["Stopped"], needed=True)
            self.update(request, restart=running and final == "InService")
            if final == "Failed":
                final = "Stopped"  # an update ends a failure
            if final == "InService":
                self.wait_status(["Stopped"], needed=True)  # Updating -> Stopped before it can start
                self.start()
                self.wait_status(["InService"])
            else:
                self.wait_status(["Stopped"])
        elif final == "InService" and status != "InService":
            self.start()
            self.wait_status(["InService"])
        elif final == "Stopped" and status == "InService":
            self.stop()
            self.wait_status(["Stopped"])
        if status == "Failed" and final == "Failed":
            self.module.warn(f"Notebook instance {self.name} is Failed: "
                             f"{described.get('FailureReason') or 'no reason given'}")
        if final != status:
            changed_names.append("state")
        if to_set or to_unset:
            self.set_tags(arn, to_set, to_unset)
            changed_names.append("tags")
        after = dict(merged_settings(current, wanted), tags=tags_after(current_tags, to_set, to_unset),
                     status=final)
        before = dict(current, tags=current_tags, status=status)
        return self.finish(before, after, changed_names, described=described)

    def update(self, request, restart):
        """UpdateNotebookInstance; if it fails after the module stopped the instance, start it again and
        report changed: true (the instance was stopped and started) with what happened."""
        self.before_write("UpdateNotebookInstance")
        self.actions.append("UpdateNotebookInstance")
        if self.module.check_mode:
            return
        try:
            self.api.client().update_notebook_instance(aws_retry=True, NotebookInstanceName=self.name,
                                                       **request)
        except (BotoCoreError, ClientError) as exc:
            # report the error, but do not leave a running instance stopped
            stopped = "StopNotebookInstance" in self.actions
            if restart:
                self.api.call("start_notebook_instance", NotebookInstanceName=self.name)
                self.actions.append("StartNotebookInstance")
            happened = ""
            if stopped and restart:
                happened = " (the instance was stopped for the update and started again, unchanged)"
            elif stopped:
                happened = " (the instance was stopped for the update and is left stopped, unchanged)"
            self.api.fail(exc, "update_notebook_instance", actions=self.actions, restarted=bool(restart),
                          changed=stopped, suffix=happened)

    def replace(self, described, current, wanted, current_tags, to_set, to_unset, final):
        """Delete and create again with the wanted settings over the current ones."""
        settings = merged_settings(current, wanted)
        error = validate_creation(self.params, settings)
        if error:
            self.module.fail_json(msg=error)
        self.check_references(settings)
        tags = tags_after(current_tags, to_set, to_unset)
        status = described["NotebookInstanceStatus"]
        if status == "InService":
            self.stop()
            self.wait_status(["Stopped"], needed=True)
        self.delete()
        self.wait_status([], gone_ok=True, needed=True)
        self.create(create_request(self.name, settings, tags))
        if final in ("Stopped", "Failed"):
            final = "Stopped"
            self.wait_status(["InService"], needed=True)
            self.stop()
            self.wait_status(["Stopped"])
        else:
            final = "InService"
            self.wait_status(["InService"])
        changed = sorted({key for key in settings if differs(key, current.get(key), wanted.get(key))
                          and wanted.get(key) is not None} | ({"tags"} if to_set or to_unset else set()))
        before = dict(current, tags=current_tags, status=status)
        after = dict(settings, tags=tags, status=final)
        return self.finish(before, after, changed + ["recreate"], described=described)

    def finish(self, before, after, changed_names, described=None, gone=False):
        """The module's result; the instance is described again after a real change."""
        if not self.wrote:
            final = None if gone else described
        else:
            final = None if gone and self.params["wait"] else self.describe()
        fields = {"changed_settings": changed_names, "notebook_instance": {}}
        if final is not None:
            fields["notebook_instance"] = to_result(final, self.api.tags(final["NotebookInstanceArn"]))
            if final["NotebookInstanceStatus"] == "Failed":
                fields["notebook_instance"].setdefault("failure_reason", final.get("FailureReason"))
            if self.unsettled and not self.wrote:
                # planned from the status it moves to (check mode, wait: false): report the one it is in
                fields["notebook_instance"]["notebook_instance_status"] = self.unsettled
        if self.params["presigned_url"] and final is not None and not self.module.check_mode:
            fields["url"] = self.presigned_url()
        return self.result(before, after, **fields)

    def presigned_url(self):
        request = {"NotebookInstanceName": self.name}
        if self.params["presigned_url_session_seconds"]:
            request["SessionExpirationDurationInSeconds"] = self.params["presigned_url_session_seconds"]
        url = self.api.call("create_presigned_notebook_instance_url", **request)["AuthorizedUrl"]
        parts = urlsplit(url)  # view=lab opens JupyterLab instead of the classic Jupyter page
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "view"]
        return urlunsplit(parts._replace(query=urlencode(query + [("view", "lab")])))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["notebook_instance_name"]),
            state=dict(type="str", default="present", choices=["present", "started", "stopped", "absent"]),
            instance_type=dict(type="str"),
            volume_size=dict(type="int", aliases=["volume_size_in_gb"]),
            role=dict(type="str", aliases=["role_arn"]),
            root_access=dict(type="bool"),
            subnet_id=dict(type="str"),
            security_group_ids=dict(type="list", elements="str"),
            direct_internet_access=dict(type="bool"),
            kms_key_id=dict(type="str", no_log=False),
            default_code_repository=dict(type="str"),
            additional_code_repositories=dict(type="list", elements="str"),
            lifecycle_config_name=dict(type="str"),
            platform_identifier=dict(type="str"),
            ip_address_type=dict(type="str", choices=["ipv4", "dualstack"]),
            instance_metadata_service_version=dict(type="str", choices=["1", "2"], aliases=["imds_version"]),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
            recreate=dict(type="bool", default=False),
            presigned_url=dict(type="bool", default=False),
            presigned_url_session_seconds=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    NotebookInstance.run(module)


if __name__ == "__main__":
    main()
