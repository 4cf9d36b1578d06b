#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_user_profile_info
short_description: Describe the user profiles of Amazon SageMaker Studio domains
version_added: "0.1.0"
description:
  - Describes Studio user profiles - one by O(name), or every profile of a domain (O(domain_id) or
    O(domain_name)), or of every domain - with every DescribeUserProfile field and the tags.
  - Makes only Describe and List calls.
options:
  name:
    description: Name of one user profile (needs O(domain_id) or O(domain_name)).
    type: str
    aliases: [user_profile_name]
  domain_id:
    description: ID of the domain (V(d-...)).
    type: str
  domain_name:
    description: Name of the domain. A domain that does not exist gives an empty list.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
  - sagelab.sagemaker.aws.info
seealso:
  - module: sagelab.sagemaker.sagemaker_user_profile
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: List the user profiles of the Studio domain
  sagelab.sagemaker.sagemaker_user_profile_info:
    domain_name: sagelab-studio
  register: profiles

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ profiles.user_profiles | map(attribute='user_profile_name') | list }}"
"""

RETURN = r"""
user_profiles:
  description: The matching profiles as DescribeUserProfile reports them (snake_case keys, tags as a dict),
    sorted by domain and name.
  returned: always
  type: list
  elements: dict
  sample:
    - domain_id: d-abcdefghijkl
      user_profile_name: alice
      status: InService
      tags: {Owner: alice}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    SageMakerApi,
    resolve_domain,
    to_result,
)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["user_profile_name"]),
            domain_id=dict(type="str"),
            domain_name=dict(type="str"),
        ),
        mutually_exclusive=[("domain_id", "domain_name")],
        required_by={"name": ("domain_id", "domain_name")},
        supports_check_mode=True,
    )
    params = module.params
    if params["name"] and not (params["domain_id"] or params["domain_name"]):
        module.fail_json(msg="name: needs domain_id or domain_name")
    checks = [(rules.sagemaker_name, "name"), (rules.domain_id, "domain_id"),
              (rules.sagemaker_name, "domain_name")]
    for check, option in checks:
        error = check(option, params[option]) if params[option] is not None else None
        if error:
            module.fail_json(msg=error)
    api = SageMakerApi(module)
    filters = {}
    if params["domain_id"] or params["domain_name"]:
        domain = resolve_domain(api, params["domain_id"], params["domain_name"])
        if domain is None:
            module.exit_json(changed=False, user_profiles=[])
        filters["DomainIdEquals"] = domain["DomainId"]
    if params["name"]:
        summaries = [{"DomainId": filters["DomainIdEquals"], "UserProfileName": params["name"]}]
    else:
        summaries = api.paginate("list_user_profiles", "UserProfiles", **filters)
    profiles = []
    for summary in sorted(summaries, key=lambda s: (s["DomainId"], s["UserProfileName"])):
        described = api.describe("describe_user_profile", DomainId=summary["DomainId"],
                                 UserProfileName=summary["UserProfileName"])
        if described is not None:
            profiles.append(to_result(described, api.tags(described["UserProfileArn"])))
    module.exit_json(changed=False, user_profiles=profiles)


if __name__ == "__main__":
    main()
