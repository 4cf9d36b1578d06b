# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What sagelab's AWS modules share in their documentation: where they run and how they retry, and
(INFO) what the read-only ones say of check and diff mode."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs where boto3 is installed, usually the control node; the target is the AWS API.
notes:
  - Throttling and transient AWS errors are retried with jittered exponential backoff; the number of
    attempts follows the AWS SDK setting C(max_attempts) (E(AWS_MAX_ATTEMPTS) or the profile's), default 10.
"""

    # the *_info modules: they read only
    INFO = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so has no diff.
"""
