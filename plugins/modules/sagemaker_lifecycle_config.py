#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_lifecycle_config
short_description: Manage an Amazon SageMaker notebook instance lifecycle configuration
version_added: "0.1.0"
description:
  - Creates, updates or deletes a notebook instance lifecycle configuration - the shell scripts a notebook
    instance runs (as root) when it is created (O(on_create)) and every time it starts (O(on_start)).
  - Scripts are given as plain text; the module base64-encodes them for the API and decodes the current
    ones to compare. An existing configuration is updated in place (UpdateNotebookInstanceLifecycleConfig)
    and only when a script's content differs.
  - Instances that use the configuration run the new scripts from their next start on.
  - O(tags) are set when the configuration is created (CreateNotebookInstanceLifecycleConfig Tags) and
    compared and set as a difference on an existing one (AddTags, DeleteTags).
options:
  name:
    description:
      - Name of the lifecycle configuration, 1 to 63 ASCII letters, digits and hyphens, starting and ending
        with a letter or digit.
    type: str
    required: true
    aliases: [lifecycle_config_name]
  state:
    description: V(present) creates or updates the configuration, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  on_create:
    description:
      - The script run once, when a notebook instance is created, as plain text (for example a shell script
        starting with C(#!/bin/bash)).
      - Omitted - left as it is (none for a new configuration). V("") removes the script.
      - At most 16384 characters once base64-encoded (about 12 KB of text); it must finish within 5 minutes.
    type: str
  on_start:
    description:
      - The script run every time a notebook instance starts (including its creation), as plain text.
      - Omitted - left as it is (none for a new configuration). V("") removes the script.
      - At most 16384 characters once base64-encoded; it must finish within 5 minutes.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
attributes:
  check_mode:
    support: full
    description: Reports exactly what a real run would change, without any write call to AWS.
  diff_mode:
    support: full
    description: Shows each script's text before and after.
notes:
  - Lifecycle scripts run with root access and the instance's execution role, even when the instance has
    root access disabled for its users.
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance
  - name: Lifecycle configuration scripts
    description: What the scripts can do, and the samples AWS publishes.
    link: https://docs.aws.amazon.com/sagemaker/latest/dg/notebook-lifecycle-config.html
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the on-start script installs the team's extensions
  sagelab.sagemaker.sagemaker_lifecycle_config:
    name: team-setup
    on_start: |
      #!/bin/bash
      set -euo pipefail
      sudo -u ec2-user -i pip install --quiet nbdime

- name: Ensure a configuration whose on-start script comes from a template
  sagelab.sagemaker.sagemaker_lifecycle_config:
    name: sagemaker-book-auto-stop
    on_start: "{{ lookup('ansible.builtin.template', 'on-start.sh.j2') }}"
    tags:
      Project: sagelab
      ManagedBy: sagelab

- name: Remove the on-create script, keep the on-start one
  sagelab.sagemaker.sagemaker_lifecycle_config:
    name: team-setup
    on_create: ""

- name: Delete the configuration
  sagelab.sagemaker.sagemaker_lifecycle_config:
    name: team-setup
    state: absent
"""

RETURN = r"""
lifecycle_config:
  description: The configuration after the run, scripts decoded to text; empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
      returned: when it exists
      sample: sagemaker-book-auto-stop
    arn:
      description: ARN.
      type: str
      returned: when it exists (not for a creation in check mode)
      sample: arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance-lifecycle-config/book-auto-stop
    on_create:
      description: The on-create script (empty when there is none).
      type: str
      returned: when it exists
      sample: ""
    on_start:
      description: The on-start script (empty when there is none).
      type: str
      returned: when it exists
      sample: "#!/bin/bash\nset -euo pipefail\n"
    creation_time:
      description: When it was created.
      type: str
      returned: when it exists (not for a creation in check mode)
      sample: "2026-01-05T09:30:00.123000+00:00"
    last_modified_time:
      description: When it was last changed.
      type: str
      returned: when it exists (not for a creation in check mode)
      sample: "2026-01-05T09:30:00.123000+00:00"
    tags:
      description: Its tags after the run.
      type: dict
      returned: when it exists
      sample: {Project: sagelab, ManagedBy: sagelab}
changed_tags:
  description: Whether the tags differed (and were, or in check mode would be, set).
  returned: when O(state=present)
  type: bool
  sample: false
changed_scripts:
  description: Which scripts differed (V(on_create), V(on_start)).
  returned: always
  type: list
  elements: str
  sample: [on_start]
changed:
  description: Whether the configuration was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: One entry per script - its text before and after.
  returned: when diff mode is on
  type: list
  elements: dict
  contains:
    before:
      description: Script text before (empty when there was none).
      type: str
      returned: always
    after:
      description: Script text after (empty when there is none).
      type: str
      returned: always
"""

import base64  # noqa: E402
import binascii  # noqa: E402

from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    Resource,
    new_tags,
    tag_changes,
    tags_after,
)

MAX_CONTENT = 16384  # characters of base64, per script (NotebookInstanceLifecycleConfigContent)
SCRIPTS = (("on_create", "OnCreate"), ("on_start", "OnStart"))


def encode(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode(hooks):
    """The script text of an OnCreate/OnStart list ("" when there is none)."""
    if not hooks:
        return ""
    content = hooks[0].get("Content") or ""
    try:
        return base64.b64decode(content).decode("utf-8")
    except (binascii.Error, ValueError):  # not ours: compare it as it is
        return content


def hooks(text):
    return [{"Content": encode(text)}] if text else []


def validate(params):
    error = rules.sagemaker_name("name", params["name"])
    if error:
        return error
    for option, _unused in SCRIPTS:
        text = params[option]
        if text and len(encode(text)) > MAX_CONTENT:
            return (f"{option}: the script is {len(text)} characters, {len(encode(text))} once "
                    f"base64-encoded; allowed: at most {MAX_CONTENT} base64 characters (about 12 KB of text)")
    return rules.tags(params["tags"])


def scripts_of(described):
    return {option: decode(described.get(api_key)) for option, api_key in SCRIPTS} if described else {}


class LifecycleConfig(Resource):
    """Reads the configuration, compares its scripts and tags, plans and applies."""

    def describe(self):
        return self.read("describe_notebook_instance_lifecycle_config",
                         NotebookInstanceLifecycleConfigName=self.name)

    def ensure(self):
        described = self.describe()
        before = scripts_of(described)
        if self.params["state"] == "absent":
            if described:
                self.act("delete_notebook_instance_lifecycle_config",
                         NotebookInstanceLifecycleConfigName=self.name)
            return self.result(before, {}, lifecycle_config={},
                               changed_scripts=[opt for opt, _kind in SCRIPTS if before.get(opt)])
        return self.present(described, before)

    def present(self, described, before):
        params = self.params
        wanted = {option: params[option] for option, _unused in SCRIPTS}
        after = {option: before.get(option, "") if wanted[option] is None else wanted[option]
                 for option, _unused in SCRIPTS}
        changed = [option for option, _unused in SCRIPTS if after[option] != before.get(option, "")]
        arn = described.get("NotebookInstanceLifecycleConfigArn") if described else None
        current_tags = self.api.tags(arn) if arn else {}
        if described is None:
            to_set, to_unset = new_tags(params["tags"]), []
        else:
            to_set, to_unset = tag_changes(current_tags, params["tags"], params["purge_tags"])
        if described is None or changed:
            request = {"NotebookInstanceLifecycleConfigName": self.name}
            for option, api_key in SCRIPTS:
                # a new configuration gets its scripts; an existing one only those that changed
                if (after[option] if described is None else option in changed):
                    request[api_key] = hooks(after[option])
            if described is None and to_set:
                request["Tags"] = [{"Key": k, "Value": v} for k, v in to_set.items()]
            self.act("create_notebook_instance_lifecycle_config" if described is None
                     else "update_notebook_instance_lifecycle_config", **request)
        if arn:
            self.set_tags(arn, to_set, to_unset)
        if self.wrote:
            described = self.describe()
        config = {"name": self.name, **after, "tags": tags_after(current_tags, to_set, to_unset)}
        if described:
            times = normalize_boto3_result({key: described.get(key)
                                            for key in ("CreationTime", "LastModifiedTime")})
            config.update(arn=described.get("NotebookInstanceLifecycleConfigArn"),
                          creation_time=times["CreationTime"], last_modified_time=times["LastModifiedTime"])
        return self.result(before, after, lifecycle_config=config, changed_scripts=changed,
                           changed_tags=bool(to_set or to_unset))

    def diff(self, before, after):
        """One entry per script: its text before and after."""
        return [{"before": before.get(option, ""), "after": after.get(option, ""),
                 "before_header": f"{self.name} {option}", "after_header": f"{self.name} {option}"}
                for option, _unused in SCRIPTS]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["lifecycle_config_name"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            on_create=dict(type="str"),
            on_start=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    LifecycleConfig.run(module)


if __name__ == "__main__":
    main()
