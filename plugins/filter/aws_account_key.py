# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.aws_account_key: which AWS account a role's settings reach, as a key of the
sagelab_aws_accounts fact, so that the AWS roles of one run look the account up once (documentation:
aws_account_key.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def aws_account_key(endpoint_url, profile=None):
    """`s3_bucket_aws_endpoint_url | sagelab.sagemaker.aws_account_key(s3_bucket_aws_profile)` ->
    'endpoint_url=http://127.0.0.1:5000 profile=' - the two settings that decide whose account STS answers
    for (the region does not; the credentials in the environment are the same for the whole run)."""
    parts = {}
    for name, value in (("endpoint_url", endpoint_url), ("profile", profile)):
        if value is None:
            value = ""
        if not isinstance(value, str) or any(c.isspace() for c in value):
            raise AnsibleFilterError(f"aws_account_key: {name} {value!r} is not allowed; allowed: a string "
                                     "without spaces, or empty (the default)")
        parts[name] = value
    return f"endpoint_url={parts['endpoint_url']} profile={parts['profile']}"


class FilterModule:
    def filters(self):
        return {"aws_account_key": aws_account_key}
