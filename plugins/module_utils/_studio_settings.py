# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Studio settings in the options' terms and in botocore's, written once (private: the leading underscore).

sagemaker_user_profile's ``user_settings`` (UserSettings), sagemaker_domain's ``default_space_settings``
(DefaultSpaceSettings) and ``domain_settings`` (DomainSettings / DomainSettingsForUpdate) are snake_case
option trees. Each tree is one table of fields: the option path, the botocore path, how a value is
compared. From the table come the argument_spec, the validation (one message naming the option path),
the request, the comparison and the update.

How AWS applies an update (UpdateUserProfile UserSettings, UpdateDomain DefaultUserSettings,
DefaultSpaceSettings, DomainSettingsForUpdate): a top-level member left out of the request keeps its value,
a member sent replaces the stored member whole (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
API_UpdateUserProfile.html, API_UpdateDomain.html; the developer guide's idle shutdown and default lifecycle
configuration examples send only JupyterLabAppSettings / JupyterServerAppSettings). So an update sends only
the members that differ, each whole: what is stored, with the options' values on top - settings the module
does not manage (code repositories, custom images, ...) are sent back as they are.

Only the keys an option gives are compared: a key left out is never drift.
"""

from __future__ import annotations

import copy
from collections import namedtuple
from collections.abc import Mapping

from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import same_role

# option: path of option names; path: path of botocore members; kind: str, int, set (a list compared as a
# set), role (a name or an ARN), status (a bool sent as ENABLED/DISABLED); rule: (option, value) -> message
Field = namedtuple("Field", "option path kind rule")

IDLE_RANGE = (60, 525600)  # botocore IdleSettings IdleTimeoutInMinutes min/max


def _each(rule):
    def check(option, values):
        return rules.first(*(rule(option, value) for value in values))
    return check


def _at_most(count, rule=None):
    def check(option, values):
        if len(values) > count:
            return f"{option}: {len(values)} given; allowed: at most {count}"
        return _each(rule)(option, values) if rule else None
    return check


def _security_groups(count):
    return _at_most(count, lambda option, value: rules.aws_id(option, value, "security group"))


def _idle_minutes(option, value):
    if IDLE_RANGE[0] <= value <= IDLE_RANGE[1]:
        return None
    return f"{option}: {value} is not allowed; allowed: {IDLE_RANGE[0]} to {IDLE_RANGE[1]}"


def _account(option, value):
    if isinstance(value, str) and value.isdigit() and len(value) == 12:
        return None
    return f"{option}: {value!r} is not allowed; allowed: a 12-digit AWS account ID"


RESOURCE_SPEC = (("instance_type", "InstanceType", rules.app_instance_type),
                 ("sagemaker_image_arn", "SageMakerImageArn", rules.sagemaker_image_arn),
                 ("lifecycle_config_arn", "LifecycleConfigArn", rules.studio_lifecycle_config_arn))
APPS = (("jupyter_lab", "JupyterLabAppSettings"), ("jupyter_server", "JupyterServerAppSettings"),
        ("kernel_gateway", "KernelGatewayAppSettings"))
IDLE = ("JupyterLabAppSettings", "AppLifecycleManagement", "IdleSettings")


def _app_fields():
    fields = [Field(("execution_role",), ("ExecutionRole",), "role", rules.role),
              Field(("security_group_ids",), ("SecurityGroups",), "set", _security_groups(5))]
    for app, member in APPS:
        for option, key, rule in RESOURCE_SPEC:
            fields.append(Field((app, "default_resource_spec", option), (member, "DefaultResourceSpec", key),
                                "str", rule))
        fields.append(Field((app, "lifecycle_config_arns"), (member, "LifecycleConfigArns"), "set",
                            _each(rules.studio_lifecycle_config_arn)))
    fields += [Field(("jupyter_lab", "idle_shutdown"), IDLE + ("LifecycleManagement",), "status", None),
               Field(("jupyter_lab", "idle_timeout_minutes"), IDLE + ("IdleTimeoutInMinutes",), "int",
                     _idle_minutes)]
    return tuple(fields)


# UserSettings (a user profile) and DefaultSpaceSettings (a domain's spaces) share these members
APP_SETTINGS = _app_fields()
# DomainSettings (CreateDomain) and DomainSettingsForUpdate (UpdateDomain) name these members alike
DOMAIN_SETTINGS = (
    Field(("security_group_ids",), ("SecurityGroupIds",), "set", _security_groups(3)),
    Field(("execution_role_identity_config",), ("ExecutionRoleIdentityConfig",), "str", None),
    Field(("docker_settings", "enable_docker_access"), ("DockerSettings", "EnableDockerAccess"), "status",
          None),
    Field(("docker_settings", "vpc_only_trusted_accounts"), ("DockerSettings", "VpcOnlyTrustedAccounts"),
          "set", _at_most(20, _account)),
)


# --- argument_spec ------------------------------------------------------------------------------------

def _resource_spec_spec():
    return dict(type="dict", options={option: dict(type="str") for option, _unused, _unused in RESOURCE_SPEC})


def _app_spec(idle=False):
    options = dict(default_resource_spec=_resource_spec_spec(),
                   lifecycle_config_arns=dict(type="list", elements="str"))
    if idle:
        options.update(idle_shutdown=dict(type="bool"), idle_timeout_minutes=dict(type="int"))
    return dict(type="dict", options=options)


def app_settings_spec():
    """The argument_spec of user_settings and default_space_settings."""
    return dict(type="dict", options=dict(
        execution_role=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        jupyter_lab=_app_spec(idle=True),
        jupyter_server=_app_spec(),
        kernel_gateway=_app_spec(),
    ))


def domain_settings_spec():
    return dict(type="dict", options=dict(
        security_group_ids=dict(type="list", elements="str"),
        execution_role_identity_config=dict(type="str", choices=["USER_PROFILE_NAME", "DISABLED"]),
        docker_settings=dict(type="dict", options=dict(enable_docker_access=dict(type="bool"),
                                                       vpc_only_trusted_accounts=dict(type="list",
                                                                                      elements="str"))),
    ))


def problem(name, value, spec, fields):
    """What a role's preflight says about a settings mapping (sagelab.sagemaker.input_problems): the
    module's own argument_spec check (unknown keys, types), then validate(); None when it passes."""
    if value in (None, {}):
        return None
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible.module_utils.errors import UnsupportedError

    result = ArgumentSpecValidator({name: spec}).validate({name: _plain(value)})
    if result.error_messages:
        found = [("unknown key " if isinstance(error, UnsupportedError) else "") + str(error)
                 for error in result.errors]
        return f"{name}: is not allowed: {'; '.join(found)}"
    return validate(name, result.validated_parameters[name], fields)


def _plain(value):
    """Templated values (ansible-core's lazy containers, tagged strings) as plain dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


# --- from the options -----------------------------------------------------------------------------------

def _get(tree, path):
    for key in path:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def given(options, fields):
    """[(field, value)] of every key the options give (None: left out)."""
    found = []
    for field in fields:
        value = _get(options, field.option)
        if value is not None:
            found.append((field, value))
    return found


def validate(name, options, fields):
    """The first message about options (name: the option's own name, e.g. user_settings), else None."""
    if options is None:
        return None
    values = {}
    for field, value in given(options, fields):
        path = ".".join((name,) + field.option)
        values[field.option] = value
        if field.rule:
            error = field.rule(path, value)
            if error:
                return error
    if values.get(("jupyter_lab", "idle_shutdown")) is False and \
            values.get(("jupyter_lab", "idle_timeout_minutes")) is not None:
        return (f"{name}.jupyter_lab.idle_timeout_minutes: given with {name}.jupyter_lab.idle_shutdown: "
                "false; allowed: only with idle shutdown on")
    return None


def _to_aws(field, value, resolve):
    if field.kind == "status":
        return "ENABLED" if value else "DISABLED"
    if field.kind == "set":
        return sorted(value)
    if field.kind == "role":
        return resolve(value)
    return value


def _put(tree, path, value):
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def to_request(values, resolve=lambda value: value):
    """The botocore structure of given(...) values; resolve turns a role name into its ARN."""
    request = {}
    for field, value in values:
        _put(request, field.path, _to_aws(field, value, resolve))
    return request


def _same(field, current, wanted):
    if field.kind == "role":
        return same_role(current, wanted)
    if field.kind == "set":
        return sorted(current or []) == sorted(wanted)
    return current == _to_aws(field, wanted, None)


def changed(current, values):
    """The given (field, value)s that differ from current (the described botocore structure)."""
    return [(field, value) for field, value in values if not _same(field, _get(current, field.path), value)]


def update(current, values, differing, resolve=lambda value: value):
    """The members to send so that current becomes what values ask, when differing (changed(...)) is not
    empty: each top-level member with a difference, whole - what is stored, the given values on top."""
    tops = {field.path[0] for field, _unused in differing}
    wanted = to_request([(f, v) for f, v in values if f.path[0] in tops], resolve)
    request = {}
    for top in sorted(tops):
        stored = (current or {}).get(top)
        if isinstance(wanted[top], dict) and isinstance(stored, dict):
            request[top] = _merge(copy.deepcopy(stored), wanted[top])
        else:
            request[top] = wanted[top]
    return request


def _merge(stored, wanted):
    for key, value in wanted.items():
        if isinstance(value, dict) and isinstance(stored.get(key), dict):
            _merge(stored[key], value)
        else:
            stored[key] = value
    return stored


def names(name, fields_values):
    """The option paths of (field, value)s, e.g. user_settings.jupyter_lab.default_resource_spec.instance_type
    (name empty: options of the module's own)."""
    return [".".join(((name,) if name else ()) + field.option) for field, _unused in fields_values]


def view(current, values, after=None):
    """The options tree of current's values at the given keys (before); with after ((field, value)s that
    change), the tree after the change."""
    tree = {}
    changes = {field.option: value for field, value in (after or [])}
    for field, _unused in values:
        value = _get(current, field.path)
        if field.option in changes:
            value = changes[field.option]
            value = sorted(value) if field.kind == "set" else value
        elif field.kind == "status" and value is not None:
            value = value == "ENABLED"
        elif field.kind == "set" and value is not None:
            value = sorted(value)
        _put(tree, field.option, value)
    return tree
