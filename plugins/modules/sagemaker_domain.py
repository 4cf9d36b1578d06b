#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_domain
short_description: Create, update or delete an Amazon SageMaker Studio domain
version_added: "0.1.0"
description:
  - Manages a SageMaker Studio domain - authentication mode, VPC and subnets, the default execution role
    and security groups of its users, app network access, idle shutdown of JupyterLab apps, KMS key and
    tags.
  - B(An option left out means "leave it as it is".) Options with a creation default (O(auth_mode),
    O(idle_shutdown), O(vpc_id), O(subnet_ids)) use it only when the domain is created. Inside
    O(domain_settings) and O(default_space_settings) only the keys given are compared; a key left out is
    never drift.
  - B(On an existing domain) these are changed in place (UpdateDomain) - O(subnet_ids),
    O(execution_role), O(security_group_ids), O(app_network_access_type), O(idle_shutdown),
    O(idle_timeout_minutes), O(vpc_id) of a domain that has none, every key of O(domain_settings)
    (DomainSettingsForUpdate) and of O(default_space_settings), and the tags. UpdateDomain sends only the
    members that differ, each whole - the stored member with the options' values on top, so settings the
    module does not manage are kept. Settings AWS fixes at creation (O(auth_mode), O(kms_key_id), a
    different O(vpc_id)) are create-only - a different value makes the module fail with a message naming
    them; nothing is written.
  - B(Which domain is managed.) Only the domain called O(name) - when none is, one is created. A domain
    called O(name) is managed whoever made it - naming it is the consent to change it.
  - B(Adoption is opt-in.) With O(adopt_existing=true), when no domain is called O(name) but exactly one
    other exists in the region, that one is managed instead (RV(adopted)), with a warning - but only if
    sagelab made it (it carries the tag C(ManagedBy=sagelab)). A domain without that tag is never
    changed unless it is named; the module fails naming it, with no write call. The tags of an adopted
    domain are left as they are.
  - Deleting a domain first deletes its Studio apps, then its spaces, then its user profiles, waiting for
    each, because AWS refuses to delete a domain that still has any. The home EFS volume is kept unless
    O(retain_home_efs=false).
  - B(A domain that is Pending or Updating) is waited for (up to O(wait_timeout)) before it is changed; one
    that is Deleting is waited for until it is gone (then O(state=present) creates it again). With
    O(wait=false) the module never waits - with nothing to change it returns at once with the status; a
    change is refused with a message naming the status, without any write call. Check mode never waits -
    it returns at once with the status and what a real run would do (RV(actions)), and a warning.
  - B(A domain that is Failed, Update_Failed or Delete_Failed) cannot be reconciled - O(state=present)
    fails with AWS's FailureReason, without any write call; O(state=absent) deletes it.
  - Check mode and diff mode show exactly what would change (RV(actions)), without any write call.
options:
  name:
    description:
      - Name of the domain, 1 to 63 ASCII letters, digits and hyphens, starting and ending with a letter or
        digit.
    type: str
    required: true
    aliases: [domain_name]
  state:
    description:
      - V(present) - the domain exists with the given settings.
      - V(absent) - the domain, its apps, spaces and user profiles are deleted.
    type: str
    choices: [present, absent]
    default: present
  auth_mode:
    description:
      - How users sign in - V(IAM) (presigned URLs, see M(sagelab.sagemaker.sagemaker_user_profile)) or
        V(SSO) (IAM Identity Center).
      - V(IAM) when the domain is created and this is omitted. Cannot be changed in place.
    type: str
    choices: [IAM, SSO]
  vpc_id:
    description:
      - The VPC the domain's apps use. When the domain is created and this is omitted, the VPC of
        O(subnet_ids), or else the region's default VPC (looked up with EC2 DescribeVpcs).
      - Cannot be changed in place once the domain has a VPC.
    type: str
  subnet_ids:
    description:
      - Subnets of O(vpc_id) for the domain's apps (1 to 16), compared as a set.
      - When the domain is created and this is omitted, every subnet of the VPC (EC2 DescribeSubnets).
      - Changed in place (UpdateDomain SubnetIds).
    type: list
    elements: str
  execution_role:
    description:
      - The default execution role of the domain's users - a role ARN, or a role name turned into
        C(arn:<partition>:iam::<account>:role/<name>) with the caller's account (STS GetCallerIdentity).
      - Required when the domain is created.
    type: str
    aliases: [role, role_arn]
  security_group_ids:
    description:
      - Security groups of the domain's apps (DefaultUserSettings SecurityGroups, up to 5), compared as a set.
      - V([]) removes them; omitted - left as they are.
    type: list
    elements: str
  app_network_access_type:
    description:
      - V(PublicInternetOnly) - apps reach the internet through SageMaker; V(VpcOnly) - only through the VPC.
      - Switching an existing domain to V(VpcOnly) sends its VPC and subnets with it (O(vpc_id) and
        O(subnet_ids), or the domain's own), as AWS requires.
      - AWS uses V(PublicInternetOnly) when the domain is created and this is omitted.
    type: str
    choices: [PublicInternetOnly, VpcOnly]
  idle_shutdown:
    description:
      - Whether JupyterLab apps shut down after O(idle_timeout_minutes) of idleness (DefaultUserSettings
        JupyterLabAppSettings AppLifecycleManagement IdleSettings LifecycleManagement).
      - V(true) when the domain is created and this is omitted; omitted for an existing domain - left as
        it is.
    type: bool
  idle_timeout_minutes:
    description:
      - Minutes of idleness before a JupyterLab app shuts down, 60 to 525600 (botocore's model).
      - When idle shutdown is turned on and this is omitted, 60 (or the domain's current timeout).
    type: int
  kms_key_id:
    description:
      - The KMS key that encrypts the domain's home EFS volume. Cannot be changed in place.
    type: str
  domain_settings:
    description:
      - Domain-wide settings (CreateDomain DomainSettings, UpdateDomain DomainSettingsForUpdate). Only the
        keys given are compared and changed.
    type: dict
    suboptions:
      security_group_ids:
        description:
          - Security groups for communication between the domain's apps and its EFS volume and RStudio
            (DomainSettings SecurityGroupIds, up to 3), compared as a set.
        type: list
        elements: str
      execution_role_identity_config:
        description:
          - V(USER_PROFILE_NAME) - sessions of the execution role carry the user profile's name as their
            source identity (for CloudTrail and IAM conditions); V(DISABLED) - they do not.
        type: str
        choices: [USER_PROFILE_NAME, DISABLED]
      docker_settings:
        description: Docker in the domain's apps (DockerSettings).
        type: dict
        suboptions:
          enable_docker_access:
            description: Whether apps may use Docker (EnableDockerAccess ENABLED or DISABLED).
            type: bool
          vpc_only_trusted_accounts:
            description:
              - For a V(VpcOnly) domain - the AWS account IDs (up to 20) whose images Docker may pull.
            type: list
            elements: str
  default_space_settings:
    description:
      - Defaults for the domain's shared spaces (DefaultSpaceSettings). Only the keys given are compared and
        changed.
    type: dict
  retain_home_efs:
    description:
      - With O(state=absent) - keep the home EFS volume (users' files) after the domain is deleted
        (RetentionPolicy HomeEfsFileSystem C(Retain)); V(false) deletes it (C(Delete)).
    type: bool
    default: true
  adopt_existing:
    description:
      - When no domain is called O(name) but exactly one other domain exists in the region and it carries
        the tag C(ManagedBy=sagelab), manage that one instead of creating a second.
      - A domain sagelab did not make (no C(ManagedBy=sagelab) tag) is refused - the module fails naming
        it, without any write call; give its name as O(name) to manage it anyway.
      - V(false) - only a domain called O(name) is managed; when there is none, one is created.
      - Not used with O(state=absent) - only a domain called O(name) is ever deleted.
    type: bool
    default: false
  wait:
    description:
      - Wait until the domain is InService after a creation or update, or gone after a deletion. The apps,
        spaces and user profiles of a domain being deleted are always waited for.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds one run may spend waiting in total. On AWS a domain takes several minutes.
    type: int
    default: 1800
extends_documentation_fragment:
  - sagelab.sagemaker.studio_settings.default_space_settings
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
    description: Shows the domain's settings and tags before and after.
notes:
  - RStudio settings, custom images, code repositories and the users' default app settings other than
    idle shutdown are not managed (they are kept as they are on an update).
seealso:
  - module: sagelab.sagemaker.sagemaker_domain_info
  - module: sagelab.sagemaker.sagemaker_user_profile
  - name: UpdateDomain
    description: What AWS can change on an existing domain.
    link: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the Studio domain exists in the default VPC, with idle JupyterLab apps stopped after an hour
  sagelab.sagemaker.sagemaker_domain:
    name: sagelab-studio
    execution_role: sagelab-sagemaker-execution
    idle_shutdown: true
    idle_timeout_minutes: 60
    tags:
      Owner: alice
      Project: sagelab
      CostCenter: cc-4711
      ManagedBy: sagelab
  register: studio

- name: Ensure a VPC-only domain in private subnets
  sagelab.sagemaker.sagemaker_domain:
    name: private-studio
    execution_role: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
    vpc_id: vpc-0abc1234def567890
    subnet_ids: [subnet-0abc1234def567890, subnet-0fed9876cba543210]
    security_group_ids: [sg-0123456789abcdef0]
    app_network_access_type: VpcOnly

- name: Ensure the lab's domain, reusing the region's sagelab-made domain if it has another name
  sagelab.sagemaker.sagemaker_domain:
    name: sagelab-studio
    execution_role: sagelab-sagemaker-execution
    adopt_existing: true

- name: Ensure the domain's spaces run on ml.t3.large and sessions carry the user profile's name
  sagelab.sagemaker.sagemaker_domain:
    name: sagelab-studio
    domain_settings:
      execution_role_identity_config: USER_PROFILE_NAME
      security_group_ids: [sg-0123456789abcdef0]
    default_space_settings:
      execution_role: sagelab-sagemaker-execution
      jupyter_lab:
        default_resource_spec:
          instance_type: ml.t3.large

- name: Delete the domain with its user profiles, and its home EFS volume
  sagelab.sagemaker.sagemaker_domain:
    name: sagelab-studio
    state: absent
    retain_home_efs: false
"""

RETURN = r"""
domain:
  description:
    - The domain as DescribeDomain reports it after the run, with snake_case keys and its tags as a dict.
    - Empty when the domain does not exist (O(state=absent), or a creation in check mode).
  returned: always
  type: dict
  contains:
    domain_id:
      description: ID.
      type: str
      returned: when the domain exists
      sample: d-abcdefghijkl
    domain_name:
      description: Name.
      type: str
      returned: when the domain exists
      sample: sagelab-studio
    domain_arn:
      description: ARN.
      type: str
      returned: when the domain exists
      sample: arn:aws:sagemaker:eu-west-1:123456789012:domain/d-abcdefghijkl
    status:
      description: Pending, InService, Updating, Deleting, Failed, Update_Failed or Delete_Failed.
      type: str
      returned: when the domain exists
      sample: InService
    url:
      description: The domain's Studio address.
      type: str
      returned: when the domain exists
      sample: https://d-abcdefghijkl.studio.eu-west-1.sagemaker.aws
    home_efs_file_system_id:
      description: The home EFS volume.
      type: str
      returned: when the domain exists
      sample: fs-0123456789abcdef0
    tags:
      description: Tags.
      type: dict
      returned: when the domain exists
      sample: {Owner: alice, ManagedBy: sagelab}
    auth_mode:
      description: How users sign in (IAM or SSO).
      type: str
      returned: when the domain exists (some only on AWS)
      sample: IAM
    vpc_id:
      description: The VPC of the domain's apps.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: vpc-0abc1234def567890
    subnet_ids:
      description: The subnets of the domain's apps.
      type: list
      elements: str
      returned: when the domain exists (some only on AWS)
      sample: [subnet-0abc1234def567890]
    app_network_access_type:
      description: PublicInternetOnly or VpcOnly.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: PublicInternetOnly
    app_security_group_management:
      description: Whether SageMaker manages the security groups of RStudio apps.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: Service
    default_user_settings:
      description: The users' default settings (execution role, security groups, app settings), snake_case.
      type: dict
      returned: when the domain exists (some only on AWS)
      sample: {execution_role: arn:aws:iam::123456789012:role/sagelab-sagemaker-execution}
    default_space_settings:
      description: The spaces' default settings, snake_case.
      type: dict
      returned: when the domain exists (some only on AWS)
      sample: {}
    domain_settings:
      description: Domain-wide settings (domain security groups, RStudio, identity), snake_case.
      type: dict
      returned: when the domain exists (some only on AWS)
      sample: {}
    kms_key_id:
      description: The KMS key of the home EFS volume.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: alias/sagelab
    home_efs_file_system_kms_key_id:
      description: The same key, under its former name.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: alias/sagelab
    tag_propagation:
      description: Whether the domain's tags propagate to what it makes (ENABLED or DISABLED).
      type: str
      returned: when the domain exists (some only on AWS)
      sample: DISABLED
    creation_time:
      description: When the domain was created.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: '2026-01-05T09:30:00.123000+00:00'
    last_modified_time:
      description: When the domain was last changed.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: '2026-01-05T09:30:00.123000+00:00'
    failure_reason:
      description: Why the domain is Failed, Update_Failed or Delete_Failed.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: RESOURCE_LIMIT_EXCEEDED
    security_group_id_for_domain_boundary:
      description: The security group SageMaker made for traffic between the domain and its EFS volume.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: sg-0123456789abcdef0
    single_sign_on_managed_application_instance_id:
      description: The IAM Identity Center application instance of an SSO domain.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: ins-0123456789abcdef
    single_sign_on_application_arn:
      description: The IAM Identity Center application of an SSO domain.
      type: str
      returned: when the domain exists (some only on AWS)
      sample: arn:aws:sso::123456789012:application/ssoins-1/apl-1
adopted:
  description: Whether an existing domain with another name was managed instead of creating O(name).
  returned: always
  type: bool
  sample: false
actions:
  description: The AWS calls that changed (or in check mode would change) the domain and what it holds, in
    order.
  returned: always
  type: list
  elements: str
  sample: [DeleteUserProfile, DeleteUserProfile, DeleteDomain]
changed_settings:
  description:
    - Names of the settings (options) that differed, including C(tags) and C(state); keys of
      O(domain_settings) and O(default_space_settings) by their path.
  returned: always
  type: list
  elements: str
  sample: [subnet_ids, idle_timeout_minutes, domain_settings.execution_role_identity_config]
deleted:
  description: What a deletion removed first (or in check mode would remove) - apps, spaces, user profiles.
  returned: when O(state=absent) and the domain existed
  type: dict
  sample: {apps: [], spaces: [], user_profiles: [alice, bob]}
changed:
  description: Whether the domain was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: Settings and tags before and after (empty before a creation, empty after a deletion).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _studio_settings as studio  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    STUDIO_FAILED,
    STUDIO_TRANSITIONAL,
    Resource,
    SageMakerApi,
    domain_describe,
    find_domains,
    resolve_role,
    same_role,
    tag_changes,
    tags_after,
    to_result,
)

MANAGED_BY = ("ManagedBy", "sagelab")  # the tag of what sagelab made: only such a domain is ever adopted
DEFAULT_IDLE_MINUTES = 60
IDLE_RANGE = (60, 525600)  # botocore: IdleTimeoutInMinutes min/max
# option -> its fields, the DescribeDomain/CreateDomain member, the UpdateDomain member
GROUPS = (("domain_settings", studio.DOMAIN_SETTINGS), ("default_space_settings", studio.APP_SETTINGS))
MEMBERS = {"domain_settings": ("DomainSettings", "DomainSettingsForUpdate"),
           "default_space_settings": ("DefaultSpaceSettings", "DefaultSpaceSettings")}


def validate(params):
    error = rules.sagemaker_name("name", params["name"])
    if error:
        return error
    if params["vpc_id"] is not None:
        error = rules.aws_id("vpc_id", params["vpc_id"], "VPC")
        if error:
            return error
    subnets = params["subnet_ids"]
    if subnets is not None:
        if not 1 <= len(subnets) <= 16:
            return f"subnet_ids: {len(subnets)} subnets given; allowed: 1 to 16"
        for subnet in subnets:
            error = rules.aws_id("subnet_ids", subnet, "subnet")
            if error:
                return error
    groups = params["security_group_ids"]
    if groups is not None:
        if len(groups) > 5:
            return f"security_group_ids: {len(groups)} groups given; allowed: at most 5"
        for group in groups:
            error = rules.aws_id("security_group_ids", group, "security group")
            if error:
                return error
    error = rules.role("execution_role", params["execution_role"])
    if error:
        return error
    minutes = params["idle_timeout_minutes"]
    if minutes is not None and not IDLE_RANGE[0] <= minutes <= IDLE_RANGE[1]:
        return f"idle_timeout_minutes: {minutes} is not allowed; allowed: {IDLE_RANGE[0]} to {IDLE_RANGE[1]}"
    if minutes is not None and params["idle_shutdown"] is False:
        return "idle_timeout_minutes: given with idle_shutdown: false; allowed: only with idle shutdown on"
    if params["wait_timeout"] < 0:
        return f"wait_timeout: {params['wait_timeout']} is not allowed; allowed: 0 or more seconds"
    for option, fields in GROUPS:
        error = studio.validate(option, params[option], fields)
        if error:
            return error
    return rules.tags(params["tags"])


# --- settings in the options' terms -----------------------------------------------------------------

def idle_settings(user_settings):
    return (((user_settings or {}).get("JupyterLabAppSettings") or {}).get("AppLifecycleManagement")
            or {}).get("IdleSettings") or {}


def settings_of(described):
    user = described.get("DefaultUserSettings") or {}
    idle = idle_settings(user)
    enabled = idle.get("LifecycleManagement") == "ENABLED"
    return {
        "auth_mode": described.get("AuthMode"),
        "vpc_id": described.get("VpcId"),
        "subnet_ids": sorted(described.get("SubnetIds") or []),
        "execution_role": user.get("ExecutionRole"),
        "security_group_ids": sorted(user.get("SecurityGroups") or []),
        "app_network_access_type": described.get("AppNetworkAccessType"),
        "idle_shutdown": enabled,
        "idle_timeout_minutes": idle.get("IdleTimeoutInMinutes") if enabled else None,
        "kms_key_id": described.get("KmsKeyId"),
    }


def wanted_settings(params, current=None):
    """The settings the options ask for; None for each option left out (current: the domain's settings,
    None for a new domain, which gets the creation defaults of idle shutdown)."""
    idle, minutes = params["idle_shutdown"], params["idle_timeout_minutes"]
    current_on = bool(current and current["idle_shutdown"])
    if current is None and idle is None:
        idle = True
    if idle is None:  # left as it is; a timeout alone is compared only while idle shutdown is on
        minutes = minutes if current_on else None
    elif idle:
        minutes = minutes or (current["idle_timeout_minutes"] if current_on else None) or DEFAULT_IDLE_MINUTES
    else:
        minutes = None
    return {
        "auth_mode": params["auth_mode"],
        "vpc_id": params["vpc_id"],
        "subnet_ids": sorted(params["subnet_ids"]) if params["subnet_ids"] is not None else None,
        "execution_role": params["execution_role"],
        "security_group_ids": (sorted(params["security_group_ids"])
                               if params["security_group_ids"] is not None else None),
        "app_network_access_type": params["app_network_access_type"],
        "idle_shutdown": idle,
        "idle_timeout_minutes": minutes,
        "kms_key_id": params["kms_key_id"],
    }


def differs(key, current, wanted):
    if wanted is None:
        return False
    if key == "execution_role":
        return not same_role(current, wanted)
    return current != wanted


def immutable_differences(current, wanted):
    found = []
    for key in ("auth_mode", "kms_key_id"):
        if differs(key, current[key], wanted[key]):
            found.append((key, current[key], wanted[key]))
    if current["vpc_id"] and differs("vpc_id", current["vpc_id"], wanted["vpc_id"]):
        found.append(("vpc_id", current["vpc_id"], wanted["vpc_id"]))
    return found


def idle_request(wanted):
    if wanted["idle_shutdown"]:
        return {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": wanted["idle_timeout_minutes"]}
    return {"LifecycleManagement": "DISABLED"}


def update_request(described, current, wanted):
    """UpdateDomain parameters turning current into wanted, and the names of the options that differ."""
    request, user, names = {}, {}, []
    if differs("subnet_ids", current["subnet_ids"], wanted["subnet_ids"]):
        request["SubnetIds"] = wanted["subnet_ids"]
        names.append("subnet_ids")
    if not current["vpc_id"] and wanted["vpc_id"]:
        request["VpcId"] = wanted["vpc_id"]
        names.append("vpc_id")
    access = "app_network_access_type"
    if differs(access, current[access], wanted[access]):
        request["AppNetworkAccessType"] = wanted["app_network_access_type"]
        names.append("app_network_access_type")
        if wanted[access] == "VpcOnly":
            # AWS: "VpcId and Subnet IDs are required for updating domains to VpcOnly mode"
            request["VpcId"] = wanted["vpc_id"] or current["vpc_id"]
            request["SubnetIds"] = request.get("SubnetIds") or wanted["subnet_ids"] or current["subnet_ids"]
    if differs("execution_role", current["execution_role"], wanted["execution_role"]):
        user["ExecutionRole"] = wanted["execution_role"]
        names.append("execution_role")
    if differs("security_group_ids", current["security_group_ids"], wanted["security_group_ids"]):
        user["SecurityGroups"] = wanted["security_group_ids"]
        names.append("security_group_ids")
    idle_names = [key for key in ("idle_shutdown", "idle_timeout_minutes")
                  if differs(key, current[key], wanted[key])]
    if idle_names:
        on = wanted["idle_shutdown"] if wanted["idle_shutdown"] is not None else current["idle_shutdown"]
        merged = dict(wanted, idle_shutdown=on)
        # the whole JupyterLabAppSettings is sent: keep what the module does not manage
        jupyterlab = dict((described.get("DefaultUserSettings") or {}).get("JupyterLabAppSettings") or {})
        lifecycle = dict(jupyterlab.get("AppLifecycleManagement") or {})
        lifecycle["IdleSettings"] = idle_request(merged)
        jupyterlab["AppLifecycleManagement"] = lifecycle
        user["JupyterLabAppSettings"] = jupyterlab
        names.extend(idle_names)
    if user:
        request["DefaultUserSettings"] = user
    return request, names


def merged_settings(current, wanted):
    merged = dict(current)
    for key, value in wanted.items():
        if value is not None and differs(key, current.get(key), value):
            merged[key] = value
    if merged["idle_shutdown"] is False:
        merged["idle_timeout_minutes"] = None
    return merged


# --- the domain --------------------------------------------------------------------------------------

class Domain(Resource):
    kind = "domain"
    report_actions = True

    transitional = STUDIO_TRANSITIONAL

    def __init__(self, module, api):
        super().__init__(module, api)
        self.adopted = False

    def describe(self, domain_id):
        return domain_describe(self.api, domain_id)

    def wait_status(self, domain_id, gone=False, needed=False):
        def done(described):
            if described is None:
                if gone:
                    return True
                self.module.fail_json(msg=f"Domain {self.name} disappeared while waiting for it",
                                      actions=self.actions, changed=bool(self.actions))
            status = described["Status"]
            if status in STUDIO_FAILED:
                self.module.fail_json(msg=f"Domain {self.name} is {status}: "
                                      f"{described.get('FailureReason') or 'no reason given'}",
                                      actions=self.actions, changed=bool(self.actions),
                                      domain=to_result(described))
            return not gone and status == "InService"

        return self.wait(lambda: self.describe(domain_id), done,
                         lambda d: f"domain {self.name} to be {'deleted' if gone else 'InService'}"
                         + (f" (it is {d['Status']})" if d else ""), needed=needed)

    def find(self):
        """(summary of the domain to manage or None); sets self.adopted."""
        domains = find_domains(self.api)
        named = [d for d in domains if d["DomainName"] == self.name]
        if len(named) > 1:
            ids = ", ".join(d["DomainId"] for d in named)
            self.module.fail_json(msg=f"Several domains are called {self.name} ({ids}); rename all but one")
        if named:
            return named[0]
        others = [d for d in domains if d["Status"] not in ("Deleting",)]
        if self.params["state"] == "present" and self.params["adopt_existing"] and others:
            if len(others) > 1:
                names = ", ".join(f"{d['DomainName']} ({d['DomainId']})" for d in others)
                self.module.fail_json(msg=f"No domain is called {self.name} and {len(others)} others exist "
                                      f"({names}); name one of them, or set adopt_existing: false")
            other = others[0]
            if self.api.tags(other["DomainArn"]).get(MANAGED_BY[0]) != MANAGED_BY[1]:
                self.module.fail_json(
                    msg=(f"No domain is called {self.name}, and the region's domain {other['DomainName']} "
                         f"({other['DomainId']}) was not made by sagelab (no {MANAGED_BY[0]}={MANAGED_BY[1]} "
                         f"tag): adopt_existing never changes it. To manage it anyway, name it "
                         f"(name: {other['DomainName']}); to create {self.name}, set adopt_existing: false."),
                    adopted=False, actions=[], changed=False)
            self.adopted = True
            self.module.warn(f"No domain is called {self.name}: adopted the region's existing domain "
                             f"{other['DomainName']} ({other['DomainId']}), made by sagelab, instead of "
                             "creating a second one (adopt_existing: false creates one)")
            return other
        return None

    def ensure(self):
        summary = self.find()
        found = self.describe(summary["DomainId"]) if summary else None
        described = self.settle(found)
        absent = self.params["state"] == "absent"
        if found is not None and found["Status"] == "Deleting":
            if absent:
                return self.finish(settings_of(found), None, [], None)
            # a domain of that name is going away: a new one is made once it is gone
            self.refuse_unsettled("CreateDomain", found)
            return self.create()
        if described is not None and described["Status"] in STUDIO_FAILED and not absent:
            # nothing can be reconciled on a failed domain: say why it failed (delete it to start again)
            self.module.fail_json(msg=f"Domain {self.name} is {described['Status']}: "
                                  f"{described.get('FailureReason') or 'no reason given'}",
                                  actions=[], changed=False, domain=to_result(described))
        if absent:
            if described is None:
                return self.finish(None, None, [], None)
            return self.delete(described)
        if described is None:
            return self.create()
        return self.reconcile(described)

    def wait_out(self, described, gone=False):
        return self.wait_status(described["DomainId"], gone=gone, needed=True)

    def refusal_fields(self, described):
        return {"adopted": self.adopted, "domain": to_result(described)}

    # creation

    def network(self):
        """(vpc_id, subnet_ids) for a new domain: given ones, else the default VPC and its subnets."""
        vpc, subnets = self.params["vpc_id"], self.params["subnet_ids"]
        if subnets and not vpc:
            found = self.api.call("describe_subnets", service="ec2", SubnetIds=subnets[:1])["Subnets"]
            vpc = found[0]["VpcId"] if found else None
        if not vpc:
            vpcs = self.api.call("describe_vpcs", service="ec2",
                                 Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
            if not vpcs:
                self.module.fail_json(msg="vpc_id: not given and the region has no default VPC; give vpc_id "
                                      "and subnet_ids")
            vpc = vpcs[0]["VpcId"]
        if not subnets:
            found = self.api.paginate("describe_subnets", "Subnets", service="ec2",
                                      Filters=[{"Name": "vpc-id", "Values": [vpc]}])
            subnets = sorted(s["SubnetId"] for s in found)[:16]
            if not subnets:
                self.module.fail_json(msg=f"subnet_ids: not given and VPC {vpc} has no subnets")
        return vpc, sorted(subnets)

    def create(self):
        params = self.params
        if not params["execution_role"]:
            self.module.fail_json(msg=f"execution_role: is required to create domain {self.name} (the "
                                  "default execution role of its users)")
        wanted = wanted_settings(params)
        wanted["vpc_id"], wanted["subnet_ids"] = self.network()
        wanted["execution_role"] = resolve_role(self.api, wanted["execution_role"])
        wanted["auth_mode"] = wanted["auth_mode"] or "IAM"
        wanted["security_group_ids"] = wanted["security_group_ids"] or []
        user = {"ExecutionRole": wanted["execution_role"],
                "JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle_request(wanted)}}}
        if wanted["security_group_ids"]:
            user["SecurityGroups"] = wanted["security_group_ids"]
        request = {"DomainName": self.name, "AuthMode": wanted["auth_mode"], "DefaultUserSettings": user,
                   "VpcId": wanted["vpc_id"], "SubnetIds": wanted["subnet_ids"]}
        if wanted["app_network_access_type"]:
            request["AppNetworkAccessType"] = wanted["app_network_access_type"]
        if wanted["kms_key_id"]:
            request["KmsKeyId"] = wanted["kms_key_id"]
        groups = {}
        for option, fields in GROUPS:
            values = studio.given(params[option] or {}, fields)
            if values:
                member = studio.to_request(values, lambda role: resolve_role(self.api, role))
                request[MEMBERS[option][0]] = member
                groups[option] = studio.view(member, values)
        tags = {str(k): str(v) for k, v in (params["tags"] or {}).items()}
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        created = self.act("create_domain", "CreateDomain", **request)
        domain_id = created.get("DomainArn", "").rpartition("/")[2] or None
        if domain_id:
            self.wait_status(domain_id)
        after = dict(wanted, tags=tags, **groups,
                     app_network_access_type=wanted["app_network_access_type"] or "PublicInternetOnly")
        return self.finish(None, after, ["state"], domain_id)

    # update

    def reconcile(self, described):
        params = self.params
        domain_id = described["DomainId"]
        current = settings_of(described)
        wanted = wanted_settings(params, current)
        current_tags = self.api.tags(described["DomainArn"])
        to_set, to_unset = tag_changes(current_tags, params["tags"], params["purge_tags"])
        if self.adopted and (to_set or to_unset):
            # A domain sagelab did not create keeps its tags: ManagedBy=sagelab would hand it to teardown.
            self.module.warn(f"Left the tags of the adopted domain {described['DomainName']} as they are.")
            to_set, to_unset = {}, []
        immutable = immutable_differences(current, wanted)
        if immutable:
            fields = ", ".join(key for key, _unused, _unused in immutable)
            details = "; ".join(f"{key}: {old!r} -> {new!r}" for key, old, new in immutable)
            self.module.fail_json(
                msg=(f"Cannot change {fields} of domain {described['DomainName']} in place: UpdateDomain "
                     f"does not accept {'it' if len(immutable) == 1 else 'them'} ({details}). Delete the "
                     "domain (state: absent) and create it again, or leave these options as they are."),
                immutable_settings=[key for key, _unused, _unused in immutable],
                domain=to_result(described, current_tags),
                adopted=self.adopted)
        if differs("execution_role", current["execution_role"], wanted["execution_role"]):
            wanted["execution_role"] = resolve_role(self.api, wanted["execution_role"])
        request, names = update_request(described, current, wanted)
        groups_before, groups_after = {}, {}
        for option, fields in GROUPS:
            values = studio.given(params[option] or {}, fields)
            if not values:
                continue
            stored = described.get(MEMBERS[option][0]) or {}
            differing = studio.changed(stored, values)
            if differing:
                request[MEMBERS[option][1]] = studio.update(stored, values, differing,
                                                            lambda role: resolve_role(self.api, role))
                names.extend(studio.names(option, differing))
            groups_before[option] = studio.view(stored, values)
            groups_after[option] = studio.view(stored, values, after=differing)
        if request or to_set or to_unset:
            self.refuse_unsettled("UpdateDomain" if request else "tag changes", described)
        if request:
            self.act("update_domain", "UpdateDomain", DomainId=domain_id, **request)
            self.wait_status(domain_id)
        if to_set or to_unset:
            if to_unset:
                self.actions.append("DeleteTags")
            if to_set:
                self.actions.append("AddTags")
            if not self.module.check_mode:
                self.api.set_tags(described["DomainArn"], to_set, to_unset)
            names.append("tags")
        before = dict(current, tags=current_tags, **groups_before)
        after = dict(merged_settings(current, wanted), tags=tags_after(current_tags, to_set, to_unset),
                     **groups_after)
        return self.finish(before, after, names, domain_id, described=described)

    # deletion

    def delete(self, described):
        self.refuse_unsettled("DeleteDomain", described)
        domain_id = described["DomainId"]
        before = dict(settings_of(described), tags=self.api.tags(described["DomainArn"]))
        deleted = {"apps": [], "spaces": [], "user_profiles": []}
        apps = [a for a in self.api.paginate("list_apps", "Apps", DomainIdEquals=domain_id)
                if a.get("Status") not in ("Deleted", "Deleting")]
        for app in apps:
            owner = {"UserProfileName": app["UserProfileName"]} if app.get("UserProfileName") else \
                {"SpaceName": app["SpaceName"]} if app.get("SpaceName") else {}
            self.act("delete_app", "DeleteApp", DomainId=domain_id, AppType=app["AppType"],
                     AppName=app["AppName"], **owner)
            deleted["apps"].append(f"{app['AppType']}/{app['AppName']}")
        if apps:
            self.wait_gone("apps", lambda: [a for a in self.api.paginate("list_apps", "Apps",
                                                                         DomainIdEquals=domain_id)
                                            if a.get("Status") not in ("Deleted", "Failed")])
        spaces = self.api.paginate("list_spaces", "Spaces", DomainIdEquals=domain_id)
        for space in spaces:
            if space.get("Status") != "Deleting":
                self.act("delete_space", "DeleteSpace", DomainId=domain_id, SpaceName=space["SpaceName"])
            deleted["spaces"].append(space["SpaceName"])
        if spaces:
            self.wait_gone("spaces", lambda: self.api.paginate("list_spaces", "Spaces",
                                                               DomainIdEquals=domain_id))
        profiles = self.api.paginate("list_user_profiles", "UserProfiles", DomainIdEquals=domain_id)
        for profile in profiles:
            if profile.get("Status") != "Deleting":
                self.act("delete_user_profile", "DeleteUserProfile", DomainId=domain_id,
                         UserProfileName=profile["UserProfileName"])
            deleted["user_profiles"].append(profile["UserProfileName"])
        if profiles:
            self.wait_gone("user profiles", lambda: self.api.paginate("list_user_profiles", "UserProfiles",
                                                                      DomainIdEquals=domain_id))
        retention = "Retain" if self.params["retain_home_efs"] else "Delete"
        self.act("delete_domain", "DeleteDomain", DomainId=domain_id,
                 RetentionPolicy={"HomeEfsFileSystem": retention})
        self.wait_status(domain_id, gone=True)
        result = self.finish(before, None, ["state"], None)
        result["deleted"] = deleted
        return result

    def wait_gone(self, what, fetch):
        self.wait(fetch, lambda items: not items,
                  lambda items: f"{len(items)} {what} of domain {self.name} to be deleted", needed=True)

    def finish(self, before, after, names, domain_id, described=None):
        result = self.result(before, after, changed_settings=names, adopted=self.adopted)
        if domain_id and not self.module.check_mode and self.actions:
            described = self.describe(domain_id)
        if described is not None and self.params["state"] == "present":
            result["domain"] = to_result(described, self.api.tags(described["DomainArn"]))
        else:
            result["domain"] = {}
        return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["domain_name"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            auth_mode=dict(type="str", choices=["IAM", "SSO"]),
            vpc_id=dict(type="str"),
            subnet_ids=dict(type="list", elements="str"),
            execution_role=dict(type="str", aliases=["role", "role_arn"]),
            security_group_ids=dict(type="list", elements="str"),
            app_network_access_type=dict(type="str", choices=["PublicInternetOnly", "VpcOnly"]),
            idle_shutdown=dict(type="bool"),
            idle_timeout_minutes=dict(type="int"),
            kms_key_id=dict(type="str", no_log=False),
            domain_settings=studio.domain_settings_spec(),
            default_space_settings=studio.app_settings_spec(),
            retain_home_efs=dict(type="bool", default=True),
            adopt_existing=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**Domain(module, SageMakerApi(module)).ensure())


if __name__ == "__main__":
    main()
