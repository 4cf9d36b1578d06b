#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_code_repository
short_description: Register a Git repository with Amazon SageMaker (a code repository)
version_added: "0.1.0"
description:
  - Creates, updates or deletes a SageMaker code repository - a Git repository registered in the account,
    which notebook instances clone by name (see the C(default_code_repository) and
    C(additional_code_repositories) options of M(sagelab.sagemaker.sagemaker_notebook_instance)).
  - AWS lets only the Secrets Manager secret of an existing repository change (UpdateCodeRepository). A
    different O(repository_url) or O(branch) makes the module fail with a message saying so; delete the
    repository (O(state=absent)) and create it again to change them.
  - Tags are compared and set as a difference.
options:
  name:
    description:
      - Name of the code repository, 1 to 63 ASCII letters, digits and hyphens, starting and ending with a
        letter or digit.
    type: str
    required: true
    aliases: [code_repository_name]
  state:
    description: V(present) registers or updates the repository, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  repository_url:
    description:
      - The HTTPS URL of the Git repository, for example V(https://github.com/example/notebooks.git).
      - Required to create the repository; cannot be changed afterwards.
    type: str
    aliases: [url, git_url]
  branch:
    description:
      - The branch notebook instances check out. Omitted when creating - the repository's default branch.
      - Cannot be changed afterwards.
    type: str
  secret_arn:
    description:
      - "ARN of the AWS Secrets Manager secret holding the Git credentials, as
        C({\"username\": ..., \"password\": ...}) with the staging label C(AWSCURRENT). Needed for private
        repositories."
      - Can be changed in place. Omitted - left as it is. AWS cannot remove a secret from a repository.
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
    description: Shows the Git settings and tags before and after.
notes:
  - AWS refuses to delete a repository that a notebook instance still uses; detach it from the instance
    first.
seealso:
  - module: sagelab.sagemaker.sagemaker_notebook_instance
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Register the book's examples repository
  sagelab.sagemaker.sagemaker_code_repository:
    name: sagemaker-book
    repository_url: https://github.com/example/sagemaker-book.git
    branch: main
    tags:
      Project: sagelab

- name: Register a private repository with its credentials in Secrets Manager
  sagelab.sagemaker.sagemaker_code_repository:
    name: team-notebooks
    repository_url: https://git.example.com/team/notebooks.git
    secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-git-AbCdEf

- name: Remove the repository
  sagelab.sagemaker.sagemaker_code_repository:
    name: team-notebooks
    state: absent
"""

RETURN = r"""
code_repository:
  description:
    - The repository as DescribeCodeRepository reports it after the run (snake_case keys, tags as a dict).
    - Empty when it does not exist (O(state=absent), or a creation in check mode).
  returned: always
  type: dict
  sample:
    code_repository_name: sagemaker-book
    code_repository_arn: arn:aws:sagemaker:eu-west-1:123456789012:code-repository/sagemaker-book
    git_config:
      repository_url: https://github.com/example/sagemaker-book.git
      branch: main
    creation_time: "2026-01-05T09:30:00.123000+00:00"
    last_modified_time: "2026-01-05T09:30:00.123000+00:00"
    tags: {Project: sagelab}
changed_settings:
  description: Which settings differed (V(secret_arn), V(tags)), or V(state) for a creation or deletion.
  returned: always
  type: list
  elements: str
  sample: [secret_arn]
changed:
  description: Whether the repository was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: Git settings and tags before and after.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Settings before (empty when the repository did not exist).
      type: dict
      returned: always
    after:
      description: Settings after (empty when it is deleted).
      type: dict
      returned: always
"""

import re  # noqa: E402

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    Resource,
    new_tags,
    tag_changes,
    tags_after,
    to_result,
)

BRANCH_RE = re.compile(r"^[^ ~^:?*\[]{1,1024}$")


def validate(params):
    error = rules.sagemaker_name("name", params["name"])
    if error:
        return error
    error = rules.repository_url("repository_url", params["repository_url"])
    if error:
        return error
    if params["branch"] is not None and not BRANCH_RE.match(params["branch"]):
        return (f"branch: {params['branch']!r} is not allowed; allowed: a Git branch name (no spaces or "
                "~ ^ : ? * [)")
    return rules.first(rules.secret_arn("secret_arn", params["secret_arn"]), rules.tags(params["tags"]))


def settings_of(described):
    git = described.get("GitConfig") or {}
    return {"repository_url": git.get("RepositoryUrl"), "branch": git.get("Branch"),
            "secret_arn": git.get("SecretArn")}


class CodeRepository(Resource):
    """Reads the repository, compares, plans and applies what AWS allows (only the secret and tags change)."""

    kind = "code repository"

    def describe(self):
        return self.read("describe_code_repository", CodeRepositoryName=self.name)

    def ensure(self):
        described = self.describe()
        current_tags = self.api.tags(described["CodeRepositoryArn"]) if described else {}
        before = dict(settings_of(described), tags=current_tags) if described else {}
        if self.params["state"] == "absent":
            if described:
                self.act("delete_code_repository", CodeRepositoryName=self.name)
            return self.finish(before, {}, ["state"] if described else [], None, current_tags)
        if described is None:
            return self.create()
        return self.update(described, before, current_tags)

    def create(self):
        params = self.params
        if not params["repository_url"]:
            self.module.fail_json(msg=f"repository_url: is required to create code repository {self.name}")
        git = {"RepositoryUrl": params["repository_url"]}
        if params["branch"]:
            git["Branch"] = params["branch"]
        if params["secret_arn"]:
            git["SecretArn"] = params["secret_arn"]
        tags = new_tags(params["tags"])
        request = {"CodeRepositoryName": self.name, "GitConfig": git}
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.act("create_code_repository", **request)
        after = dict(settings_of({"GitConfig": git}), tags=tags)
        return self.finish({}, after, ["state"], None, {})

    def update(self, described, before, current_tags):
        params = self.params
        current = settings_of(described)
        fixed = [(key, current[key], params[key]) for key in ("repository_url", "branch")
                 if params[key] is not None and params[key] != current[key]]
        if params["secret_arn"] == "" and current["secret_arn"]:
            fixed.append(("secret_arn", current["secret_arn"], ""))
        if fixed:
            details = "; ".join(f"{key}: {old!r} -> {new!r}" for key, old, new in fixed)
            self.module.fail_json(
                msg=(f"Cannot change {', '.join(item[0] for item in fixed)} of code repository {self.name}: "
                     f"AWS can only change its secret_arn ({details}). Delete the repository (state: absent) "
                     "and create it again, or leave these options as they are."),
                code_repository=to_result(described, current_tags))
        to_set, to_unset = tag_changes(current_tags, params["tags"], params["purge_tags"])
        secret = params["secret_arn"]
        new_secret = secret if secret not in (None, "", current["secret_arn"]) else None
        if new_secret:
            self.act("update_code_repository", CodeRepositoryName=self.name,
                     GitConfig={"SecretArn": new_secret})
        self.set_tags(described["CodeRepositoryArn"], to_set, to_unset)
        changed = (["secret_arn"] if new_secret else []) + (["tags"] if to_set or to_unset else [])
        after = dict(current, secret_arn=new_secret or current["secret_arn"],
                     tags=tags_after(current_tags, to_set, to_unset))
        return self.finish(before, after, changed, described, current_tags)

    def finish(self, before, after, changed_settings, described, current_tags):
        """The result; after a real write the repository is described again (gone after a deletion)."""
        if self.wrote and self.params["state"] == "present":
            described = self.describe()
            current_tags = self.api.tags(described["CodeRepositoryArn"]) if described else {}
        repository = to_result(described, current_tags) if described else {}
        return self.result(before, after, changed_settings=changed_settings, code_repository=repository)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["code_repository_name"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            repository_url=dict(type="str", aliases=["url", "git_url"]),
            branch=dict(type="str"),
            secret_arn=dict(type="str", no_log=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    CodeRepository.run(module)


if __name__ == "__main__":
    main()
