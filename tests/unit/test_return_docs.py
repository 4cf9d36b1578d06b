"""The RETURN check that ansible_module() and play() apply to every result of sagelab's modules."""

from __future__ import annotations

from tests import return_docs
from tests.conftest import REPO

MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))


def test_every_module_has_a_return_document():
    for module in MODULES:
        spec = return_docs.return_spec(f"sagelab.sagemaker.{module}")
        assert spec, f"{module}: no RETURN"
        for key, entry in spec.items():
            assert entry.get("description") and entry.get("returned") and entry.get("type"), (module, key)


def test_undocumented_keys_are_found_at_the_top_and_inside_documented_dicts():
    result = {"changed": True, "invocation": {"module_args": {}}, "diff": {}, "actions": [],
              "notebook_instance": {"notebook_instance_name": "nb", "tags": {"Owner": "a"},
                                    "not_in_return": 1},
              "stray": 2}
    assert return_docs.undocumented("sagelab.sagemaker.sagemaker_notebook_instance", result) == [
        "notebook_instance.not_in_return", "stray"]


def test_lists_of_documented_dicts_are_checked_item_by_item():
    spec = {"items": {"description": "x", "returned": "always", "type": "list", "elements": "dict",
                      "contains": {"name": {"description": "n", "returned": "always", "type": "str"}}}}
    assert return_docs._walk({"items": [{"name": "a"}, {"name": "b", "size": 1}]}, spec, "") == ["items.size"]


def test_failed_results_and_other_collections_modules_are_not_checked():
    assert return_docs.undocumented("sagelab.sagemaker.sagemaker_domain", {"failed": True, "x": 1}) == []
    assert return_docs.undocumented("amazon.aws.iam_role", {"changed": False, "iam_role": {}}) == []
