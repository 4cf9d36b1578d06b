#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_inference_teardown
short_description: Remove the SageMaker endpoints, endpoint configurations and models carrying given tags
version_added: "0.1.0"
description:
  - Finds every endpoint, endpoint configuration and model of the region that carries all of O(tags) (for
    sagelab, C(ManagedBy=sagelab), which the SageMaker SDK puts on what C(deploy()) makes on a sagelab
    workstation, through the SDK config the sagemaker_sdk role writes), and removes them in dependency
    order - endpoints first (waiting until each is gone), then endpoint configurations, then models.
  - Resources without those tags are never touched, whatever their names; an endpoint configuration or a
    model of a tagged endpoint is removed only when it carries the tags too.
  - Creating endpoints is the SDK's job (C(Estimator.deploy()), C(Model.deploy())); this module only removes.
options:
  tags:
    description: The tags a resource must carry, all of them, to be removed. At least one.
    type: dict
    required: true
  name_prefix:
    description: Only resources whose names start with this (empty - any name).
    type: str
    default: ""
  state:
    description: V(absent) removes what carries the tags (the only state).
    type: str
    choices: [absent]
    default: absent
  wait_timeout:
    description: Seconds to wait, in all, for the endpoints to be deleted.
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
attributes:
  check_mode:
    support: full
    description: Lists what a real run would remove, without any write call to AWS.
  diff_mode:
    support: full
    description: The names of the tagged resources before and after.
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure no endpoint, endpoint configuration or model sagelab's workstations made is left
  sagelab.sagemaker.sagemaker_inference_teardown:
    tags:
      ManagedBy: sagelab

- name: Only Alice's
  sagelab.sagemaker.sagemaker_inference_teardown:
    tags:
      ManagedBy: sagelab
      Owner: alice
"""

RETURN = r"""
removed:
  description: What was (in check mode - would be) removed, by kind.
  returned: always
  type: dict
  contains:
    endpoints:
      description: Endpoint names.
      type: list
      elements: str
      returned: always
      sample: [placeholder-2026-12-07-01-35-24-077]
    endpoint_configs:
      description: Endpoint configuration names.
      type: list
      elements: str
      returned: always
      sample: [placeholder-2026-12-07-01-35-24-077]
    models:
      description: Model names.
      type: list
      elements: str
      returned: always
      sample: [placeholder-2026-12-07-01-35-24-077]
changed:
  description: Whether anything was (or in check mode would be) removed.
  returned: always
  type: bool
diff:
  description: The tagged resources' names (kind/name) before and after.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Names before.
      type: str
      returned: always
    after:
      description: Names after (none).
      type: str
      returned: always
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    Resource,
    new_tags,
)
from ansible_collections.sagelab.sagemaker.plugins.module_utils._teardown import (  # noqa: E402
    INFERENCE_KINDS,
    tagged_inference,
)


class TaggedInference(Resource):
    """Finds what carries the tags, plans (check mode) or removes it in dependency order."""

    def ensure(self):
        found = tagged_inference(self.api, new_tags(self.params["tags"]), self.params["name_prefix"])
        for name in found["endpoints"]:
            self.act("delete_endpoint", EndpointName=name)
        for name in found["endpoints"]:  # deleted in parallel, waited for one by one
            self.wait(lambda n=name: self.read("describe_endpoint", EndpointName=n),
                      lambda described: described is None,
                      lambda described, n=name: f"endpoint {n} to be deleted "
                                                f"(now {described['EndpointStatus']})",
                      needed=True)
        for key in ("endpoint_configs", "models"):
            for name in found[key]:
                self.act(INFERENCE_KINDS[key]["delete"], **{INFERENCE_KINDS[key]["name"]: name})
        listed = [f"{key}/{name}" for key, names in found.items() for name in names]
        return self.result("\n".join(listed) + ("\n" if listed else ""), "", removed=found)

    def diff(self, before, after):
        """The tagged resources' names, one kind/name a line, before; none after."""
        return {"before": before, "after": after}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            tags=dict(type="dict", required=True),
            name_prefix=dict(type="str", default=""),
            state=dict(type="str", default="absent", choices=["absent"]),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    params = module.params
    error = rules.tag_selector(params["tags"])
    if not error and params["wait_timeout"] < 0:
        error = f"wait_timeout: {params['wait_timeout']} is not allowed; allowed: 0 or more seconds"
    if error:
        module.fail_json(msg=error)
    TaggedInference.run(module)


if __name__ == "__main__":
    main()
