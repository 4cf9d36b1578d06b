# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters sagelab.sagemaker.auto_stop_config_name, sagelab.sagemaker.schedule_name and
sagelab.sagemaker.bucket_name: the names the notebook_instance, cost_controls and s3_bucket roles give what
they make, declared once (module_utils/_teardown.py, which the teardown plan reads too; documentation:
auto_stop_config_name.yml, schedule_name.yml, bucket_name.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _teardown


def _instance(filter_name, instance):
    if not isinstance(instance, str) or not instance:
        raise AnsibleFilterError(f"{filter_name}: {instance!r} is not allowed; allowed: a notebook instance "
                                 "name")
    return instance


def auto_stop_config_name(instance):
    """`'nb' | sagelab.sagemaker.auto_stop_config_name` -> 'nb-auto-stop'."""
    return _teardown.auto_stop_config_name(_instance("auto_stop_config_name", instance))


def schedule_name(instance, kind):
    """`'nb' | sagelab.sagemaker.schedule_name('weeknight_stop')` -> 'nb-stop-weeknight'."""
    try:
        return _teardown.schedule_name(_instance("schedule_name", instance), kind)
    except ValueError as error:
        raise AnsibleFilterError(f"schedule_name: {error}") from error


def bucket_name(given, account, region):
    """`'' | sagelab.sagemaker.bucket_name('123456789012', 'eu-west-1')` -> 'sagelab-123456789012-eu-west-1';
    a name given is kept."""
    if given and not isinstance(given, str):
        raise AnsibleFilterError(f"bucket_name: {given!r} is not allowed; allowed: a bucket name or ''")
    if not given and not (account and region):
        raise AnsibleFilterError("bucket_name: the default bucket name needs the account and the region")
    return _teardown.bucket_name(given, account, region)


class FilterModule:
    def filters(self):
        return {"auto_stop_config_name": auto_stop_config_name, "schedule_name": schedule_name,
                "bucket_name": bucket_name}
