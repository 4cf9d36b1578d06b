"""The Studio settings' suboptions are documented once (plugins/doc_fragments/studio_settings.py) and
merged by ansible-core's own add_fragments() into sagemaker_user_profile's user_settings and
sagemaker_domain's default_space_settings: in-process, the merged tree has exactly the names, types and
elements of app_settings_spec(), the argument_spec both modules take from _studio_settings.py."""

from __future__ import annotations

import ast
import importlib
import sys

import yaml

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible.utils.plugin_docs import add_fragments  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _studio_settings as studio  # noqa: E402


class _Fragments:
    """ansible-core's fragment loader, for the collections in .collections/: get(name) -> the fragment (an
    instance, as the plugin loader makes it: some fragments build their text in __init__)."""

    @staticmethod
    def get(name):
        if name.count(".") != 2:  # add_fragments() then splits off the fragment's variable and asks again
            return None
        namespace, collection, fragment = name.split(".")
        try:
            found = importlib.import_module(
                f"ansible_collections.{namespace}.{collection}.plugins.doc_fragments.{fragment}")
        except ImportError:
            return None
        fragment = found.ModuleDocFragment()
        fragment.ansible_name = name
        return fragment


def documentation(module):
    path = REPO / "plugins" / "modules" / f"{module}.py"
    for node in ast.parse(path.read_text()).body:
        names = [getattr(target, "id", "") for target in getattr(node, "targets", ())]
        if isinstance(node, ast.Assign) and "DOCUMENTATION" in names:
            doc = yaml.safe_load(ast.literal_eval(node.value))
            add_fragments(doc, str(path), fragment_loader=_Fragments(), is_module=True)
            return doc
    raise AssertionError(f"{module}: no DOCUMENTATION")


def shape(options, key):
    """{name: (type, elements, shape of the suboptions)} of documented options (key: suboptions) or of an
    argument_spec (key: options)."""
    return {name: (entry.get("type", "str"), entry.get("elements"),
                   shape(entry[key], key) if entry.get(key) else None)
            for name, entry in options.items()}


def test_the_merged_suboptions_are_the_argument_spec_of_both_options():
    wanted = shape(studio.app_settings_spec()["options"], "options")
    for module, option in (("sagemaker_user_profile", "user_settings"),
                           ("sagemaker_domain", "default_space_settings")):
        documented = documentation(module)["options"][option]
        assert documented["type"] == "dict" and documented["description"], (module, option)
        assert shape(documented["suboptions"], "suboptions") == wanted, (module, option)


def test_each_module_keeps_its_own_wording_and_option_paths():
    user = documentation("sagemaker_user_profile")["options"]["user_settings"]
    space = documentation("sagemaker_domain")["options"]["default_space_settings"]
    assert "UserSettings" in user["description"][0] and "DefaultSpaceSettings" in space["description"][0]
    assert "the profile's" in user["suboptions"]["execution_role"]["description"]
    assert "the spaces'" in space["suboptions"]["execution_role"]["description"]
    arns = space["suboptions"]["kernel_gateway"]["suboptions"]["lifecycle_config_arns"]["description"]
    assert "spaces may run" in " ".join(arns)
    arns = user["suboptions"]["jupyter_lab"]["suboptions"]["lifecycle_config_arns"]["description"]
    assert "the user may run" in " ".join(arns)
