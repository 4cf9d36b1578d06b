# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The suboptions of the Studio app settings, written once: sagemaker_user_profile's ``user_settings``
(UserSettings) and sagemaker_domain's ``default_space_settings`` (DefaultSpaceSettings) are one option tree
(plugins/module_utils/_studio_settings.py APP_SETTINGS / app_settings_spec()).

ansible-core merges a fragment's options into the module's one level deep: an option the module documents
too keeps the module's keys (its description and type) and takes the fragment's ``suboptions``. So each
module documents its option's own description and extends this fragment under the option's name
(``sagelab.sagemaker.studio_settings.user_settings`` / ``.default_space_settings``); both come from one
template. tests/unit/test_doc_fragments.py checks the merged suboptions against app_settings_spec().
"""

from __future__ import annotations

# {name}: the option; {member}: its botocore member; {whose}: whose apps; {who}: who may run a configuration
_APP_SETTINGS = r"""
options:
  {name}:
    suboptions:
      execution_role:
        description: The execution role of {whose} apps ({member} ExecutionRole) - a role ARN or a role name.
        type: str
      security_group_ids:
        description: Security groups of {whose} apps ({member} SecurityGroups, up to 5), compared as a set.
        type: list
        elements: str
      jupyter_lab:
        description: JupyterLab apps ({member} JupyterLabAppSettings).
        type: dict
        suboptions:
          default_resource_spec:
            description: What a new JupyterLab app runs on (DefaultResourceSpec).
            type: dict
            suboptions: &resource_spec
              instance_type:
                description:
                  - The app's instance type (InstanceType), one of botocore's AppInstanceType values, e.g.
                    V(ml.t3.medium) or V(system).
                type: str
              sagemaker_image_arn:
                description:
                  - The SageMaker image the app runs (SageMakerImageArn),
                    C(arn:aws:sagemaker:<region>:<account>:image/<name>).
                type: str
              lifecycle_config_arn:
                description:
                  - The lifecycle configuration run by default (LifecycleConfigArn),
                    C(arn:aws:sagemaker:<region>:<account>:studio-lifecycle-config/<name>). It must also
                    be one of the app's C(lifecycle_config_arns) on AWS.
                type: str
          lifecycle_config_arns:
            description:
              - The Studio lifecycle configurations {who} may run (LifecycleConfigArns), compared as a set.
            type: list
            elements: str
          idle_shutdown:
            description:
              - Whether JupyterLab apps shut down when idle (AppLifecycleManagement IdleSettings
                LifecycleManagement). Omitted - left as it is.
            type: bool
          idle_timeout_minutes:
            description:
              - Minutes of idleness before a JupyterLab app shuts down, 60 to 525600 (IdleTimeoutInMinutes).
            type: int
      jupyter_server:
        description: Jupyter server apps of Studio Classic ({member} JupyterServerAppSettings).
        type: dict
        suboptions: &app
          default_resource_spec:
            description: What a new app runs on (DefaultResourceSpec).
            type: dict
            suboptions: *resource_spec
          lifecycle_config_arns:
            description:
              - The Studio lifecycle configurations {who} may run (LifecycleConfigArns), compared as a set.
            type: list
            elements: str
      kernel_gateway:
        description: Kernel gateway apps of Studio Classic ({member} KernelGatewayAppSettings).
        type: dict
        suboptions: *app
"""


def _app_settings(name, member, whose, who):
    return _APP_SETTINGS.format(name=name, member=member, whose=whose, who=who)


class ModuleDocFragment:
    # Built from the one template above when the fragment loader makes the fragment (as amazon.aws's boto3
    # fragment builds its requirements); validate-modules, ansible-doc and antsibull-docs read the merged
    # documentation.
    def __init__(self):
        self.USER_SETTINGS = _app_settings("user_settings", "UserSettings", "the profile's", "the user")
        self.DEFAULT_SPACE_SETTINGS = _app_settings("default_space_settings", "DefaultSpaceSettings",
                                                    "the spaces'", "spaces")
