"""The names sagelab's roles give what they make (a notebook instance's schedules, its auto-stop lifecycle
configuration), read from the collection's one declaration - plugins/module_utils/_teardown.py, pure Python
that the roles (filters), the teardown plan and this CLI all read - so the CLI spells none of them out."""

from __future__ import annotations

import functools
import importlib.util
from types import ModuleType

from sagelab.runner import project_home


@functools.cache
def declared() -> ModuleType:
    """The collection's module_utils/_teardown.py (of the checkout, or the collection the wheel carries)."""
    path = project_home() / "plugins" / "module_utils" / "_teardown.py"
    spec = importlib.util.spec_from_file_location("sagelab_declared_names", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"the collection's names are missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def schedule_name(notebook: str, kind: str) -> str:
    """The name of the cost_controls schedule of this kind (weeknight_stop, weekend_stop, morning_start)."""
    return declared().schedule_name(notebook, kind)


def scheduled_instance_name_max() -> int:
    """The longest notebook instance name whose schedule names all fit EventBridge Scheduler's limit."""
    return declared().SCHEDULED_INSTANCE_NAME_MAX
