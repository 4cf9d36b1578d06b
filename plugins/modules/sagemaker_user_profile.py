#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_user_profile
short_description: Create, update or delete a user profile in an Amazon SageMaker Studio domain
version_added: "0.1.0"
description:
  - Manages one Studio user profile (one per data scientist) in a domain given by O(domain_id) or
    O(domain_name) - its execution role, security groups, app settings (O(user_settings)) and tags - and
    can return a presigned URL that opens Studio as that user.
  - B(Which profile is managed.) Only the profile called O(name) in that domain; when there is none, one is
    created. Naming it is the consent to change it - nothing else is ever adopted.
  - B(An option left out means "leave it as it is".) That holds inside O(user_settings) too - only the
    keys given are compared, a key left out is never drift. A profile without its own execution role uses
    the domain's default one.
  - B(On an existing profile) O(execution_role), O(security_group_ids), every key of O(user_settings) and
    the tags are changed in place (UpdateUserProfile, AddTags, DeleteTags). UpdateUserProfile sends only the
    UserSettings members that differ, each whole - the stored member with the options' values on top, so
    settings the module does not manage (code repositories, custom images) are kept. O(sso_user_name) is
    fixed at creation; a different one makes the module fail with a message naming it, without any write
    call.
  - B(A profile that is Pending, Updating or Deleting) is waited for (up to O(wait_timeout)) before it is
    changed. With O(wait=false) the module never waits - with nothing to change it returns at once with the
    status; a change is refused with a message naming the status, without any write call. Check mode never
    waits - it returns at once with the status and what a real run would do (RV(actions)), and a warning.
  - B(A profile that is Failed, Update_Failed or Delete_Failed) cannot be reconciled -
    O(state=present) fails with AWS's FailureReason, without any write call; O(state=absent) deletes it.
  - Check mode and diff mode show exactly what would change (RV(actions)), without any write call.
options:
  name:
    description:
      - Name of the user profile, 1 to 63 ASCII letters, digits and hyphens, starting and ending with a
        letter or digit.
    type: str
    required: true
    aliases: [user_profile_name]
  domain_id:
    description: ID of the domain (V(d-...)). One of O(domain_id) and O(domain_name) is required.
    type: str
  domain_name:
    description: Name of the domain, looked up with ListDomains.
    type: str
  state:
    description:
      - V(present) - the profile exists with the given settings; V(absent) - it is deleted.
      - Deleting a profile that still has running Studio apps or private spaces fails on AWS; delete the
        whole domain with M(sagelab.sagemaker.sagemaker_domain) to remove everything.
    type: str
    choices: [present, absent]
    default: present
  execution_role:
    description:
      - The profile's own execution role - a role ARN, or a role name turned into an ARN with the caller's
        account (STS GetCallerIdentity). Omitted when created - the domain's default role is used.
      - The same as O(user_settings.execution_role); give one of them.
    type: str
    aliases: [role, role_arn]
  security_group_ids:
    description:
      - Security groups of the profile's apps (UserSettings SecurityGroups, up to 5), compared as a set.
        Omitted - left as they are.
      - The same as O(user_settings.security_group_ids); give one of them.
    type: list
    elements: str
  user_settings:
    description:
      - The profile's settings (UserSettings). Only the keys given are compared and changed; see the
        description for how an update is sent.
    type: dict
  sso_user_name:
    description:
      - The IAM Identity Center user name of the profile (SingleSignOnUserValue); required by AWS for a
        domain with auth mode SSO, refused for an IAM domain. Cannot be changed in place.
    type: str
  presigned_url:
    description:
      - Return a presigned URL that opens Studio as this user (RV(url), CreatePresignedDomainUrl). Only
        domains with auth mode IAM hand them out. Not requested in check mode.
    type: bool
    default: false
  presigned_url_session_seconds:
    description: How long the Studio session the URL opens lasts, 1800 to 43200 seconds.
    type: int
  presigned_url_expires_seconds:
    description: How long the URL itself can be used, 5 to 300 seconds (AWS's default is 300).
    type: int
  wait:
    description: Wait until the profile is InService after a creation or update, or gone after a deletion.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds one run may spend waiting in total.
    type: int
    default: 900
extends_documentation_fragment:
  - sagelab.sagemaker.studio_settings.user_settings
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
    description: Shows the profile's settings and tags before and after.
notes:
  - The presigned URL is a credential - anyone holding it opens Studio as the user while it is valid.
seealso:
  - module: sagelab.sagemaker.sagemaker_user_profile_info
  - module: sagelab.sagemaker.sagemaker_domain
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure alice has a Studio user profile
  sagelab.sagemaker.sagemaker_user_profile:
    name: alice
    domain_name: sagelab-studio
    tags:
      Owner: alice
      Project: sagelab
      CostCenter: cc-4711
      ManagedBy: sagelab

- name: Open Studio as alice
  sagelab.sagemaker.sagemaker_user_profile:
    name: alice
    domain_name: sagelab-studio
    presigned_url: true
  register: alice
  no_log: true

- name: Give bob his own execution role
  sagelab.sagemaker.sagemaker_user_profile:
    name: bob
    domain_id: d-abcdefghijkl
    execution_role: sagelab-bob-execution

- name: Give dave a bigger JupyterLab, a lifecycle configuration and a 2-hour idle shutdown
  sagelab.sagemaker.sagemaker_user_profile:
    name: dave
    domain_name: sagelab-studio
    user_settings:
      jupyter_lab:
        default_resource_spec:
          instance_type: ml.m5.large
          lifecycle_config_arn: arn:aws:sagemaker:eu-west-1:123456789012:studio-lifecycle-config/sagelab-setup
        lifecycle_config_arns:
          - arn:aws:sagemaker:eu-west-1:123456789012:studio-lifecycle-config/sagelab-setup
        idle_shutdown: true
        idle_timeout_minutes: 120

- name: Delete carol's profile
  sagelab.sagemaker.sagemaker_user_profile:
    name: carol
    domain_name: sagelab-studio
    state: absent
"""

RETURN = r"""
user_profile:
  description:
    - The profile as DescribeUserProfile reports it after the run, with snake_case keys and tags as a dict.
    - Empty when it does not exist (O(state=absent), or a creation in check mode).
  returned: always
  type: dict
  contains:
    user_profile_name:
      description: Name.
      type: str
      returned: when the profile exists
      sample: alice
    user_profile_arn:
      description: ARN.
      type: str
      returned: when the profile exists
      sample: arn:aws:sagemaker:eu-west-1:123456789012:user-profile/d-abcdefghijkl/alice
    domain_id:
      description: Domain ID.
      type: str
      returned: when the profile exists
      sample: d-abcdefghijkl
    status:
      description: Pending, InService, Updating, Deleting, Failed, Update_Failed or Delete_Failed.
      type: str
      returned: when the profile exists
      sample: InService
    tags:
      description: Tags.
      type: dict
      returned: when the profile exists
      sample: {Owner: alice}
    user_settings:
      description: The profile's settings (execution role, security groups, app settings), snake_case.
      type: dict
      returned: when the profile exists (some only on AWS)
      sample: {execution_role: arn:aws:iam::123456789012:role/sagelab-alice}
    creation_time:
      description: When the profile was created.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: '2026-01-05T09:30:00.123000+00:00'
    last_modified_time:
      description: When the profile was last changed.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: '2026-01-05T09:30:00.123000+00:00'
    home_efs_file_system_uid:
      description: The user's POSIX ID on the domain's home EFS volume.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: 200001
    failure_reason:
      description: Why the profile is Failed, Update_Failed or Delete_Failed.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: RESOURCE_LIMIT_EXCEEDED
    single_sign_on_user_identifier:
      description: The IAM Identity Center user attribute of an SSO domain's profile.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: UserName
    single_sign_on_user_value:
      description: The IAM Identity Center user name of an SSO domain's profile.
      type: str
      returned: when the profile exists (some only on AWS)
      sample: alice@example.com
domain_id:
  description: ID of the profile's domain.
  returned: when the domain exists
  type: str
  sample: d-abcdefghijkl
actions:
  description: The AWS calls that changed (or in check mode would change) the profile, in order.
  returned: always
  type: list
  elements: str
  sample: [UpdateUserProfile, AddTags]
changed_settings:
  description:
    - Names of the settings (options) that differed, including C(tags) and C(state); keys of
      O(user_settings) by their path.
  returned: always
  type: list
  elements: str
  sample: [execution_role, user_settings.jupyter_lab.default_resource_spec.instance_type]
url:
  description: A presigned URL that opens Studio as the user (AuthorizedUrl).
  returned: when O(presigned_url=true), the profile exists and it is not check mode
  type: str
  sample: https://d-abcdefghijkl.studio.eu-west-1.sagemaker.aws/auth?token=...
changed:
  description: Whether the profile was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: Settings and tags before and after.
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
    resolve_domain,
    resolve_role,
    same_role,
    tag_changes,
    tags_after,
    to_result,
)

# execution_role and security_group_ids: options of their own, and keys of user_settings
TOP_FIELDS = tuple(field for field in studio.APP_SETTINGS
                   if field.option in (("execution_role",), ("security_group_ids",)))


def validate(params):
    error = rules.sagemaker_name("name", params["name"])
    if not error and params["domain_id"] is not None:
        error = rules.domain_id("domain_id", params["domain_id"])
    if not error and params["domain_name"] is not None:
        error = rules.sagemaker_name("domain_name", params["domain_name"])
    if not error:
        error = rules.role("execution_role", params["execution_role"])
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
    sso = params["sso_user_name"]
    if sso is not None and not 1 <= len(sso) <= 256:
        return "sso_user_name: is not allowed; allowed: 1 to 256 characters"
    seconds = params["presigned_url_session_seconds"]
    if seconds is not None and not 1800 <= seconds <= 43200:
        return f"presigned_url_session_seconds: {seconds} is not allowed; allowed: 1800 to 43200"
    user = params["user_settings"] or {}
    for field in TOP_FIELDS:
        if params[field.option[0]] is not None and user.get(field.option[0]) is not None:
            return (f"{field.option[0]}: given with user_settings.{field.option[0]}; allowed: one of them")
    error = studio.validate("user_settings", params["user_settings"], studio.APP_SETTINGS)
    if error:
        return error
    expires = params["presigned_url_expires_seconds"]
    if expires is not None and not 5 <= expires <= 300:
        return f"presigned_url_expires_seconds: {expires} is not allowed; allowed: 5 to 300"
    if params["wait_timeout"] < 0:
        return f"wait_timeout: {params['wait_timeout']} is not allowed; allowed: 0 or more seconds"
    return rules.tags(params["tags"])


def settings_of(described):
    user = described.get("UserSettings") or {}
    return {"execution_role": user.get("ExecutionRole"),
            "security_group_ids": sorted(user.get("SecurityGroups") or []),
            "sso_user_name": described.get("SingleSignOnUserValue")}


def given_settings(params):
    """(top, nested): the (field, value)s of UserSettings that execution_role / security_group_ids and
    user_settings give."""
    return studio.given(params, TOP_FIELDS), studio.given(params["user_settings"] or {}, studio.APP_SETTINGS)


def differs(key, current, wanted):
    if wanted is None:
        return False
    if key == "execution_role":
        return not same_role(current, wanted)
    return current != wanted


class UserProfile(Resource):
    kind = "user profile"
    report_actions = True

    transitional = STUDIO_TRANSITIONAL

    def __init__(self, module, api):
        super().__init__(module, api)
        self.domain_id = None

    def describe(self):
        return self.api.describe("describe_user_profile", DomainId=self.domain_id, UserProfileName=self.name)

    def act(self, operation, action=None, service="sagemaker", **params):
        """The base's act(), on this user profile (DomainId and UserProfileName in every write)."""
        return super().act(operation, action, service=service, DomainId=self.domain_id,
                           UserProfileName=self.name, **params)

    def wait_status(self, gone=False, needed=False):
        def done(described):
            if described is None:
                return gone
            if described["Status"] in STUDIO_FAILED:
                self.module.fail_json(msg=f"User profile {self.name} is {described['Status']}: "
                                      f"{described.get('FailureReason') or 'no reason given'}",
                                      actions=self.actions, changed=bool(self.actions))
            return not gone and described["Status"] == "InService"

        return self.wait(self.describe, done,
                         lambda d: f"user profile {self.name} to be {'deleted' if gone else 'InService'}"
                         + (f" (it is {d['Status']})" if d else ""), needed=needed)

    def ensure(self):
        params = self.params
        domain = resolve_domain(self.api, params["domain_id"], params["domain_name"])
        if domain is None:
            if params["state"] == "absent":
                return self.finish(None, None, [], None)
            given = params["domain_id"] or params["domain_name"]
            self.module.fail_json(msg=f"Domain {given} does not exist; create it first "
                                  "(sagelab.sagemaker.sagemaker_domain)")
        self.domain_id = domain["DomainId"]
        described = self.settle(self.describe())
        if params["state"] == "absent":
            if described is None:
                return self.finish(None, None, [], None)
            if described["Status"] == "Deleting":  # wait: false or check mode - it is going already
                return self.finish(None, None, [], None)
            self.refuse_unsettled("DeleteUserProfile", described)
            before = dict(settings_of(described), tags=self.api.tags(described["UserProfileArn"]))
            self.act("delete_user_profile", "DeleteUserProfile")
            self.wait_status(gone=True)
            return self.finish(before, None, ["state"], None)
        if described is not None and described["Status"] in STUDIO_FAILED:
            self.module.fail_json(msg=f"User profile {self.name} is {described['Status']}: "
                                  f"{described.get('FailureReason') or 'no reason given'}; nothing can be "
                                  "changed on it - delete it (state: absent) and create it again",
                                  actions=[], changed=False, domain_id=self.domain_id,
                                  user_profile=to_result(described))
        if described is None or described["Status"] == "Deleting":
            return self.create(described)
        return self.reconcile(described)

    def wait_out(self, described, gone=False):
        del described
        return self.wait_status(gone=gone, needed=True)

    def refusal_fields(self, described):
        return {"domain_id": self.domain_id, "user_profile": to_result(described)}

    def create(self, deleting=None):
        self.refuse_unsettled("CreateUserProfile", deleting)
        params = self.params
        top, nested = given_settings(params)
        user = studio.to_request(top + nested, lambda role: resolve_role(self.api, role))
        request = {}
        if user:
            request["UserSettings"] = user
        if params["sso_user_name"]:
            request.update(SingleSignOnUserIdentifier="UserName",
                           SingleSignOnUserValue=params["sso_user_name"])
        tags = {str(k): str(v) for k, v in (params["tags"] or {}).items()}
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.act("create_user_profile", "CreateUserProfile", **request)
        self.wait_status()
        after = dict(studio.view(user, top), tags=tags)
        if nested:
            after["user_settings"] = studio.view(user, nested)
        if params["sso_user_name"]:
            after["sso_user_name"] = params["sso_user_name"]
        return self.finish(None, after, ["state"], None)

    def reconcile(self, described):
        params = self.params
        current = settings_of(described)
        stored = described.get("UserSettings") or {}
        current_tags = self.api.tags(described["UserProfileArn"])
        to_set, to_unset = tag_changes(current_tags, params["tags"], params["purge_tags"])
        if differs("sso_user_name", current["sso_user_name"], params["sso_user_name"]):
            self.module.fail_json(
                msg=(f"Cannot change sso_user_name of user profile {self.name} in place: UpdateUserProfile "
                     f"does not accept it ({current['sso_user_name']!r} -> {params['sso_user_name']!r}). "
                     "Delete the profile (state: absent) and create it again."),
                immutable_settings=["sso_user_name"], domain_id=self.domain_id,
                user_profile=to_result(described, current_tags))
        top, nested = given_settings(params)
        top_changes, nested_changes = studio.changed(stored, top), studio.changed(stored, nested)
        names = studio.names("", top_changes) + studio.names("user_settings", nested_changes)
        user = {}
        if names:
            self.refuse_unsettled("UpdateUserProfile", described)
            user = studio.update(stored, top + nested, top_changes + nested_changes,
                                 lambda role: resolve_role(self.api, role))
            self.act("update_user_profile", "UpdateUserProfile", UserSettings=user)
            self.wait_status()
        if to_set or to_unset:
            self.refuse_unsettled("tag changes", described)
            self.actions.extend((["DeleteTags"] if to_unset else []) + (["AddTags"] if to_set else []))
            if not self.module.check_mode:
                self.api.set_tags(described["UserProfileArn"], to_set, to_unset)
            names.append("tags")
        before = dict(current, tags=current_tags)
        after = dict(current, tags=tags_after(current_tags, to_set, to_unset))
        after.update(studio.view(user, top_changes))
        if nested:
            before["user_settings"] = studio.view(stored, nested)
            after["user_settings"] = studio.view(stored, nested, after=nested_changes)
        return self.finish(before, after, names, described)

    def finish(self, before, after, names, described):
        result = self.result(before, after, changed_settings=names)
        if self.domain_id:
            result["domain_id"] = self.domain_id
        present = self.params["state"] == "present"
        if present and self.domain_id and not self.module.check_mode and self.actions:
            described = self.describe()
        exists = described is not None and self.params["state"] == "present"
        result["user_profile"] = (to_result(described, self.api.tags(described["UserProfileArn"]))
                                  if exists else {})
        if self.params["presigned_url"] and exists and not self.module.check_mode:
            request = {"DomainId": self.domain_id, "UserProfileName": self.name}
            if self.params["presigned_url_session_seconds"]:
                request["SessionExpirationDurationInSeconds"] = self.params["presigned_url_session_seconds"]
            if self.params["presigned_url_expires_seconds"]:
                request["ExpiresInSeconds"] = self.params["presigned_url_expires_seconds"]
            result["url"] = self.api.call("create_presigned_domain_url", **request)["AuthorizedUrl"]
        return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["user_profile_name"]),
            domain_id=dict(type="str"),
            domain_name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            execution_role=dict(type="str", aliases=["role", "role_arn"]),
            security_group_ids=dict(type="list", elements="str"),
            user_settings=studio.app_settings_spec(),
            sso_user_name=dict(type="str"),
            presigned_url=dict(type="bool", default=False),
            presigned_url_session_seconds=dict(type="int"),
            presigned_url_expires_seconds=dict(type="int"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        required_one_of=[("domain_id", "domain_name")],
        mutually_exclusive=[("domain_id", "domain_name")],
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**UserProfile(module, SageMakerApi(module)).ensure())


if __name__ == "__main__":
    main()
