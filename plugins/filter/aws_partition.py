# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.aws_partition: the partition of a region (aws, aws-cn, aws-us-gov), the first
field of the ARNs the AWS roles build; the rule is _validators.partition (documentation: aws_partition.yml
beside this file)."""

from __future__ import annotations

from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules


def aws_partition(region: str) -> str:
    return rules.partition(region)


class FilterModule:
    def filters(self) -> dict:
        return {"aws_partition": aws_partition}
