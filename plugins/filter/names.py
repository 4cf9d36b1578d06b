# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters sagelab.sagemaker.auto_stop_config_name and sagelab.sagemaker.schedule_name: the names the
notebook_instance and cost_controls roles give what they make, declared once (module_utils/_teardown.py,
which the teardown plan reads too; documentation: auto_stop_config_name.yml, schedule_name.yml)."""

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


class FilterModule:
    def filters(self):
        return {"auto_stop_config_name": auto_stop_config_name, "schedule_name": schedule_name}
