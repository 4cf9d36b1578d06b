"""The Studio settings mapping of plugins/module_utils/_studio_settings.py, in-process: options -> botocore
structures, validation naming the option path, comparison of only the given keys, and updates that send
each differing member whole. Milliseconds, no sandbox."""

from __future__ import annotations

import sys

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _studio_settings as studio  # noqa: E402

LCC = "arn:aws:sagemaker:eu-west-1:123456789012:studio-lifecycle-config/setup"
ROLE_ARN = "arn:aws:iam::123456789012:role/sagelab-alice"
OPTIONS = {"execution_role": "sagelab-alice", "security_group_ids": ["sg-2", "sg-1"],
           "jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.medium",
                                                     "lifecycle_config_arn": LCC},
                           "lifecycle_config_arns": [LCC], "idle_shutdown": True},
           "kernel_gateway": {"default_resource_spec": {"instance_type": "ml.m5.large"}}}


def resolve(role: str) -> str:
    return role if role.startswith("arn:") else f"arn:aws:iam::123456789012:role/{role}"


def test_options_map_onto_the_botocore_shape_with_only_the_given_keys():
    request = studio.to_request(studio.given(OPTIONS, studio.APP_SETTINGS), resolve)
    assert request == {
        "ExecutionRole": ROLE_ARN,
        "SecurityGroups": ["sg-1", "sg-2"],
        "JupyterLabAppSettings": {
            "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": LCC},
            "LifecycleConfigArns": [LCC],
            "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "ENABLED"}}},
        "KernelGatewayAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}}}
    # the whole request is what botocore's model takes (the sandbox checks the same model)
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    assert set(request) <= set(model.shape_for("UserSettings").members)
    assert set(request) <= set(model.shape_for("DefaultSpaceSettings").members)
    docker = studio.to_request(studio.given({"docker_settings": {"enable_docker_access": False},
                                             "security_group_ids": ["sg-9"]}, studio.DOMAIN_SETTINGS))
    assert docker == {"DockerSettings": {"EnableDockerAccess": "DISABLED"}, "SecurityGroupIds": ["sg-9"]}
    assert set(docker) <= set(model.shape_for("DomainSettingsForUpdate").members)


def test_the_argument_spec_takes_the_options():
    spec = {"user_settings": studio.app_settings_spec(), "domain_settings": studio.domain_settings_spec()}
    result = ArgumentSpecValidator(spec).validate({"user_settings": OPTIONS, "domain_settings": {
        "execution_role_identity_config": "USER_PROFILE_NAME"}})
    assert result.error_messages == []
    assert result.validated_parameters["user_settings"]["jupyter_server"] is None
    refused = ArgumentSpecValidator(spec).validate({"user_settings": {"jupyter_lab": {"instance_type": "x"}}})
    assert refused.error_messages, "instance_type belongs in default_resource_spec"


def test_validation_names_the_option_path():
    def message(options, fields=studio.APP_SETTINGS, name="user_settings"):
        return studio.validate(name, options, fields)

    assert message(OPTIONS) is None and message(None) is None
    assert message({"jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.tiny"}}}).startswith(
        "user_settings.jupyter_lab.default_resource_spec.instance_type: 'ml.t3.tiny' is not allowed; "
        "allowed: a Studio app instance type, one of the")
    assert message({"kernel_gateway": {"default_resource_spec": {"lifecycle_config_arn": "arn:aws:x"}}},
                   name="default_space_settings").startswith(
        "default_space_settings.kernel_gateway.default_resource_spec.lifecycle_config_arn: 'arn:aws:x' is "
        "not allowed; allowed: a Studio lifecycle configuration ARN")
    assert message({"security_group_ids": ["sg-1"] * 6}) == \
        "user_settings.security_group_ids: 6 given; allowed: at most 5"
    assert message({"security_group_ids": ["sg-1"] * 4}, studio.DOMAIN_SETTINGS, "domain_settings") == \
        "domain_settings.security_group_ids: 4 given; allowed: at most 3"
    assert message({"docker_settings": {"vpc_only_trusted_accounts": ["12345"]}}, studio.DOMAIN_SETTINGS,
                   "domain_settings") == ("domain_settings.docker_settings.vpc_only_trusted_accounts: "
                                          "'12345' is not allowed; allowed: a 12-digit AWS account ID")
    assert message({"jupyter_lab": {"idle_timeout_minutes": 59}}) == \
        "user_settings.jupyter_lab.idle_timeout_minutes: 59 is not allowed; allowed: 60 to 525600"
    assert message({"execution_role": "arn:aws:iam::1:role/x"}).startswith("user_settings.execution_role:")


def test_only_given_keys_are_compared_and_a_change_sends_its_member_whole():
    stored = {"ExecutionRole": ROLE_ARN, "SecurityGroups": ["sg-1", "sg-2"],
              "JupyterLabAppSettings": {
                  "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": LCC},
                  "LifecycleConfigArns": [LCC], "CodeRepositories": [{"RepositoryUrl": "https://x.example/r"}],
                  "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "ENABLED",
                                                              "IdleTimeoutInMinutes": 60}}},
              "KernelGatewayAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}}}
    values = studio.given(OPTIONS, studio.APP_SETTINGS)
    assert studio.changed(stored, values) == []  # a role name matches its ARN; groups are a set
    assert studio.changed(stored, studio.given({"jupyter_lab": {"idle_shutdown": True}},
                                               studio.APP_SETTINGS)) == []  # the timeout was left out

    options = {**OPTIONS, "jupyter_lab": {**OPTIONS["jupyter_lab"], "idle_timeout_minutes": 120}}
    values = studio.given(options, studio.APP_SETTINGS)
    differing = studio.changed(stored, values)
    assert studio.names("user_settings", differing) == ["user_settings.jupyter_lab.idle_timeout_minutes"]
    assert studio.names("", differing) == ["jupyter_lab.idle_timeout_minutes"]
    request = studio.update(stored, values, differing, resolve)
    assert list(request) == ["JupyterLabAppSettings"]  # only the member that differs
    lab = request["JupyterLabAppSettings"]
    assert lab["AppLifecycleManagement"]["IdleSettings"] == {"LifecycleManagement": "ENABLED",
                                                             "IdleTimeoutInMinutes": 120}
    assert lab["CodeRepositories"] == stored["JupyterLabAppSettings"]["CodeRepositories"]  # kept
    assert stored["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"][
        "IdleTimeoutInMinutes"] == 60, "the described settings are not changed in place"

    before = studio.view(stored, values)
    after = studio.view(stored, values, after=differing)
    assert before["jupyter_lab"]["idle_timeout_minutes"] == 60
    assert after["jupyter_lab"]["idle_timeout_minutes"] == 120
    assert after["jupyter_lab"]["idle_shutdown"] is True and after["security_group_ids"] == ["sg-1", "sg-2"]


def test_an_empty_stored_member_is_created_and_a_role_is_resolved_only_when_it_differs():
    resolved = []

    def tracking(role):
        resolved.append(role)
        return resolve(role)

    values = studio.given({"execution_role": "other", "jupyter_server": {"lifecycle_config_arns": [LCC]}},
                          studio.APP_SETTINGS)
    differing = studio.changed({"ExecutionRole": ROLE_ARN}, values)
    request = studio.update({"ExecutionRole": ROLE_ARN}, values, differing, tracking)
    assert request == {"ExecutionRole": "arn:aws:iam::123456789012:role/other",
                       "JupyterServerAppSettings": {"LifecycleConfigArns": [LCC]}}
    assert resolved == ["other"]


def test_a_roles_preflight_checks_a_mapping_as_the_module_does():
    from ansible_collections.sagelab.sagemaker.plugins.plugin_utils._preflight_rules import VARIABLE_RULES

    check = VARIABLE_RULES["studio"]["studio_user_settings"]
    assert check("studio_user_settings", {}) is None and check("studio_user_settings", OPTIONS) is None
    assert check("studio_user_settings", {"jupyter_lab": {"foo": 1}}).startswith(
        "studio_user_settings: is not allowed: unknown key studio_user_settings.jupyter_lab.foo")
    bad_type = {"jupyter_lab": {"default_resource_spec": {"instance_type": "x"}}}
    assert check("studio_user_settings", bad_type).startswith(
        "studio_user_settings.jupyter_lab.default_resource_spec.instance_type: 'x' is not allowed")
    domain = VARIABLE_RULES["studio"]["studio_domain_settings"]
    assert domain("studio_domain_settings", {"execution_role_identity_config": "ON"}).startswith(
        "studio_domain_settings: is not allowed: value of execution_role_identity_config must be one of")
