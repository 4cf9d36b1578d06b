"""The teardown's plan (plugins/module_utils/_teardown.py), in-process: the removal order respects every
dependency, the names the roles give what they make, and which lifecycle configurations and code
repositories go with the notebook instances or stay."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("_teardown",
                                               REPO / "plugins" / "module_utils" / "_teardown.py")
teardown = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teardown)

TAG = {"ManagedBy": "sagelab"}
MINE = {"ManagedBy": "sagelab", "Owner": "alice"}


def test_every_kind_comes_after_what_it_depends_on():
    order = teardown.removal_order()
    assert sorted(order) == sorted(teardown.DEPENDS)
    for kind, before in teardown.DEPENDS.items():
        assert all(order.index(b) < order.index(kind) for b in before), (kind, before, order)
    assert order[:4] == ["schedules", "notebook_instances", "lifecycle_configs", "code_repositories"]
    assert order.index("studio_apps") < order.index("studio_spaces") < order.index("studio_user_profiles") \
        < order.index("studio_domains")


def test_the_order_among_free_kinds_is_the_declared_one_and_a_cycle_is_refused():
    assert teardown.removal_order({"b": ["a"], "a": [], "c": []}) == ["a", "b", "c"]
    assert teardown.removal_order({"b": [], "a": ["b"]}) == ["b", "a"]
    with pytest.raises(ValueError, match="cycle among: a, b"):
        teardown.removal_order({"a": ["b"], "b": ["a"], "c": []})
    with pytest.raises(ValueError, match="a depends on unknown kinds: z"):
        teardown.removal_order({"a": ["z"]})


def test_names_are_declared_once_and_schedules_fit_the_scheduler_limit():
    assert teardown.auto_stop_config_name("nb-typo") == "nb-typo-auto-stop"
    assert teardown.schedule_names("nb") == ["nb-stop-weeknight", "nb-stop-weekend", "nb-start-morning"]
    assert teardown.SCHEDULED_INSTANCE_NAME_MAX == 49
    longest = "n" * teardown.SCHEDULED_INSTANCE_NAME_MAX
    assert max(len(n) for n in teardown.schedule_names(longest)) == teardown.SCHEDULE_NAME_MAX
    with pytest.raises(ValueError, match="schedule kind 'nightly' is not known; known: weeknight_stop"):
        teardown.schedule_name("nb", "nightly")


def nb(name, tags=None, config="", repositories=()):
    return {"name": name, "tags": tags or {}, "lifecycle_config": config,
            "code_repositories": list(repositories)}


def test_an_orphan_tagged_config_goes_and_untagged_other_prefix_and_in_use_ones_stay():
    found = {"notebook_instances": [nb("p-nb", MINE, "p-nb-auto-stop"), nb("p-stray", {}, "p-shared"),
                                    nb("q-nb", MINE, "q-nb-auto-stop")],
             "lifecycle_configs": {"p-nb-auto-stop": MINE, "p-typo-auto-stop": MINE, "p-untagged": {},
                                   "p-shared": MINE, "q-nb-auto-stop": MINE, "q-typo-auto-stop": MINE}}
    plan = teardown.notebook_plan(found, TAG, prefix="p-")
    assert plan["removes"]["notebook_instances"] == ["p-nb"]
    assert plan["removes"]["lifecycle_configs"] == ["p-nb-auto-stop", "p-typo-auto-stop"]
    assert plan["kept"]["lifecycle_configs"] == {"p-shared": "used by notebook instance p-stray, which stays"}
    everything = teardown.notebook_plan(found, TAG)  # no prefix: both owners' instances and orphans
    assert everything["removes"]["lifecycle_configs"] == ["p-nb-auto-stop", "p-typo-auto-stop",
                                                          "q-nb-auto-stop", "q-typo-auto-stop"]


def test_what_a_removed_instance_uses_goes_even_untagged_but_only_when_it_exists():
    found = {"notebook_instances": [nb("p-nb", TAG, "old-config", ["p-repo", "https://github.com/x/y.git",
                                                                   "someone-elses-repo"])],
             "lifecycle_configs": {"old-config": {}, "extra": {}},
             "code_repositories": {"p-repo": TAG, "someone-elses-repo": {}, "p-orphan-repo": TAG}}
    plan = teardown.notebook_plan(found, TAG, prefix="p-", extra_lifecycle_configs=["extra", "gone-already"])
    # the instance's own untagged configuration and the extra one go; p-nb-auto-stop does not exist
    assert plan["removes"]["lifecycle_configs"] == ["extra", "old-config"]
    # a repository goes only when it carries the tags (a URL is no repository of the account)
    assert plan["removes"]["code_repositories"] == ["p-orphan-repo", "p-repo"]


def test_an_instance_without_every_tag_stays_with_what_it_uses():
    found = {"notebook_instances": [nb("p-nb", {"ManagedBy": "someone"}, "p-nb-auto-stop", ["p-repo"])],
             "lifecycle_configs": {"p-nb-auto-stop": TAG}, "code_repositories": {"p-repo": TAG}}
    plan = teardown.notebook_plan(found, TAG, prefix="p-")
    assert plan["removes"] == {"notebook_instances": [], "lifecycle_configs": [], "code_repositories": []}
    stays = "used by notebook instance p-nb, which stays"
    assert plan["kept"] == {"lifecycle_configs": {"p-nb-auto-stop": stays},
                            "code_repositories": {"p-repo": stays}}
