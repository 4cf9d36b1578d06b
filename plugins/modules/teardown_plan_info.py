#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: teardown_plan_info
short_description: Find what sagelab made in a region and return the order in which to remove it
version_added: "0.1.0"
description:
  - Finds what carries O(tags) (for sagelab, C(ManagedBy=sagelab)) with a name starting with O(name_prefix)
    - notebook instances and their schedules, lifecycle configurations and code repositories, endpoints,
    endpoint configurations and models, Studio domains with their apps, spaces and user profiles, IAM roles
    and their customer managed policies, buckets, IAM users, the data scientists' group and its policy -
    and returns what a teardown removes (RV(removes)), what it keeps (RV(kept), RV(stays)) and the order of
    the kinds (RV(order)), each after what it depends on. Makes only List, Describe, Get and tag-reading
    calls.
  - Lifecycle configurations go when a notebook instance that goes uses them, when they are its idle
    auto-stop configuration (C(<instance>-auto-stop)), when listed in O(lifecycle_configs), or when they are
    in scope themselves - also when no instance uses them (a configuration left by a run refused after it
    was made). Code repositories go when they carry O(tags) and an instance that goes uses them, or when
    they are in scope. Either stays while a notebook instance that stays uses it (RV(stays)).
  - Schedules (EventBridge Scheduler schedules cannot be tagged) go when they carry the names the
    cost_controls role gives an instance that goes (C(<instance>-stop-weeknight), C(-stop-weekend),
    C(-start-morning)) in O(schedule_group) and their target is that instance.
  - IAM groups cannot be tagged - O(iam_group) goes when all its members are users that go and its name is in
    the prefix. Buckets and the Studio domains' home EFS volumes go only with O(delete_data).
  - The names sagelab gives what it makes are declared once, in the collection's module_utils C(_teardown),
    read by the roles through the filters C(sagelab.sagemaker.auto_stop_config_name) and
    C(sagelab.sagemaker.schedule_name), and by this module.
options:
  tags:
    description: The tags a resource must carry, all of them, to be in scope. At least one.
    type: dict
    required: true
  name_prefix:
    description: Only resources whose names start with this (empty - any name).
    type: str
    default: ""
  lifecycle_configs:
    description:
      - Lifecycle configurations to remove besides those found (those that do not exist are left out).
    type: list
    elements: str
    default: []
  schedule_group:
    description: The EventBridge Scheduler schedule group of the notebook instances' schedules.
    type: str
    default: default
  iam_group:
    description: The data scientists' IAM group (the iam_users role's C(iam_users_group)).
    type: str
    default: sagemaker-users
  iam_policy_name:
    description: Their customer managed policy (the iam_users role's C(iam_users_policy_name)).
    type: str
    default: sagelab-sagemaker-users
  delete_data:
    description: Whether the buckets and the Studio domains' home EFS volumes go too (their data is lost).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
  - sagelab.sagemaker.aws.info
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance
  - module: sagelab.sagemaker.sagemaker_lifecycle_config
  - module: sagelab.sagemaker.sagemaker_code_repository
  - module: sagelab.sagemaker.sagemaker_domain
  - module: sagelab.sagemaker.sagemaker_inference_teardown
  - module: sagelab.sagemaker.scheduler_schedule
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Find what sagelab made for alice
  sagelab.sagemaker.teardown_plan_info:
    tags:
      ManagedBy: sagelab
    name_prefix: sagelab-alice
  register: plan

- name: Ensure those lifecycle configurations are deleted
  sagelab.sagemaker.sagemaker_lifecycle_config:
    name: "{{ item }}"
    state: absent
  loop: "{{ plan.removes.lifecycle_configs }}"
"""

RETURN = r"""
order:
  description: The kinds of resource in the order they must be removed (each after what it depends on).
  returned: always
  type: list
  elements: str
  sample: [schedules, notebook_instances, lifecycle_configs, code_repositories, endpoints, endpoint_configs,
           models, studio_apps, studio_spaces, studio_user_profiles, studio_domains, iam_roles,
           iam_role_policies, buckets, iam_users, iam_group, iam_managed_policy]
removes:
  description: What the teardown removes, by kind (every kind of RV(order), empty when none goes).
  returned: always
  type: dict
  contains:
    schedules:
      description: Schedules of the notebook instances that go (in O(schedule_group)).
      type: list
      elements: str
      returned: always
      sample: [sagelab-alice-stop-weeknight]
    notebook_instances:
      description: Notebook instances in scope.
      type: list
      elements: str
      returned: always
      sample: [sagelab-alice]
    lifecycle_configs:
      description: Lifecycle configurations that exist and go.
      type: list
      elements: str
      returned: always
      sample: [sagelab-alice-auto-stop]
    code_repositories:
      description: Code repositories that exist, carry the tags and go.
      type: list
      elements: str
      returned: always
      sample: [sagelab-alice-notebooks]
    endpoints:
      description: Endpoints in scope.
      type: list
      elements: str
      returned: always
      sample: [sagemaker-xgboost-2026-01-05-09-30-00-123]
    endpoint_configs:
      description: Endpoint configurations in scope.
      type: list
      elements: str
      returned: always
      sample: []
    models:
      description: Models in scope.
      type: list
      elements: str
      returned: always
      sample: []
    studio_apps:
      description: Apps (C(<type>/<name>)) of the Studio domains that go.
      type: list
      elements: str
      returned: always
      sample: [JupyterLab/default]
    studio_spaces:
      description: Spaces of the Studio domains that go.
      type: list
      elements: str
      returned: always
      sample: [shared]
    studio_user_profiles:
      description: User profiles of the Studio domains that go.
      type: list
      elements: str
      returned: always
      sample: [alice]
    studio_domains:
      description: Studio domains in scope (by name).
      type: list
      elements: str
      returned: always
      sample: [sagelab-studio]
    iam_roles:
      description: IAM roles in scope (service-linked roles never).
      type: list
      elements: str
      returned: always
      sample: [sagelab-execution, sagelab-scheduler]
    iam_role_policies:
      description: Customer managed policies of those roles that carry the tags.
      type: list
      elements: str
      returned: always
      sample: [sagelab-execution-policy]
    buckets:
      description: Buckets in scope, with O(delete_data) only.
      type: list
      elements: str
      returned: always
      sample: []
    iam_users:
      description: IAM users in scope.
      type: list
      elements: str
      returned: always
      sample: [alice]
    iam_group:
      description: O(iam_group) when it goes (a list of one), else empty.
      type: list
      elements: str
      returned: always
      sample: [sagemaker-users]
    iam_managed_policy:
      description: O(iam_policy_name) when it goes (a list of one), else empty.
      type: list
      elements: str
      returned: always
      sample: [sagelab-sagemaker-users]
kept:
  description: The data that stays because O(delete_data) is false.
  returned: always
  type: dict
  contains:
    buckets:
      description: Buckets in scope that stay with their data.
      type: list
      elements: str
      returned: always
      sample: [sagelab-123456789012-eu-west-1]
    studio_home_efs:
      description: Home EFS volumes (file system IDs) of the Studio domains that go.
      type: list
      elements: str
      returned: always
      sample: [fs-0123456789abcdef0]
stays:
  description:
    - Lifecycle configurations and code repositories that would go but a notebook instance which stays uses -
      name and reason.
  returned: always
  type: dict
  contains:
    lifecycle_configs:
      description: Lifecycle configurations that stay, each with the reason.
      type: dict
      returned: always
      sample: {sagelab-shared-auto-stop: "used by notebook instance bob-nb, which stays"}
    code_repositories:
      description: Code repositories that stay, each with the reason.
      type: dict
      returned: always
      sample: {}
"""

import json  # noqa: E402

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports a missing boto3/botocore itself
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (  # noqa: E402
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    SageMakerApi,
    aws_error,
    domain_describe,
    find_domains,
)
from ansible_collections.sagelab.sagemaker.plugins.module_utils._teardown import (  # noqa: E402
    auto_stop_config_name,
    iam_plan,
    notebook_plan,
    plan,
    schedule_names,
    schedules_plan,
    studio_plan,
    tagged_inference,
)


def find_notebooks(api, prefix):
    """Every notebook instance of the region, with what it uses; tags read for those in the prefix (the
    others stay whatever their tags). ListNotebookInstances' summaries carry the lifecycle configuration
    and the repositories (API reference: NotebookInstanceSummary): no describe per instance."""
    found = []
    for summary in api.paginate("list_notebook_instances", "NotebookInstances"):
        name = summary["NotebookInstanceName"]
        repositories = [summary.get("DefaultCodeRepository"),
                        *(summary.get("AdditionalCodeRepositories") or [])]
        found.append({"name": name,
                      "lifecycle_config": summary.get("NotebookInstanceLifecycleConfigName") or "",
                      "code_repositories": [r for r in repositories if r],
                      "tags": api.tags(summary["NotebookInstanceArn"]) if name.startswith(prefix) else {}})
    return found


def find_named(api, operation, key, name_key, arn_key, wanted_names, prefix):
    """name -> tags of every resource a List call returns (tags read for those in the prefix or named)."""
    found = {}
    for summary in api.paginate(operation, key):
        name = summary[name_key]
        found[name] = api.tags(summary[arn_key]) if name.startswith(prefix) or name in wanted_names else {}
    return found


def schedule_targets(api, notebooks, group):
    """schedule name -> the NotebookInstanceName its target input names, for the schedules cost_controls
    names for these instances that exist (schedules carry no tags: GetSchedule one by one)."""
    targets = {}
    for notebook in notebooks:
        for name in schedule_names(notebook):
            described = api.describe("get_schedule", service="scheduler", Name=name, GroupName=group)
            if described is None:
                continue
            try:
                target_input = json.loads((described.get("Target") or {}).get("Input") or "{}")
            except ValueError:
                target_input = {}
            if not isinstance(target_input, dict):
                target_input = {}
            targets[name] = target_input.get("NotebookInstanceName")
    return targets


def find_studio(api, wanted, prefix):
    """Each domain in the prefix with its tags, home EFS and - for those carrying the tags - the apps
    (not deleted), spaces and user profiles that deleting it deletes first."""
    domains = []
    for summary in find_domains(api):
        if not summary["DomainName"].startswith(prefix):
            continue
        described = domain_describe(api, summary["DomainId"])
        if described is None:  # deleted between the list and the describe
            continue
        tags = api.tags(described["DomainArn"])
        domain = {"name": summary["DomainName"], "tags": tags,
                  "home_efs": described.get("HomeEfsFileSystemId")}
        if all(tags.get(k) == v for k, v in wanted.items()):
            listed = {"DomainIdEquals": summary["DomainId"]}
            domain["apps"] = [f"{a['AppType']}/{a['AppName']}"
                              for a in api.paginate("list_apps", "Apps", **listed)
                              if a.get("Status") not in ("Deleted", "Deleting")]
            domain["spaces"] = [s["SpaceName"] for s in api.paginate("list_spaces", "Spaces", **listed)]
            domain["user_profiles"] = [p["UserProfileName"]
                                       for p in api.paginate("list_user_profiles", "UserProfiles", **listed)]
        domains.append(domain)
    return domains


def iam_pages(api, operation, key, **params):
    """Every item of an IAM List* call (Marker, IsTruncated), each page retried."""
    items, marker = [], None
    while True:
        page = api.call(operation, service="iam", **params, **({"Marker": marker} if marker else {}))
        items.extend(page.get(key) or [])
        if not page.get("IsTruncated"):
            return items
        marker = page["Marker"]


def bucket_tags(api, name):
    try:
        tagging = api.client("s3").get_bucket_tagging(aws_retry=True, Bucket=name)
    except (BotoCoreError, ClientError) as exc:
        if aws_error(exc)[0] in ("NoSuchTagSet", "NoSuchBucket"):
            return {}
        api.fail(exc, "get_bucket_tagging")
    return boto3_tag_list_to_ansible_dict(tagging.get("TagSet") or [])


def find_iam(api, params):
    """The IAM roles, users and customer managed policies in the prefix (or attached to those roles) with
    their tags, the members of the data scientists' group and the buckets in the prefix with their tags."""
    prefix = params["name_prefix"]

    def tags(operation, **named):
        return boto3_tag_list_to_ansible_dict(iam_pages(api, operation, "Tags", **named))

    roles = {}
    for role in iam_pages(api, "list_roles", "Roles"):
        name, path = role["RoleName"], role.get("Path") or "/"
        if name.startswith(prefix) and not path.startswith("/aws-service-role/"):
            attached = iam_pages(api, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
            roles[name] = {"path": path, "tags": tags("list_role_tags", RoleName=name),
                           "policies": [p["PolicyName"] for p in attached
                                        if ":aws:policy/" not in p["PolicyArn"]]}
    users = {u["UserName"]: tags("list_user_tags", UserName=u["UserName"])
             for u in iam_pages(api, "list_users", "Users") if u["UserName"].startswith(prefix)}
    members = []  # GetGroup of a group that does not exist fails: listed first
    if any(g["GroupName"] == params["iam_group"] for g in iam_pages(api, "list_groups", "Groups")):
        members = [u["UserName"] for u in iam_pages(api, "get_group", "Users", GroupName=params["iam_group"])]
    wanted_policies = {p for role in roles.values() for p in role["policies"]}
    if params["iam_policy_name"].startswith(prefix):
        wanted_policies.add(params["iam_policy_name"])
    policies = {p["PolicyName"]: tags("list_policy_tags", PolicyArn=p["Arn"])
                for p in iam_pages(api, "list_policies", "Policies", Scope="Local")
                if p["PolicyName"] in wanted_policies}
    buckets = {b["Name"]: bucket_tags(api, b["Name"])
               for b in api.call("list_buckets", service="s3").get("Buckets") or []
               if b["Name"].startswith(prefix)}
    return {"roles": roles, "users": users, "group_members": members, "policies": policies,
            "buckets": buckets}


def teardown_plan(module, api):
    params = module.params
    wanted = {str(k): str(v) for k, v in params["tags"].items()}
    prefix = params["name_prefix"]
    notebooks = find_notebooks(api, prefix)
    mine = [n for n in notebooks if n["name"].startswith(prefix)]
    configs = find_named(api, "list_notebook_instance_lifecycle_configs", "NotebookInstanceLifecycleConfigs",
                         "NotebookInstanceLifecycleConfigName", "NotebookInstanceLifecycleConfigArn",
                         set(params["lifecycle_configs"]) | {auto_stop_config_name(n["name"]) for n in mine}
                         | {n["lifecycle_config"] for n in mine}, prefix)
    repositories = find_named(api, "list_code_repositories", "CodeRepositorySummaryList",
                              "CodeRepositoryName", "CodeRepositoryArn",
                              {r for n in mine for r in n["code_repositories"]}, prefix)
    found = {"notebook_instances": notebooks, "lifecycle_configs": configs, "code_repositories": repositories}
    notebook_part = notebook_plan(found, wanted, prefix, params["lifecycle_configs"])
    removed = notebook_part["removes"]["notebook_instances"]
    schedules = schedules_plan(removed, schedule_targets(api, removed, params["schedule_group"]))
    parts = [notebook_part, {"removes": {"schedules": schedules}},
             {"removes": tagged_inference(api, wanted, prefix)},
             studio_plan(find_studio(api, wanted, prefix), wanted, prefix, params["delete_data"]),
             iam_plan(find_iam(api, params), wanted, prefix, params["iam_group"], params["iam_policy_name"],
                      params["delete_data"])]
    return {"changed": False, **plan(parts)}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            tags=dict(type="dict", required=True),
            name_prefix=dict(type="str", default=""),
            lifecycle_configs=dict(type="list", elements="str", default=[]),
            schedule_group=dict(type="str", default="default"),
            iam_group=dict(type="str", default="sagemaker-users"),
            iam_policy_name=dict(type="str", default="sagelab-sagemaker-users"),
            delete_data=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    error = rules.tag_selector(params["tags"])
    for name in params["lifecycle_configs"]:
        error = error or rules.sagemaker_name("lifecycle_configs", name)
    for option in ("schedule_group", "iam_group", "iam_policy_name"):
        if not error and not params[option]:
            error = f"{option}: '' is not allowed; allowed: a non-empty name"
    if error:
        module.fail_json(msg=error)
    module.exit_json(**teardown_plan(module, SageMakerApi(module)))


if __name__ == "__main__":
    main()
