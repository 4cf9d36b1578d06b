"""The teardown's plan (plugins/module_utils/_teardown.py), in-process: the removal order respects every
dependency, the names the roles give what they make, and which lifecycle configurations and code
repositories go with the notebook instances or stay."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
import yaml

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
    assert plan["stays"]["lifecycle_configs"] == {
        "p-shared": "used by notebook instance p-stray, which stays"}
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
    assert plan["stays"] == {"lifecycle_configs": {"p-nb-auto-stop": stays},
                             "code_repositories": {"p-repo": stays}}


def test_schedules_go_only_with_their_names_and_their_instance_as_target():
    targets = {"p-nb-stop-weeknight": "p-nb", "p-nb-stop-weekend": "p-nb",
               "p-nb-start-morning": "someone-else",  # a name like ours, another target: stays
               "p-nb-nightly": "p-nb"}  # not a name cost_controls gives
    assert teardown.schedules_plan(["p-nb"], targets) == ["p-nb-stop-weekend", "p-nb-stop-weeknight"]
    assert teardown.schedules_plan([], targets) == []


def test_studio_domains_go_with_their_apps_spaces_and_profiles_and_keep_home_efs_unless_delete_data():
    domains = [{"name": "p-studio", "tags": TAG, "home_efs": "fs-1", "apps": ["JupyterLab/default"],
                "spaces": ["shared"], "user_profiles": ["alice"]},
               {"name": "p-untagged", "tags": {}, "home_efs": "fs-2"},
               {"name": "q-studio", "tags": TAG, "home_efs": "fs-3", "apps": [], "spaces": [],
                "user_profiles": []}]
    studio = teardown.studio_plan(domains, TAG, prefix="p-")
    assert studio["removes"] == {"studio_apps": ["JupyterLab/default"], "studio_spaces": ["shared"],
                                 "studio_user_profiles": ["alice"], "studio_domains": ["p-studio"]}
    assert studio["kept"] == {"studio_home_efs": ["fs-1"]}
    deleted = teardown.studio_plan(domains, TAG, prefix="p-", delete_data=True)
    assert deleted["kept"] == {"studio_home_efs": []}


def iam_found(members):
    return {"roles": {"p-exec": {"path": "/", "tags": TAG,
                                 "policies": ["p-exec-policy", "shared-untagged"]},
                      "p-linked": {"path": "/aws-service-role/sagemaker.amazonaws.com/", "tags": TAG},
                      "p-theirs": {"path": "/", "tags": {}, "policies": ["p-their-policy"]}},
            "users": {"p-alice": TAG, "p-bob": {}},
            "policies": {"p-exec-policy": TAG, "shared-untagged": {}, "p-users-policy": TAG,
                         "p-their-policy": TAG},
            "group_members": members, "buckets": {"p-data": TAG, "p-theirs": {}}}


def test_iam_roles_users_policies_go_by_tag_and_the_untaggable_group_by_its_members():
    iam = teardown.iam_plan(iam_found(["p-alice"]), TAG, "p-", group="p-users", users_policy="p-users-policy")
    assert iam["removes"] == {"iam_roles": ["p-exec"], "iam_role_policies": ["p-exec-policy"], "buckets": [],
                              "iam_users": ["p-alice"], "iam_group": ["p-users"],
                              "iam_managed_policy": ["p-users-policy"]}
    assert iam["kept"] == {"buckets": ["p-data"]}
    # someone else in the group: it stays; a group outside the prefix stays too
    shared = teardown.iam_plan(iam_found(["p-alice", "p-bob"]), TAG, "p-", "p-users", "p-users-policy")
    assert shared["removes"]["iam_group"] == []
    outside = teardown.iam_plan(iam_found(["p-alice"]), TAG, "p-", "users", "p-users-policy")
    assert outside["removes"]["iam_group"] == []
    with_data = teardown.iam_plan(iam_found([]), TAG, "p-", "p-users", "p-users-policy", delete_data=True)
    assert (with_data["removes"]["buckets"], with_data["kept"]["buckets"]) == (["p-data"], [])
    assert with_data["removes"]["iam_group"] == []  # an empty group (e.g. the second run) is not proven ours


def test_one_plan_names_every_kind_in_order():
    merged = teardown.plan([{"removes": {"schedules": ["a"]}},
                            {"removes": {"iam_users": ["u"]}, "kept": {"buckets": ["b"]}}])
    assert merged["order"] == teardown.removal_order()
    assert list(merged["removes"]) == list(teardown.DEPENDS)
    assert (merged["removes"]["schedules"], merged["removes"]["iam_users"], merged["removes"]["models"]) == \
        (["a"], ["u"], [])
    assert merged["kept"] == {"buckets": ["b"]}


def test_the_playbook_removes_in_the_plans_order_and_derives_no_name():
    """playbooks/teardown.yml applies the plan: each removal task loops over (or tests) one kind of
    teardown_removes, and the kinds come in removal_order(); no name suffix is spelled out in it."""
    text = (REPO / "playbooks" / "teardown.yml").read_text()
    tasks = yaml.safe_load(text)[0]["tasks"]
    kinds = []
    for task in tasks:
        if task["name"].startswith("Ensure "):
            found = re.findall(r"teardown_removes\.(\w+)", json.dumps(task))
            assert found, task["name"]
            kinds.append(found[0])
    order = teardown.removal_order()
    positions = [order.index(kind) for kind in kinds]
    assert positions == sorted(positions), kinds
    by_their_parent = {"endpoint_configs", "models", "studio_apps", "studio_spaces", "studio_user_profiles"}
    assert set(kinds) | by_their_parent == set(order)
    content = json.dumps(yaml.safe_load(text))  # the plays, without their comments
    for suffix in [teardown.AUTO_STOP_SUFFIX] + [s for s, _api in teardown.SCHEDULES.values()]:
        assert suffix not in content, suffix


def test_the_roles_read_the_names_from_here():
    limit = yaml.safe_load((REPO / "roles" / "cost_controls" / "vars" / "main.yml").read_text())
    assert "cost_controls_max_instance_name" not in limit  # the preflight reads SCHEDULED_INSTANCE_NAME_MAX
    assert [k["kind"] for k in limit["cost_controls_kinds"]] == list(teardown.SCHEDULES)
    defaults = (REPO / "roles" / "notebook_instance" / "defaults" / "main.yml").read_text()
    assert "notebook_instance_name | sagelab.sagemaker.auto_stop_config_name" in defaults
    for path in [*(REPO / "roles").rglob("*.yml"), REPO / "playbooks" / "teardown.yml"]:
        text = path.read_text()
        assert "-auto-stop\"" not in text and "}}-auto-stop" not in text, path
        assert not re.search(r"suffix: (stop|start)-", text), path


def test_the_cli_reads_the_same_declaration_and_spells_no_name_out():
    from sagelab import names

    assert names.schedule_name("nb", "weekend_stop") == teardown.schedule_name("nb", "weekend_stop")
    assert names.scheduled_instance_name_max() == teardown.SCHEDULED_INSTANCE_NAME_MAX
    for path in (REPO / "src" / "sagelab").glob("*.py"):
        code = path.read_text()
        for suffix, _api in teardown.SCHEDULES.values():
            assert f'"{suffix}"' not in code and f"-{suffix}" not in code, (path, suffix)
