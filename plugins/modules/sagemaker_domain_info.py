#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_domain_info
short_description: Describe Amazon SageMaker Studio domains
version_added: "0.1.0"
description:
  - Describes the Studio domains of the region (one by O(name) or O(domain_id), or all of them), with every
    DescribeDomain field and the tags.
  - Makes only Describe and List calls.
options:
  name:
    description: Name of one domain. A domain that does not exist gives an empty list.
    type: str
    aliases: [domain_name]
  domain_id:
    description: ID of one domain (V(d-...)).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
  - sagelab.sagemaker.aws.info
seealso:
  - module: sagelab.sagemaker.sagemaker_domain
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Describe the Studio domain
  sagelab.sagemaker.sagemaker_domain_info:
    name: sagelab-studio
  register: studio

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ studio.domains[0].url | default('no domain') }}"
"""

RETURN = r"""
domains:
  description: The matching domains as DescribeDomain reports them (snake_case keys, tags as a dict), sorted
    by name.
  returned: always
  type: list
  elements: dict
  sample:
    - domain_id: d-abcdefghijkl
      domain_name: sagelab-studio
      status: InService
      auth_mode: IAM
      tags: {ManagedBy: sagelab}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    SageMakerApi,
    domain_describe,
    find_domains,
    to_result,
)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["domain_name"]),
            domain_id=dict(type="str"),
        ),
        mutually_exclusive=[("name", "domain_id")],
        supports_check_mode=True,
    )
    params = module.params
    error = (rules.sagemaker_name("name", params["name"]) if params["name"] is not None else None) or (
        rules.domain_id("domain_id", params["domain_id"]) if params["domain_id"] is not None else None)
    if error:
        module.fail_json(msg=error)
    api = SageMakerApi(module)
    domains = []
    for summary in sorted(find_domains(api), key=lambda d: d["DomainName"]):
        if params["name"] and summary["DomainName"] != params["name"]:
            continue
        if params["domain_id"] and summary["DomainId"] != params["domain_id"]:
            continue
        described = domain_describe(api, summary["DomainId"])
        if described is not None:  # deleted between the list and the describe
            domains.append(to_result(described, api.tags(described["DomainArn"])))
    module.exit_json(changed=False, domains=domains)


if __name__ == "__main__":
    main()
