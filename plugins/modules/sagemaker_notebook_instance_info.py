#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_notebook_instance_info
short_description: Describe Amazon SageMaker notebook instances
version_added: "0.1.0"
description:
  - Describes one notebook instance by O(name), or every notebook instance that matches the filters, with
    all DescribeNotebookInstance fields and the tags.
  - Makes only Describe and List calls.
options:
  name:
    description:
      - Name of one notebook instance. An instance that does not exist gives an empty list.
      - When omitted, every instance matching the filters is described. With O(name), only O(tags) filters.
      - Mutually exclusive with the list filters O(name_contains), O(status) and
        O(lifecycle_config_name_contains), which a lookup by name could not apply.
    type: str
    aliases: [notebook_instance_name]
  name_contains:
    description: Only instances whose name contains this string.
    type: str
  status:
    description: Only instances with this status.
    type: str
    choices: [Pending, InService, Stopping, Stopped, Failed, Deleting, Updating]
  lifecycle_config_name_contains:
    description: Only instances whose lifecycle configuration name contains this string.
    type: str
  tags:
    description: Only instances that carry all these tags (key and value).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
  - sagelab.sagemaker.aws.info
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Describe the book's notebook instance
  sagelab.sagemaker.sagemaker_notebook_instance_info:
    name: sagemaker-book
  register: book

- name: Show its status
  ansible.builtin.debug:
    msg: "{{ book.notebook_instances[0].notebook_instance_status | default('not there') }}"

- name: List the running instances sagelab manages
  sagelab.sagemaker.sagemaker_notebook_instance_info:
    status: InService
    tags:
      ManagedBy: sagelab
  register: running
"""

RETURN = r"""
notebook_instances:
  description: The matching notebook instances, as DescribeNotebookInstance reports them (snake_case keys,
    tags as a dict), sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - notebook_instance_name: sagemaker-book
      notebook_instance_arn: arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/sagemaker-book
      notebook_instance_status: InService
      instance_type: ml.t3.medium
      volume_size_in_gb: 10
      root_access: Disabled
      tags: {Owner: alice, ManagedBy: sagelab}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    SageMakerApi,
    to_result,
)

STATUSES = ["Pending", "InService", "Stopping", "Stopped", "Failed", "Deleting", "Updating"]


def describe_one(api, name):
    described = api.describe("describe_notebook_instance", NotebookInstanceName=name)
    if described is None:
        return None
    return to_result(described, api.tags(described["NotebookInstanceArn"]))


def list_notebook_instances(api, params):
    """Every matching notebook instance, described, with tags."""
    if params["name"]:
        found = describe_one(api, params["name"])
        candidates = [found] if found else []
    else:
        filters = {"SortBy": "Name", "SortOrder": "Ascending"}
        if params["name_contains"]:
            filters["NameContains"] = params["name_contains"]
        if params["status"]:
            filters["StatusEquals"] = params["status"]
        if params["lifecycle_config_name_contains"]:
            filters["NotebookInstanceLifecycleConfigNameContains"] = params["lifecycle_config_name_contains"]
        summaries = api.paginate("list_notebook_instances", "NotebookInstances", **filters)
        # an instance deleted between the list and the describe is skipped
        candidates = [d for d in (describe_one(api, s["NotebookInstanceName"]) for s in summaries) if d]
    wanted_tags = {str(k): str(v) for k, v in (params["tags"] or {}).items()}
    return [c for c in candidates if all(c["tags"].get(k) == v for k, v in wanted_tags.items())]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["notebook_instance_name"]),
            name_contains=dict(type="str"),
            status=dict(type="str", choices=STATUSES),
            lifecycle_config_name_contains=dict(type="str"),
            tags=dict(type="dict"),
        ),
        mutually_exclusive=[("name", "name_contains"), ("name", "status"),
                            ("name", "lifecycle_config_name_contains")],
        supports_check_mode=True,
    )
    if module.params["name"] is not None:
        error = rules.sagemaker_name("name", module.params["name"])
        if error:
            module.fail_json(msg=error)
    instances = list_notebook_instances(SageMakerApi(module), module.params)
    module.exit_json(changed=False, notebook_instances=instances)


if __name__ == "__main__":
    main()
