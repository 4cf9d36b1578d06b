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
  - Lists the region's SageMaker notebook instances, lifecycle configurations and code repositories, reads
    the tags of those in scope, and returns what a teardown removes (RV(removes)), what it keeps and why
    (RV(kept)) and the order of the kinds (RV(order)). Makes only List, Describe and ListTags calls.
  - In scope - names starting with O(name_prefix) that carry every one of O(tags) (for sagelab,
    C(ManagedBy=sagelab)).
  - Notebook instances go when they are in scope. Lifecycle configurations go when a notebook instance that
    goes uses them, when they are its idle auto-stop configuration (C(<instance>-auto-stop), the name the
    notebook_instance role gives it), when listed in O(lifecycle_configs), or when they are in scope
    themselves - also when no instance uses them (a configuration left by a run refused after it was made).
  - Code repositories go when they carry O(tags) and a notebook instance that goes uses them, or they are in
    scope themselves.
  - A lifecycle configuration or code repository that a notebook instance which stays uses is kept, with
    the reason in RV(kept).
  - The names sagelab gives what it makes are declared once, in the collection's module_utils C(_teardown),
    and read from there by the roles (filters C(sagelab.sagemaker.auto_stop_config_name),
    C(sagelab.sagemaker.schedule_name)) and by this module.
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
  sample: [schedules, notebook_instances, lifecycle_configs, code_repositories]
removes:
  description: What the teardown removes, by kind, names sorted.
  returned: always
  type: dict
  contains:
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
kept:
  description: What would otherwise go but stays, by kind - name and reason.
  returned: always
  type: dict
  contains:
    lifecycle_configs:
      description: Lifecycle configurations kept, each with the reason.
      type: dict
      returned: always
      sample: {sagelab-shared-auto-stop: "used by notebook instance bob-nb, which stays"}
    code_repositories:
      description: Code repositories kept, each with the reason.
      type: dict
      returned: always
      sample: {}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    SageMakerApi,
    validate_name,
    validate_tags,
)
from ansible_collections.sagelab.sagemaker.plugins.module_utils._teardown import (  # noqa: E402
    auto_stop_config_name,
    notebook_plan,
    removal_order,
)


def find_notebooks(api, prefix):
    """Every notebook instance of the region, with what it uses; tags read for those in the prefix (the
    others stay whatever their tags)."""
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


def plan(module, api):
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
    result = notebook_plan(found, wanted, prefix, params["lifecycle_configs"])
    order = [kind for kind in removal_order() if kind in result["removes"]]
    return {"changed": False, "order": order, **result}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            tags=dict(type="dict", required=True),
            name_prefix=dict(type="str", default=""),
            lifecycle_configs=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    error = ("tags: no tags given; allowed: a mapping with at least one tag, e.g. {ManagedBy: sagelab}"
             if not params["tags"] else validate_tags(params["tags"]))
    for name in params["lifecycle_configs"]:
        error = error or validate_name("lifecycle_configs", name)
    if error:
        module.fail_json(msg=error)
    module.exit_json(**plan(module, SageMakerApi(module)))


if __name__ == "__main__":
    main()
