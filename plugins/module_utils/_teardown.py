# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""The names sagelab gives what it makes, and the teardown's plan (private: the leading underscore).

Declared once here and read everywhere: the roles (through the filters of plugins/filter/names.py), the
sagelab_teardown_plan module and the tests.

- Names: the project bucket (sagelab-<account>-<region> unless named), a notebook instance's idle
  auto-stop lifecycle configuration (<instance>-auto-stop) and its
  EventBridge Scheduler schedules (<instance>-stop-weeknight, -stop-weekend, -start-morning).
- The plan: which of the resources found carry the teardown's tags within its name prefix, which of the
  things they use go with them, which stay (and why), and the order in which the kinds are removed
  (a dependency graph, sorted here).

Pure Python on plain data (no AWS call, no Ansible import): the module gathers the data, this decides.
"""

from __future__ import annotations

AUTO_STOP_SUFFIX = "auto-stop"

# The schedules the cost_controls role makes per notebook instance: kind -> (name suffix, API it calls).
SCHEDULES = {
    "weeknight_stop": ("stop-weeknight", "stopNotebookInstance"),
    "weekend_stop": ("stop-weekend", "stopNotebookInstance"),
    "morning_start": ("start-morning", "startNotebookInstance"),
}
SCHEDULE_NAME_MAX = 64  # EventBridge Scheduler: Name, 1 to 64 characters
# The longest notebook instance name whose schedule names all fit: 64 - 1 - len("stop-weeknight") = 49.
SCHEDULED_INSTANCE_NAME_MAX = SCHEDULE_NAME_MAX - 1 - max(len(suffix) for suffix, _api in SCHEDULES.values())


def bucket_name(given, account, region):
    """The project bucket: the name given, else the one the s3_bucket role makes, sagelab-<account>-<region>
    (which the execution_role and iam_users roles then grant access to)."""
    return given or f"sagelab-{account}-{region}"


def auto_stop_config_name(instance):
    """The idle auto-stop lifecycle configuration the notebook_instance role makes for an instance."""
    return f"{instance}-{AUTO_STOP_SUFFIX}"


def schedule_suffix(kind):
    if kind not in SCHEDULES:
        raise ValueError(f"schedule kind {kind!r} is not known; known: {', '.join(SCHEDULES)}")
    return SCHEDULES[kind][0]


def schedule_name(instance, kind):
    """The name of the schedule of this kind the cost_controls role makes for an instance."""
    return f"{instance}-{schedule_suffix(kind)}"


def schedule_names(instance):
    return [schedule_name(instance, kind) for kind in SCHEDULES]


# --- the plan ---------------------------------------------------------------------------------------

# What must be gone before each kind can go (AWS refuses, or what remains breaks). Declared in the order
# the teardown has always used; removal_order() keeps it wherever the dependencies allow.
DEPENDS = {
    "schedules": [],
    # a schedule whose instance is gone fails on every run: schedules first
    "notebook_instances": ["schedules"],
    # an instance's configuration and repositories cannot go while it uses them
    "lifecycle_configs": ["notebook_instances"],
    "code_repositories": ["notebook_instances"],
    # DeleteEndpointConfig / DeleteModel of what a live endpoint uses: endpoints first
    "endpoints": [],
    "endpoint_configs": ["endpoints"],
    "models": ["endpoints"],
    # DeleteDomain refuses a domain with user profiles or spaces; those refuse while their apps run
    "studio_apps": [],
    "studio_spaces": ["studio_apps"],
    "studio_user_profiles": ["studio_apps", "studio_spaces"],
    "studio_domains": ["studio_user_profiles", "studio_spaces", "studio_apps"],
    # the roles the instances, models, domains and schedules run as: after all of them
    "iam_roles": ["schedules", "notebook_instances", "models", "studio_domains"],
    # DeletePolicy refuses a policy still attached (DeleteConflict): detached with its role first
    "iam_role_policies": ["iam_roles"],
    "buckets": ["notebook_instances", "studio_domains"],
    "iam_users": [],
    # DeleteGroup refuses a group with members; the users' policy is attached to the group
    "iam_group": ["iam_users"],
    "iam_managed_policy": ["iam_group", "iam_users"],
}


def removal_order(depends=None):
    """The kinds in an order in which each comes after everything it depends on; among kinds free to go,
    the order they are declared in. ValueError on a cycle or an unknown dependency."""
    depends = DEPENDS if depends is None else depends
    for kind, before in depends.items():
        unknown = [b for b in before if b not in depends]
        if unknown:
            raise ValueError(f"{kind} depends on unknown kinds: {', '.join(unknown)}")
    order, done = [], set()
    while len(order) < len(depends):
        ready = [k for k, before in depends.items() if k not in done and all(b in done for b in before)]
        if not ready:
            stuck = [k for k in depends if k not in done]
            raise ValueError(f"the dependencies form a cycle among: {', '.join(stuck)}")
        order.append(ready[0])
        done.add(ready[0])
    return order


def carries(tags, wanted):
    """Whether tags hold every wanted key with its value."""
    tags = tags or {}
    return all(tags.get(str(key)) == str(value) for key, value in wanted.items())


def _users(notebooks, attribute):
    """name -> the instances that use it (attribute: lifecycle_config or code_repositories)."""
    used = {}
    for notebook in notebooks:
        values = notebook.get(attribute) or []
        for value in [values] if isinstance(values, str) else values:
            if value:
                used.setdefault(value, []).append(notebook["name"])
    return used


def _dependents(existing, candidates, notebooks, removed, attribute):
    """(removed, kept) of the existing resources of a kind: candidates go unless an instance that stays
    uses them (kept says which)."""
    used = _users(notebooks, attribute)
    gone, kept = [], {}
    for name in sorted(set(candidates)):
        if name not in existing:
            continue
        staying = sorted(user for user in used.get(name, []) if user not in removed)
        if staying:
            kept[name] = f"used by notebook instance {', '.join(staying)}, which stays"
        else:
            gone.append(name)
    return gone, kept


def notebook_plan(found, wanted, prefix="", extra_lifecycle_configs=()):
    """What of the notebook side goes and what stays.

    found: notebook_instances - every instance of the region as {name, tags, lifecycle_config,
    code_repositories}; lifecycle_configs / code_repositories - name -> tags of every one that exists
    (tags may be {} for those outside the prefix).

    Goes: the instances that carry the tags and start with prefix; the lifecycle configurations they use,
    their auto-stop configurations, extra_lifecycle_configs, and every configuration that carries the tags
    and starts with prefix (an orphan: no instance uses it); the code repositories they use and the tagged
    ones in the prefix, but only those carrying the tags (a repository is someone's Git registration) -
    never one that an instance that stays uses (kept, with the reason).
    """
    notebooks = found.get("notebook_instances") or []
    removed = sorted(n["name"] for n in notebooks
                     if n["name"].startswith(prefix) and carries(n.get("tags"), wanted))
    gone = set(removed)
    mine = [n for n in notebooks if n["name"] in gone]

    configs = found.get("lifecycle_configs") or {}
    config_candidates = ([n.get("lifecycle_config") for n in mine if n.get("lifecycle_config")]
                         + [auto_stop_config_name(name) for name in removed] + list(extra_lifecycle_configs)
                         + [name for name, tags in configs.items()
                            if name.startswith(prefix) and carries(tags, wanted)])
    lifecycle, lifecycle_kept = _dependents(configs, config_candidates, notebooks, gone,
                                            "lifecycle_config")

    repositories = found.get("code_repositories") or {}
    repository_candidates = [r for r in _users(mine, "code_repositories") if not r.startswith("https://")]
    repository_candidates += [name for name in repositories if name.startswith(prefix)]
    repository_candidates = [r for r in repository_candidates if carries(repositories.get(r), wanted)]
    repos, repos_kept = _dependents(repositories, repository_candidates, notebooks, gone,
                                    "code_repositories")
    return {"removes": {"notebook_instances": removed, "lifecycle_configs": lifecycle,
                        "code_repositories": repos},
            "stays": {"lifecycle_configs": lifecycle_kept, "code_repositories": repos_kept}}


def schedules_plan(removed_notebooks, targets):
    """The schedules to delete: those named as cost_controls names them for a removed instance whose target
    is that instance. targets: schedule name -> the NotebookInstanceName its target input names (for the
    schedules that exist)."""
    return sorted(name for notebook in removed_notebooks for name in schedule_names(notebook)
                  if name in targets and targets[name] == notebook)


def studio_plan(domains, wanted, prefix="", delete_data=False):
    """domains: {name, tags, home_efs, apps, spaces, user_profiles} of each domain. The tagged ones in the
    prefix go with their apps, spaces and user profiles; their home EFS volumes stay unless delete_data."""
    mine = sorted((d for d in domains if d["name"].startswith(prefix) and carries(d.get("tags"), wanted)),
                  key=lambda d: d["name"])
    return {"removes": {"studio_apps": [a for d in mine for a in d.get("apps") or []],
                        "studio_spaces": [s for d in mine for s in d.get("spaces") or []],
                        "studio_user_profiles": [p for d in mine for p in d.get("user_profiles") or []],
                        "studio_domains": [d["name"] for d in mine]},
            "kept": {"studio_home_efs": [] if delete_data
                     else [d["home_efs"] for d in mine if d.get("home_efs")]}}


def iam_plan(found, wanted, prefix="", group="", users_policy="", delete_data=False):
    """found: roles - name -> {path, tags, policies: [customer managed policy names attached]}; users - name
    -> tags; buckets - name -> tags; group_members - the users of the data scientists' group; policies -
    name -> tags of the customer managed policies read.

    Goes: the roles and users that carry the tags in the prefix (service-linked roles never); the customer
    managed policies of those roles that carry the tags; the group (IAM groups cannot be tagged) when its
    members are all users that go and its name is in the prefix; the users' policy when it carries the tags
    and its name is in the prefix; the tagged buckets in the prefix only with delete_data (else kept)."""
    def mine(items):
        return sorted(name for name, tags in items.items()
                      if name.startswith(prefix) and carries(tags, wanted))

    roles = sorted(name for name, role in (found.get("roles") or {}).items()
                   if name.startswith(prefix) and carries(role.get("tags"), wanted)
                   and not (role.get("path") or "/").startswith("/aws-service-role/"))
    users = mine(found.get("users") or {})
    policies = found.get("policies") or {}
    role_policies = sorted({p for r in roles for p in found["roles"][r].get("policies") or []
                            if p != users_policy and carries(policies.get(p), wanted)})
    members = found.get("group_members") or []
    group_goes = bool(members) and set(members) <= set(users) and group.startswith(prefix)
    policy_goes = bool(users_policy) and users_policy.startswith(prefix) \
        and carries(policies.get(users_policy), wanted)
    buckets = mine(found.get("buckets") or {})
    return {"removes": {"iam_roles": roles, "iam_role_policies": role_policies,
                        "buckets": buckets if delete_data else [], "iam_users": users,
                        "iam_group": [group] if group_goes else [],
                        "iam_managed_policy": [users_policy] if policy_goes else []},
            "kept": {"buckets": [] if delete_data else buckets}}


def plan(parts):
    """One plan of the parts (each {removes, kept?, stays?}): every kind of DEPENDS in removes (empty when
    none goes), kept and stays merged, and the order of the kinds."""
    removes = dict.fromkeys(DEPENDS, [])
    kept, stays = {}, {}
    for part in parts:
        removes.update(part["removes"])
        kept.update(part.get("kept") or {})
        stays.update(part.get("stays") or {})
    return {"order": removal_order(), "removes": removes, "kept": kept, "stays": stays}


# --- discovery helpers shared by the modules (they take the module's SageMakerApi) -------------------

# Each inference kind, in the order it must go: its List* call and list key, the name and ARN keys of an
# item, and its Delete* call.
INFERENCE_KINDS = {
    "endpoints": {"list": "list_endpoints", "items": "Endpoints", "name": "EndpointName",
                  "arn": "EndpointArn", "delete": "delete_endpoint"},
    "endpoint_configs": {"list": "list_endpoint_configs", "items": "EndpointConfigs",
                         "name": "EndpointConfigName", "arn": "EndpointConfigArn",
                         "delete": "delete_endpoint_config"},
    "models": {"list": "list_models", "items": "Models", "name": "ModelName", "arn": "ModelArn",
               "delete": "delete_model"},
}


def tagged_inference(api, wanted, prefix=""):
    """Each inference kind's names that start with prefix and carry every wanted tag (tags read only for
    the names in the prefix)."""
    found = {}
    for key, kind in INFERENCE_KINDS.items():
        found[key] = sorted(item[kind["name"]] for item in api.paginate(kind["list"], kind["items"])
                            if item[kind["name"]].startswith(prefix)
                            and carries(api.tags(item[kind["arn"]]), wanted))
    return found
