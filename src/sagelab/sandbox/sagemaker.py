"""SageMaker in the sandbox: the calls moto 5.2.5 lacks (UpdateNotebookInstance, code repositories,
Studio user profiles, apps and spaces, ...), notebook and Studio status transitions that take time, and
AWS's state rules, each citing the API reference it follows (API_<Operation>.html stands for
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_<Operation>.html). Attached to moto's classes
by patch()."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import (
    Domain,
    FakeSagemakerNotebookInstance,
    FakeSageMakerNotebookInstanceLifecycleConfig,
    SageMakerModelBackend,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from sagelab.sandbox.common import NOTEBOOK_MODEL, copy_members, transition_seconds

_DELETED = "Deleted"  # internal final status of a deleted notebook instance; AWS never reports it
_NOTEBOOK_TRANSITIONS: list[tuple[str | None, str]] = [
    ("Pending", "InService"),
    ("Stopping", "Stopped"),
    ("Updating", "Stopped"),
    ("Deleting", _DELETED),
]


# --- notebook instance status through moto's state manager ----------------------------------------

class NotebookInstanceState(ManagedState):
    """A notebook instance's status, advanced by moto's state manager (after a delay, by default).

    Reading the status advances it; /moto-api/state-manager/set-transition with model_name
    NOTEBOOK_MODEL changes the pace at run time (e.g. {"progression": "immediate"}).
    """

    def __init__(self) -> None:
        super().__init__(NOTEBOOK_MODEL, _NOTEBOOK_TRANSITIONS)

    def enter(self, status: str) -> None:
        """Enter status now: its delay counts from this moment, not from the previous transition."""
        self._status = status
        self._time_progressed = datetime.now()


def _notebook_state(notebook: FakeSagemakerNotebookInstance) -> NotebookInstanceState:
    state = notebook.__dict__.get("_sagelab_state")
    if state is None:
        state = notebook.__dict__["_sagelab_state"] = NotebookInstanceState()
    return cast(NotebookInstanceState, state)


def _get_notebook_status(notebook: FakeSagemakerNotebookInstance) -> str:
    status = _notebook_state(notebook).status or "Pending"
    return "Deleting" if status == _DELETED else status  # swept away by the backend, never reported


def _set_notebook_status(notebook: FakeSagemakerNotebookInstance, status: str) -> None:
    _notebook_state(notebook).enter(status)


def _notebook_start(notebook: FakeSagemakerNotebookInstance) -> None:
    notebook.status = "Pending"
    notebook.__dict__.pop("failure_reason", None)


def _notebook_stop(notebook: FakeSagemakerNotebookInstance) -> None:
    notebook.status = "Stopping"


def _instance_type_checked_against_model(notebook: FakeSagemakerNotebookInstance, instance_type: str) -> None:
    """moto's own list of instance types is a subset of AWS's; every request is checked against the real
    enum (model_violations)."""


_moto_notebook_to_dict = FakeSagemakerNotebookInstance.to_dict
_moto_domain_describe = Domain.describe


def _notebook_to_dict(notebook: FakeSagemakerNotebookInstance) -> dict[str, Any]:
    """moto's description plus the fields it does not model, kept in the instance's __dict__."""
    described = _moto_notebook_to_dict(notebook)
    extras = notebook.__dict__
    failed = described["NotebookInstanceStatus"] == "Failed"
    described.update(
        FailureReason=extras.get("failure_reason") if failed else None,
        PlatformIdentifier=extras.get("platform_identifier"),
        InstanceMetadataServiceConfiguration=extras.get("instance_metadata_service_configuration"),
        IpAddressType=extras.get("ip_address_type"),
    )
    return described


def domain_clock(domain: Domain) -> Transitioning | None:
    return cast(Transitioning | None, domain.__dict__.get("_sagelab_clock"))


def _get_domain_status(domain: Domain) -> str:
    clock = domain_clock(domain)
    if clock is not None:
        return clock.status
    return cast(str, domain.__dict__.get("_sagelab_status", "InService"))


def _set_domain_status(domain: Domain, status: str) -> None:
    domain.__dict__["_sagelab_status"] = status  # moto's constructor: InService, replaced by the clock


def _domain_describe(domain: Domain) -> dict[str, Any]:
    clock = domain_clock(domain)
    failed = clock is not None and clock.status == "Failed"
    return {**_moto_domain_describe(domain), "TagPropagation": domain.__dict__.get("tag_propagation"),
            "FailureReason": clock.failure_reason if clock is not None and failed else None}


# A notebook instance starts only when Stopped or Failed, stops only when InService, and is deleted or
# updated only when Stopped or Failed (API_StartNotebookInstance.html, API_StopNotebookInstance.html,
# API_DeleteNotebookInstance.html: "Before you can delete a notebook instance, you must call the
# StopNotebookInstance API"; API_UpdateNotebookInstance.html). AWS answers ValidationException in
# the words below.
def _transition_error(notebook: FakeSagemakerNotebookInstance, allowed: Sequence[str],
                      target: str) -> ValidationError:
    """AWS's message for a call the notebook's current status does not allow."""
    return ValidationError(f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). "
                           f"Unable to transition to ({target}) for Notebook Instance ({notebook.arn}).")


def _within(item: Any, after: datetime | None, before: datetime | None, attribute: str) -> bool:
    """The CreationTimeAfter/Before-style filters of list calls (bounds exclusive)."""
    value = getattr(item, attribute)
    return (after is None or value > after) and (before is None or value < before)


def _listed(items: Iterable[Any], name_of: Callable[[Any], str], name_contains: str | None,
            created: tuple[datetime | None, datetime | None],
            modified: tuple[datetime | None, datetime | None]) -> list[Any]:
    """The filters the SageMaker List calls share: a name substring, then creation and last-modified
    time windows (CreationTimeAfter/Before, LastModifiedTimeAfter/Before)."""
    return [item for item in items
            if (not name_contains or name_contains in name_of(item))
            and _within(item, *created, "creation_time") and _within(item, *modified, "last_modified_time")]


def _list_filters(params: dict[str, Any]) -> dict[str, Any]:
    """The name, time, order and page filters the List* operations on notebook lifecycle configurations
    and code repositories share, as the backend's keyword arguments."""
    return {"name_contains": params.get("NameContains"), "sort_by": params.get("SortBy"),
            "sort_order": params.get("SortOrder"), "creation_time_after": params.get("CreationTimeAfter"),
            "creation_time_before": params.get("CreationTimeBefore"),
            "last_modified_time_after": params.get("LastModifiedTimeAfter"),
            "last_modified_time_before": params.get("LastModifiedTimeBefore"),
            "max_results": params.get("MaxResults"), "next_token": params.get("NextToken")}


def _merged(current: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """Update calls replace the top-level settings they name, each whole, and keep the others - as AWS
    applies UpdateUserProfile UserSettings and UpdateDomain DefaultUserSettings / DefaultSpaceSettings /
    DomainSettingsForUpdate: a member left out keeps its value, a member sent is the new value
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateUserProfile.html,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html; the developer guide's
    idle shutdown and default lifecycle configuration examples send one app's settings alone). The modules
    send each member they change whole (plugins/module_utils/_studio_settings.py)."""
    if update is None:
        return current
    return {**(current or {}), **update}


# --- resources moto does not have ----------------------------------------------------------------

class Transitioning:
    """Pending -> InService, Updating -> InService, Deleting -> Deleted, each taking
    $SAGELAB_SANDBOX_TRANSITION_SECONDS (read by the server process, as for notebook instances), as Studio
    domains, user profiles, apps and spaces move on AWS (in minutes there); Failed (with a FailureReason)
    when a test asks (POST fail-domain / fail-user-profile), until deleted."""

    _SETTLED = {"Pending": "InService", "Updating": "InService", "Deleting": "Deleted"}

    def _start_clock(self) -> None:
        self.seconds = transition_seconds()
        self._phase, self._since = "Pending", time.monotonic()
        self.failure_reason: str | None = None

    def _enter(self, phase: str) -> None:
        self._phase, self._since = phase, time.monotonic()

    @property
    def status(self) -> str:
        settled = self._SETTLED.get(self._phase)
        if settled and time.monotonic() - self._since >= self.seconds:
            self._phase = settled
        return self._phase

    @property
    def deleting_since(self) -> float | None:
        return self._since if self._phase in ("Deleting", "Deleted") else None

    def start_deleting(self) -> None:
        self._enter("Deleting")

    def start_updating(self) -> None:
        self._enter("Updating")

    def fail(self, reason: str) -> None:
        self._enter("Failed")
        self.failure_reason = reason


class CodeRepository:
    """A Git repository registered with SageMaker (CreateCodeRepository)."""

    def __init__(self, name: str, git_config: dict[str, Any], tags: list[dict[str, str]] | None,
                 account_id: str, region_name: str) -> None:
        self.name = name
        self.git_config = git_config
        self.tags = list(tags or [])
        self.arn = arn_formatter("code-repository", name, account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return {"CodeRepositoryName": self.name, "CodeRepositoryArn": self.arn, "GitConfig": self.git_config,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}


class StudioLifecycleConfig:
    """A Studio lifecycle configuration (CreateStudioLifecycleConfig): a script Studio apps may run."""

    def __init__(self, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.name = params["StudioLifecycleConfigName"]
        self.content = params["StudioLifecycleConfigContent"]
        self.app_type = params["StudioLifecycleConfigAppType"]
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("studio-lifecycle-config", self.name, account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return {"StudioLifecycleConfigArn": self.arn, "StudioLifecycleConfigName": self.name,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                "StudioLifecycleConfigContent": self.content, "StudioLifecycleConfigAppType": self.app_type}


class SageMakerImage:
    """A SageMaker image (CreateImage) a Studio app may run; CREATED at once (AWS: CREATING first)."""

    def __init__(self, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.name = params["ImageName"]
        self.role_arn = params["RoleArn"]
        self.display_name = params.get("DisplayName")
        self.description = params.get("Description")
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("image", self.name, account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return {"ImageArn": self.arn, "ImageName": self.name, "ImageStatus": "CREATED",
                "RoleArn": self.role_arn, "DisplayName": self.display_name, "Description": self.description,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}


def _studio_references(settings: Any) -> list[tuple[str, str]]:
    """(member, ARN) of every lifecycle configuration and SageMaker image a Studio settings structure
    (UserSettings, DefaultUserSettings, DefaultSpaceSettings) names, at any depth."""
    found: list[tuple[str, str]] = []
    if isinstance(settings, dict):
        for key, value in settings.items():
            if key in ("LifecycleConfigArn", "SageMakerImageArn") and isinstance(value, str):
                found.append((key, value))
            elif key == "LifecycleConfigArns" and isinstance(value, list):
                found += [(key, arn) for arn in value]
            else:
                found += _studio_references(value)
    elif isinstance(settings, list):
        for item in settings:
            found += _studio_references(item)
    return found


class UserProfile(Transitioning):
    """A SageMaker Studio user profile in a domain (CreateUserProfile): Pending, then InService."""

    def __init__(self, domain_id: str, name: str, params: dict[str, Any], account_id: str,
                 region_name: str) -> None:
        self.domain_id = domain_id
        self.name = name
        self.user_settings: dict[str, Any] | None = params.get("UserSettings")
        self.sso_identifier = params.get("SingleSignOnUserIdentifier")
        self.sso_value = params.get("SingleSignOnUserValue")
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.home_efs_uid = str(200000 + secrets.randbelow(800000))
        self.creation_time = self.last_modified_time = utcnow()
        self._start_clock()

    def summary(self) -> dict[str, Any]:
        return {"DomainId": self.domain_id, "UserProfileName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "UserProfileArn": self.arn, "HomeEfsFileSystemUid": self.home_efs_uid,
                "SingleSignOnUserIdentifier": self.sso_identifier, "SingleSignOnUserValue": self.sso_value,
                "UserSettings": self.user_settings,
                "FailureReason": self.failure_reason if self.status == "Failed" else None}


class StudioApp(Transitioning):
    """A Studio app (CreateApp) of a user profile or a space: JupyterLab, JupyterServer, KernelGateway, ..."""

    def __init__(self, domain_id: str, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.domain_id = domain_id
        self.user_profile_name = params.get("UserProfileName")
        self.space_name = params.get("SpaceName")
        self.app_type = params["AppType"]
        self.app_name = params["AppName"]
        default_type = "system" if self.app_type == "JupyterServer" else "ml.t3.medium"
        self.resource_spec = {"InstanceType": default_type, **(params.get("ResourceSpec") or {})}
        self.tags = list(params.get("Tags") or [])
        owner = self.user_profile_name or self.space_name
        self.arn = arn_formatter("app", f"{domain_id}/{owner}/{self.app_type.lower()}/{self.app_name}",
                                 account_id, region_name)
        self.creation_time = utcnow()
        self._start_clock()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.domain_id, self.user_profile_name or self.space_name or "", self.app_type.lower(),
                self.app_name)

    def summary(self) -> dict[str, Any]:
        owner = ({"UserProfileName": self.user_profile_name} if self.user_profile_name
                 else {"SpaceName": self.space_name})
        return {"DomainId": self.domain_id, **owner, "AppType": self.app_type, "AppName": self.app_name,
                "Status": self.status, "CreationTime": self.creation_time, "ResourceSpec": self.resource_spec}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "AppArn": self.arn}


class Space(Transitioning):
    """A Studio space (CreateSpace); gone once its deletion has finished."""

    def __init__(self, domain_id: str, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.domain_id = domain_id
        self.name = params["SpaceName"]
        self.settings = params.get("SpaceSettings")
        self.ownership = params.get("OwnershipSettings")
        self.sharing = params.get("SpaceSharingSettings")
        self.display_name = params.get("SpaceDisplayName")
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("space", f"{domain_id}/{self.name}", account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()
        self._start_clock()

    def summary(self) -> dict[str, Any]:
        return {"DomainId": self.domain_id, "SpaceName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                "SpaceDisplayName": self.display_name}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "SpaceArn": self.arn, "SpaceSettings": self.settings,
                "OwnershipSettings": self.ownership, "SpaceSharingSettings": self.sharing}


_PAGINATION = {
    name: {"input_token": "next_token", "limit_key": "max_results", "limit_default": 100,
           "unique_attribute": "arn"}
    for name in ("list_notebook_instance_lifecycle_configs", "list_code_repositories", "list_user_profiles")
}


def _sorted(items: list[Any], key: Callable[[Any], Any], order: str | None, default_order: str) -> list[Any]:
    return sorted(items, key=key, reverse=(order or default_order) == "Descending")


# --- SageMaker backend: new calls and AWS state rules ---------------------------------------------

class SageMakerBackendExtensions(SageMakerModelBackend):
    """Methods copied onto moto's SageMakerModelBackend by patch_moto(); never instantiated.

    A subclass only so that `self` is typed: patch_moto() copies the functions, so `super()` must not
    be used here; moto's originals are kept in `_moto_*` attributes instead.
    """

    _moto_list_notebook_instances = SageMakerModelBackend.list_notebook_instances
    _moto_create_domain = SageMakerModelBackend.create_domain
    _moto_list_domains = SageMakerModelBackend.list_domains
    _moto_get_resource_from_arn = SageMakerModelBackend._get_resource_from_arn

    @property
    def code_repositories(self) -> dict[str, CodeRepository]:
        return cast(dict[str, CodeRepository], self.__dict__.setdefault("_sagelab_code_repositories", {}))

    @property
    def user_profiles(self) -> dict[tuple[str, str], UserProfile]:
        return cast(dict[tuple[str, str], UserProfile],
                    self.__dict__.setdefault("_sagelab_user_profiles", {}))

    @property
    def studio_apps(self) -> dict[tuple[str, str, str, str], StudioApp]:
        return cast(dict[tuple[str, str, str, str], StudioApp], self.__dict__.setdefault("_sagelab_apps", {}))

    @property
    def studio_lifecycle_configs(self) -> dict[str, StudioLifecycleConfig]:
        return cast(dict[str, StudioLifecycleConfig], self.__dict__.setdefault("_sagelab_studio_lccs", {}))

    @property
    def sagemaker_images(self) -> dict[str, SageMakerImage]:
        return cast(dict[str, SageMakerImage], self.__dict__.setdefault("_sagelab_images", {}))

    @property
    def spaces(self) -> dict[tuple[str, str], Space]:
        return cast(dict[tuple[str, str], Space], self.__dict__.setdefault("_sagelab_spaces", {}))

    # notebook instances

    def _sweep_deleted_notebook_instances(self) -> None:
        """Forget notebook instances whose deletion has finished (reading the status advances it)."""
        for name, notebook in list(self.notebook_instances.items()):
            if _notebook_state(notebook).status == _DELETED:
                self.notebook_instances.pop(name, None)

    def _validate_unique_notebook_instance_name(self, notebook_instance_name: str) -> None:
        self._sweep_deleted_notebook_instances()
        if notebook_instance_name in self.notebook_instances:
            duplicate_arn = self.notebook_instances[notebook_instance_name].arn
            raise ValidationError(f"Cannot create a duplicate Notebook Instance ({duplicate_arn})")

    def get_notebook_instance(self, notebook_instance_name: str) -> FakeSagemakerNotebookInstance:
        self._sweep_deleted_notebook_instances()
        if notebook_instance_name not in self.notebook_instances:
            raise ValidationError("RecordNotFound")
        return self.notebook_instances[notebook_instance_name]

    def list_notebook_instances(self, *args: Any, **kwargs: Any) -> Any:
        self._sweep_deleted_notebook_instances()
        return self._moto_list_notebook_instances(*args, **kwargs)

    def start_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status not in ("Stopped", "Failed"):
            raise _transition_error(notebook, ["Stopped", "Failed"], "Pending")
        notebook.start()

    def stop_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status != "InService":
            raise _transition_error(notebook, ["InService"], "Stopping")
        notebook.stop()

    def delete_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if not notebook.is_deletable:
            raise _transition_error(notebook, ["Stopped", "Failed"], "Deleting")
        notebook.status = "Deleting"

    def check_notebook_references(self, arn: str, params: dict[str, Any], subnet_id: str | None) -> None:
        """What CreateNotebookInstance and UpdateNotebookInstance refuse beyond the model
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html):
        the named lifecycle configuration and code repositories (names, not https:// URLs) must exist, and
        IpAddressType dualstack needs a subnet ("When you specify dualstack, the subnet must support IPv6
        addressing"; the sandbox cannot tell IPv6 subnets, so it refuses only a missing one - AWS's exact
        wording for that case is not published, this message is the sandbox's)."""
        if params.get("LifecycleConfigName"):
            self._lifecycle_config(params["LifecycleConfigName"], "describe")
        additional = params.get("AdditionalCodeRepositories") or []
        for repository in [params.get("DefaultCodeRepository"), *additional]:
            if repository and not repository.startswith("https://") \
                    and repository not in self.code_repositories:
                missing = arn_formatter("code-repository", repository, self.account_id, self.region_name)
                raise ValidationError(f"Cannot find Code Repository ({missing})")
        if params.get("IpAddressType") == "dualstack" and not subnet_id:
            raise ValidationError(f"IpAddressType dualstack requires a SubnetId with IPv6 addressing for "
                                  f"Notebook Instance ({arn}).")

    # VolumeSizeInGB: "you can increase the volume size when you update a notebook instance, but you can't
    # decrease the volume size" (API_UpdateNotebookInstance.html); the message is the sandbox's.
    def update_notebook_instance(self, notebook_instance_name: str, changes: dict[str, Any]) -> None:
        """UpdateNotebookInstance: a stopped (or failed) instance is updated, then stopped again."""
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status not in ("Stopped", "Failed"):
            raise _transition_error(notebook, ["Stopped", "Failed"], "Updating")
        self.check_notebook_references(notebook.arn, changes, notebook.subnet_id)
        volume = changes.get("VolumeSizeInGB")
        if volume is not None and volume < notebook.volume_size_in_gb:
            raise ValidationError(f"Volume size cannot be decreased from {notebook.volume_size_in_gb} GB to "
                                  f"{volume} GB for Notebook Instance ({notebook.arn}).")
        attributes = {
            "InstanceType": "instance_type", "RoleArn": "role_arn", "VolumeSizeInGB": "volume_size_in_gb",
            "LifecycleConfigName": "lifecycle_config_name",
            "DefaultCodeRepository": "default_code_repository",
            "AdditionalCodeRepositories": "additional_code_repositories",
            "AcceleratorTypes": "accelerator_types", "RootAccess": "root_access",
            "IpAddressType": "ip_address_type", "PlatformIdentifier": "platform_identifier",
            "InstanceMetadataServiceConfiguration": "instance_metadata_service_configuration",
        }
        for key, attribute in attributes.items():
            if changes.get(key) is not None:
                notebook.__dict__[attribute] = changes[key]
        disassociations = {
            "DisassociateLifecycleConfig": "lifecycle_config_name",
            "DisassociateDefaultCodeRepository": "default_code_repository",
            "DisassociateAdditionalCodeRepositories": "additional_code_repositories",
            "DisassociateAcceleratorTypes": "accelerator_types",
        }
        for key, attribute in disassociations.items():
            if changes.get(key):
                notebook.__dict__[attribute] = None
        notebook.last_modified_time = utcnow()
        notebook.status = "Updating"

    # lifecycle configurations (API_UpdateNotebookInstanceLifecycleConfig.html,
    # API_ListNotebookInstanceLifecycleConfigs.html: name, time and sort filters as implemented below)

    def _lifecycle_config(self, name: str, verb: str) -> FakeSageMakerNotebookInstanceLifecycleConfig:
        if name not in self.notebook_instance_lifecycle_configurations:
            arn = FakeSageMakerNotebookInstanceLifecycleConfig.arn_formatter(name, self.account_id,
                                                                             self.region_name)
            raise ValidationError(f"Unable to {verb} Notebook Instance Lifecycle Config '{arn}'. "
                                  "(Details: Notebook Instance Lifecycle Config does not exist.)")
        return self.notebook_instance_lifecycle_configurations[name]

    @paginate(pagination_model=_PAGINATION)
    def list_notebook_instance_lifecycle_configs(
        self, name_contains: str | None = None, sort_by: str | None = None, sort_order: str | None = None,
        creation_time_after: datetime | None = None, creation_time_before: datetime | None = None,
        last_modified_time_after: datetime | None = None, last_modified_time_before: datetime | None = None,
    ) -> list[FakeSageMakerNotebookInstanceLifecycleConfig]:
        configs = _listed(self.notebook_instance_lifecycle_configurations.values(),
                          lambda c: c.notebook_instance_lifecycle_config_name, name_contains,
                          (creation_time_after, creation_time_before),
                          (last_modified_time_after, last_modified_time_before))
        keys: dict[str, Callable[[Any], Any]] = {
            "Name": lambda c: c.notebook_instance_lifecycle_config_name,
            "LastModifiedTime": lambda c: c.last_modified_time,
        }
        return _sorted(configs, keys.get(sort_by or "", lambda c: c.creation_time), sort_order, "Ascending")

    def update_notebook_instance_lifecycle_config(self, name: str, on_create: list[dict[str, str]] | None,
                                                  on_start: list[dict[str, str]] | None) -> None:
        config = self._lifecycle_config(name, "update")
        if on_create is not None:
            config.on_create = on_create
        if on_start is not None:
            config.on_start = on_start
        config.last_modified_time = utcnow()

    def create_presigned_notebook_instance_url(self, notebook_instance_name: str) -> str:
        notebook = self.get_notebook_instance(notebook_instance_name)
        return f"https://{notebook.url}?authToken={secrets.token_urlsafe(32)}"

    # code repositories (API_CreateCodeRepository.html, API_DescribeCodeRepository.html,
    # API_UpdateCodeRepository.html: only GitConfig.SecretArn can change; names are unique per account
    # and region)

    def create_code_repository(self, name: str, git_config: dict[str, Any],
                               tags: list[dict[str, str]] | None) -> CodeRepository:
        if name in self.code_repositories:
            duplicate_arn = self.code_repositories[name].arn
            raise ValidationError(f"Cannot create a duplicate Code Repository ({duplicate_arn})")
        repository = CodeRepository(name, git_config, tags, self.account_id, self.region_name)
        self.code_repositories[name] = repository
        return repository

    # A missing repository: API_DescribeCodeRepository.html lists no error for it; AWS answers a
    # ValidationException "Cannot find CodeRepository ..." (the words terraform-provider-aws matches,
    # internal/service/sagemaker/code_repository.go), which is all a client can tell it by.
    def describe_code_repository(self, name: str) -> CodeRepository:
        if name not in self.code_repositories:
            arn = arn_formatter("code-repository", name, self.account_id, self.region_name)
            raise ValidationError(f"Cannot find CodeRepository ({arn})")
        return self.code_repositories[name]

    @paginate(pagination_model=_PAGINATION)
    def list_code_repositories(
        self, name_contains: str | None = None, sort_by: str | None = None, sort_order: str | None = None,
        creation_time_after: datetime | None = None, creation_time_before: datetime | None = None,
        last_modified_time_after: datetime | None = None, last_modified_time_before: datetime | None = None,
    ) -> list[CodeRepository]:
        repositories = _listed(self.code_repositories.values(), lambda r: r.name, name_contains,
                               (creation_time_after, creation_time_before),
                               (last_modified_time_after, last_modified_time_before))
        keys: dict[str, Callable[[Any], Any]] = {
            "CreationTime": lambda r: r.creation_time, "LastModifiedTime": lambda r: r.last_modified_time,
        }
        return _sorted(repositories, keys.get(sort_by or "", lambda r: r.name), sort_order, "Ascending")

    def update_code_repository(self, name: str, git_config: dict[str, Any] | None) -> CodeRepository:
        repository = self.describe_code_repository(name)
        if git_config and git_config.get("SecretArn"):
            repository.git_config = {**repository.git_config, "SecretArn": git_config["SecretArn"]}
        repository.last_modified_time = utcnow()
        return repository

    def delete_code_repository(self, name: str) -> None:
        self.describe_code_repository(name)
        del self.code_repositories[name]

    # Studio: domains and user profiles

    def _sweep_deleted_studio(self) -> None:
        """Forget domains and user profiles whose deletion has finished (reading the status advances it)."""
        for domain_id, domain in list(self.domains.items()):
            if domain.status == "Deleted":
                self.domains.pop(domain_id, None)
        for key, profile in list(self.user_profiles.items()):
            if profile.status == "Deleted":
                self.user_profiles.pop(key, None)

    # Studio lifecycle configurations and SageMaker images: what Studio settings may name
    # (API_CreateStudioLifecycleConfig.html, API_DescribeStudioLifecycleConfig.html,
    # API_DeleteStudioLifecycleConfig.html, API_CreateImage.html, API_DescribeImage.html,
    # API_DeleteImage.html: a second one of a name is ResourceInUse, a missing one ResourceNotFound).

    def create_studio_lifecycle_config(self, params: dict[str, Any]) -> StudioLifecycleConfig:
        name = params["StudioLifecycleConfigName"]
        if name in self.studio_lifecycle_configs:
            raise ResourceInUseException(f"Studio Lifecycle Config {name} already exists.")
        config = StudioLifecycleConfig(params, self.account_id, self.region_name)
        self.studio_lifecycle_configs[name] = config
        return config

    def describe_studio_lifecycle_config(self, name: str) -> StudioLifecycleConfig:
        if name not in self.studio_lifecycle_configs:
            arn = arn_formatter("studio-lifecycle-config", name, self.account_id, self.region_name)
            raise ResourceNotFound(f"Studio Lifecycle Config [{arn}] does not exist.")
        return self.studio_lifecycle_configs[name]

    def delete_studio_lifecycle_config(self, name: str) -> None:
        self.describe_studio_lifecycle_config(name)
        del self.studio_lifecycle_configs[name]

    def create_image(self, params: dict[str, Any]) -> SageMakerImage:
        name = params["ImageName"]
        if name in self.sagemaker_images:
            raise ResourceInUseException(f"Image {name} already exists.")
        image = SageMakerImage(params, self.account_id, self.region_name)
        self.sagemaker_images[name] = image
        return image

    def describe_image(self, name: str) -> SageMakerImage:
        if name not in self.sagemaker_images:
            arn = arn_formatter("image", name, self.account_id, self.region_name)
            raise ResourceNotFound(f"Image [{arn}] does not exist.")
        return self.sagemaker_images[name]

    def delete_image(self, name: str) -> None:
        self.describe_image(name)
        del self.sagemaker_images[name]

    # The lifecycle configurations and SageMaker images that Studio settings name must exist: AWS refuses
    # a CreateDomain, UpdateDomain, CreateUserProfile or UpdateUserProfile naming one that does not. Of the
    # errors those calls document, only the common ValidationError (HTTP 400, "The input fails to satisfy
    # the constraints specified by an AWS service", https://docs.aws.amazon.com/sagemaker/latest/
    # APIReference/CommonErrors.html) covers bad input for all four: CreateDomain and CreateUserProfile
    # list only ResourceInUse and ResourceLimitExceeded (API_CreateDomain.html, API_CreateUserProfile.html;
    # ResourceNotFound is, for the updates, the domain or profile itself: API_UpdateDomain.html,
    # API_UpdateUserProfile.html). AWS's exact words are not published; these are the sandbox's.
    def check_studio_references(self, *settings: Any) -> None:
        known = {config.arn for config in self.studio_lifecycle_configs.values()}
        images = {image.arn for image in self.sagemaker_images.values()}
        for member, arn in _studio_references(list(settings)):
            if member == "SageMakerImageArn" and arn not in images:
                raise ValidationError(f"Image [{arn}] does not exist ({member}).")
            if member != "SageMakerImageArn" and arn not in known:
                raise ValidationError(f"Studio Lifecycle Config [{arn}] does not exist ({member}).")

    def _studio_updated(self, resource: Any, members: dict[str, dict[str, Any] | None],
                        clock: Transitioning | None) -> None:
        """What UpdateDomain and UpdateUserProfile share: the named lifecycle configurations and images
        exist, each settings member sent replaces the stored one (_merged), the resource was modified now
        and is Updating for the transition time."""
        self.check_studio_references(*members.values())
        for attribute, update in members.items():
            setattr(resource, attribute, _merged(getattr(resource, attribute), update))
        resource.last_modified_time = utcnow()
        if clock is not None:
            clock.start_updating()

    def create_domain(self, *args: Any, **kwargs: Any) -> dict[str, str]:
        """moto's create; the domain then stays Pending for the transition time, as on AWS."""
        self.check_studio_references(kwargs.get("default_user_settings"),
                                     kwargs.get("default_space_settings"))
        created = cast(dict[str, str], self._moto_create_domain(*args, **kwargs))
        clock = Transitioning()
        clock._start_clock()
        self.domains[created["DomainArn"].rpartition("/")[2]].__dict__["_sagelab_clock"] = clock
        return created

    # A missing domain: API_DescribeDomain.html and API_DeleteDomain.html list ResourceNotFound ("Resource
    # being access is not found", HTTP 400); moto answers a ValidationException, which clients could take
    # for bad input.
    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Could not find domain '{domain_id}'.")
        return cast(dict[str, Any], self.domains[domain_id].describe())

    def list_domains(self, *args: Any, **kwargs: Any) -> Any:
        self._sweep_deleted_studio()
        return self._moto_list_domains(*args, **kwargs)

    def _domain(self, domain_id: str) -> Domain:
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Could not find domain '{domain_id}'.")
        return self.domains[domain_id]

    def update_domain(self, domain_id: str, params: dict[str, Any]) -> Domain:
        """UpdateDomain (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html).

        Switching to VpcOnly needs VpcId and SubnetIds in the same call: AWS answers "VpcId and Subnet IDs
        are required for updating domains to VpcOnly mode" (terraform-provider-aws #45528)."""
        domain = self._domain(domain_id)
        if params.get("AppNetworkAccessType") == "VpcOnly" and domain.app_network_access_type != "VpcOnly" \
                and not (params.get("VpcId") and params.get("SubnetIds")):
            raise ValidationError("VpcId and Subnet IDs are required for updating domains to VpcOnly mode")
        settings = dict(params.get("DomainSettingsForUpdate") or {})
        rstudio = settings.pop("RStudioServerProDomainSettingsForUpdate", None)
        if rstudio is not None:
            settings["RStudioServerProDomainSettings"] = rstudio
        self._studio_updated(domain, {"default_user_settings": params.get("DefaultUserSettings"),
                                      "default_space_settings": params.get("DefaultSpaceSettings"),
                                      "domain_settings": settings or None}, domain_clock(domain))
        for key, attribute in {"AppSecurityGroupManagement": "app_security_group_management",
                               "SubnetIds": "subnet_ids", "AppNetworkAccessType": "app_network_access_type",
                               "TagPropagation": "tag_propagation", "VpcId": "vpc_id"}.items():
            if params.get(key) is not None:
                domain.__dict__[attribute] = params[key]
        return domain

    # DeleteDomain answers ResourceInUse while the domain has apps, spaces or user profiles
    # (API_DeleteDomain.html; https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html:
    # delete them first).
    def delete_domain(self, domain_id: str, retention_policy: dict[str, str] | None) -> None:
        """AWS refuses to delete a domain that still has apps, spaces or user profiles; one it deletes is
        Deleting for the transition time, then gone."""
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Could not find domain '{domain_id}'.")
        arn = self.domains[domain_id].arn
        if self._live_apps(domain_id):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because Apps are associated "
                                         "with it.")
        if self._spaces_of(domain_id):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because Space(s) are associated "
                                         "with it.")
        if any(key[0] == domain_id for key in self.user_profiles):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because "
                                         "UserProfile(s) are associated with it.")
        for key in [key for key in self.studio_apps if key[0] == domain_id]:
            del self.studio_apps[key]
        clock = domain_clock(self.domains[domain_id])
        if clock is None:
            del self.domains[domain_id]
        elif clock.status != "Deleting":
            clock.start_deleting()

    # Studio: apps and spaces

    def _live_apps(self, domain_id: str, owner: str | None = None) -> list[StudioApp]:
        return [app for app in self.studio_apps.values() if app.domain_id == domain_id
                and (owner is None or app.key[1] == owner) and app.status not in ("Deleted", "Failed")]

    def _spaces_of(self, domain_id: str) -> list[Space]:
        """The domain's spaces; those whose deletion has finished are forgotten."""
        for key, space in list(self.spaces.items()):
            if space.status == "Deleted":
                del self.spaces[key]
        return [space for space in self.spaces.values() if space.domain_id == domain_id]

    def _space(self, domain_id: str, name: str) -> Space:
        self._spaces_of(domain_id)
        if (domain_id, name) not in self.spaces:
            arn = arn_formatter("space", f"{domain_id}/{name}", self.account_id, self.region_name)
            raise ResourceNotFound(f"Space [{arn}] does not exist.")
        return self.spaces[(domain_id, name)]

    def create_space(self, domain_id: str, params: dict[str, Any]) -> Space:
        self._domain(domain_id)
        name = params["SpaceName"]
        self._spaces_of(domain_id)
        if (domain_id, name) in self.spaces:
            raise ResourceInUseException(f"Resource Already Exists: Space with name {name} already exists. "
                                         "Choose a different name.")
        space = self.spaces[(domain_id, name)] = Space(domain_id, params, self.account_id, self.region_name)
        return space

    def delete_space(self, domain_id: str, name: str) -> None:
        space = self._space(domain_id, name)
        if self._live_apps(domain_id, name):
            raise ResourceInUseException(f"Unable to delete Space [{space.arn}] because Apps are associated "
                                         "with it.")
        if space.deleting_since is None:
            space.start_deleting()

    def list_spaces(self, domain_id_equals: str | None) -> list[Space]:
        if domain_id_equals:
            self._domain(domain_id_equals)
        self._spaces_of("")
        return [s for s in self.spaces.values() if not domain_id_equals or s.domain_id == domain_id_equals]

    # CreateApp takes a UserProfileName or a SpaceName, not both (API_CreateApp.html); DeleteApp of an
    # app already deleted answers ResourceNotFound (API_DeleteApp.html lists it).
    def create_app(self, params: dict[str, Any]) -> StudioApp:
        domain_id = params["DomainId"]
        self._domain(domain_id)
        if bool(params.get("UserProfileName")) == bool(params.get("SpaceName")):
            raise ValidationError("Exactly one of UserProfileName or SpaceName must be specified.")
        if params.get("UserProfileName"):
            self._user_profile(domain_id, params["UserProfileName"])
        else:
            self._space(domain_id, params["SpaceName"])
        app = StudioApp(domain_id, params, self.account_id, self.region_name)
        current = self.studio_apps.get(app.key)
        if current is not None and current.status not in ("Deleted", "Failed"):
            raise ResourceInUseException(f"Resource Already Exists: App with name {app.app_name} already "
                                         "exists. Choose a different name.")
        self.studio_apps[app.key] = app
        return app

    def describe_app(self, params: dict[str, Any]) -> StudioApp:
        owner = params.get("UserProfileName") or params.get("SpaceName") or ""
        key = (params["DomainId"], owner, params["AppType"].lower(), params["AppName"])
        if key not in self.studio_apps:
            arn = arn_formatter("app", "/".join(key), self.account_id, self.region_name)
            raise ResourceNotFound(f"App [{arn}] does not exist.")
        return self.studio_apps[key]

    def delete_app(self, params: dict[str, Any]) -> None:
        app = self.describe_app(params)
        if app.status in ("Deleting", "Deleted"):
            raise ResourceNotFound(f"App [{app.arn}] does not exist.")  # AWS: already deleted
        app.start_deleting()

    def list_apps(self, params: dict[str, Any]) -> list[StudioApp]:
        if params.get("DomainIdEquals"):
            self._domain(params["DomainIdEquals"])
        apps = [app for app in self.studio_apps.values()
                if (not params.get("DomainIdEquals") or app.domain_id == params["DomainIdEquals"])
                and (not params.get("UserProfileNameEquals")
                     or app.user_profile_name == params["UserProfileNameEquals"])
                and (not params.get("SpaceNameEquals") or app.space_name == params["SpaceNameEquals"])]
        return _sorted(apps, lambda a: a.creation_time, params.get("SortOrder"), "Descending")

    def _user_profile(self, domain_id: str, name: str) -> UserProfile:
        self._sweep_deleted_studio()
        if (domain_id, name) not in self.user_profiles:
            arn = arn_formatter("user-profile", f"{domain_id}/{name}", self.account_id, self.region_name)
            raise ResourceNotFound(f"User profile [{arn}] does not exist.")
        return self.user_profiles[(domain_id, name)]

    # SingleSignOnUserIdentifier/Value: "If the Domain's AuthMode is IAM Identity Center, this field is
    # required. If the Domain's AuthMode is not IAM Identity Center, this field cannot be specified."
    # (API_CreateUserProfile.html); the messages are the sandbox's.
    def create_user_profile(self, domain_id: str, name: str, params: dict[str, Any]) -> UserProfile:
        domain = self._domain(domain_id)
        if (domain_id, name) in self.user_profiles:
            raise ResourceInUseException(f"Resource Already Exists: UserProfile with name {name} already "
                                         "exists. Choose a different name.")
        has_sso = params.get("SingleSignOnUserIdentifier") is not None
        if domain.auth_mode == "SSO" and not has_sso:
            raise ValidationError("SingleSignOnUserIdentifier is required for a Domain with AuthMode SSO.")
        if domain.auth_mode != "SSO" and (has_sso or params.get("SingleSignOnUserValue") is not None):
            raise ValidationError("SingleSignOnUserIdentifier and SingleSignOnUserValue cannot be specified "
                                  f"for a Domain with AuthMode {domain.auth_mode}.")
        self.check_studio_references(params.get("UserSettings"))
        profile = UserProfile(domain_id, name, params, self.account_id, self.region_name)
        self.user_profiles[(domain_id, name)] = profile
        return profile

    def describe_user_profile(self, domain_id: str, name: str) -> UserProfile:
        return self._user_profile(domain_id, name)

    @paginate(pagination_model=_PAGINATION)
    def list_user_profiles(self, domain_id_equals: str | None = None, name_contains: str | None = None,
                           sort_by: str | None = None, sort_order: str | None = None) -> list[UserProfile]:
        self._sweep_deleted_studio()
        profiles = [
            profile for profile in self.user_profiles.values()
            if (not domain_id_equals or profile.domain_id == domain_id_equals)
            and (not name_contains or name_contains in profile.name)
        ]
        attribute = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
        return _sorted(profiles, lambda p: getattr(p, attribute), sort_order, "Ascending")

    def update_user_profile(self, domain_id: str, name: str,
                            user_settings: dict[str, Any] | None) -> UserProfile:
        profile = self._user_profile(domain_id, name)
        self._studio_updated(profile, {"user_settings": user_settings}, profile)
        return profile

    def delete_user_profile(self, domain_id: str, name: str) -> None:
        profile = self._user_profile(domain_id, name)
        if self._live_apps(domain_id, name):
            raise ResourceInUseException(f"Unable to delete UserProfile [{profile.arn}] because Apps are "
                                         "associated with it.")
        if profile.status != "Deleting":
            profile.start_deleting()

    # API_CreatePresignedDomainUrl.html: only for domains whose AuthMode is IAM.
    def create_presigned_domain_url(self, domain_id: str, name: str) -> str:
        """Only IAM domains hand out presigned URLs; SSO users sign in through IAM Identity Center."""
        domain = self._domain(domain_id)
        self._user_profile(domain_id, name)
        if domain.auth_mode != "IAM":
            raise ValidationError(f"CreatePresignedDomainUrl is not supported for Domain {domain_id} with "
                                  f"AuthMode {domain.auth_mode}.")
        token = secrets.token_urlsafe(32)
        return f"https://{domain_id}.studio.{self.region_name}.sagemaker.aws/auth?token={token}"

    # tags

    def _get_resource_from_arn(self, arn: str) -> Any:
        """moto's lookup plus lifecycle configurations, code repositories and the Studio resources (user
        profiles, spaces and apps, whose ARNs have several path parts)."""
        resource_type, _unused, name = arn.split(":", 5)[-1].partition("/")
        resource: Any
        if resource_type == "code-repository":
            resource = self.code_repositories.get(name)
        elif resource_type == "notebook-instance-lifecycle-config":
            resource = self.notebook_instance_lifecycle_configurations.get(name)
        elif resource_type == "user-profile":
            domain_id, _unused, profile = name.partition("/")
            resource = self.user_profiles.get((domain_id, profile))
        elif resource_type == "space":
            domain_id, _unused, space = name.partition("/")
            resource = self.spaces.get((domain_id, space))
        elif resource_type == "app":
            resource = self.studio_apps.get(cast(tuple[str, str, str, str], tuple(name.split("/", 3))))
        else:
            try:
                resource = self._moto_get_resource_from_arn(arn)
            except (AttributeError, ValueError):  # a resource type moto does not tag
                resource = None
        if resource is None:
            raise ValidationError(f"Could not find {resource_type} with name {name}")
        if getattr(resource, "tags", None) is None:
            resource.tags = []  # domains created without tags
        return resource

    # AddTags "adds or overwrites one or more tags"; tag keys are unique per resource (API_AddTags.html).
    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags overwrites the value of a key that exists (moto appends a duplicate)."""
        resource = self._get_resource_from_arn(arn)
        new = {tag["Key"]: tag for tag in tags}
        resource.tags = [tag for tag in resource.tags if tag["Key"] not in new] + list(new.values())
        return cast(list[dict[str, str]], resource.tags)


# --- SageMaker response handlers -----------------------------------------------------------------

class _SageMakerResponseExtensions(SageMakerResponse):
    """Handlers copied onto moto's SageMakerResponse by patch_moto(): moto dispatches a call to the
    method named after it (UpdateNotebookInstance -> update_notebook_instance). Never instantiated."""

    _moto_create_notebook_instance = SageMakerResponse.create_notebook_instance
    _moto_create_lifecycle_config = SageMakerResponse.create_notebook_instance_lifecycle_config

    @property
    def _sagelab_backend(self) -> SageMakerBackendExtensions:
        return cast(SageMakerBackendExtensions, self.sagemaker_backend)

    def _params(self) -> dict[str, Any]:
        """The request's members (checked against botocore's model before any handler runs)."""
        return dict(self.params or {})

    def create_notebook_instance(self) -> ActionResult:
        """moto's create, plus the fields it drops and the defaults AWS fills in (API_CreateNotebookInstance:
        RootAccess "The default value is Enabled", PlatformIdentifier "The default value is notebook-al2-v2",
        IMDS "if no value is selected, then it defaults to IMDSv1"; IpAddressType ipv4)."""
        params = self._params()
        name = params["NotebookInstanceName"]
        arn = arn_formatter("notebook-instance", name, self.current_account, self.region)
        self._sagelab_backend.check_notebook_references(arn, params, params.get("SubnetId"))
        result = self._moto_create_notebook_instance()
        notebook = self._sagelab_backend.notebook_instances[params["NotebookInstanceName"]]
        notebook.root_access = params.get("RootAccess") or "Enabled"
        notebook.__dict__.update(
            platform_identifier=params.get("PlatformIdentifier") or "notebook-al2-v2",
            ip_address_type=params.get("IpAddressType") or "ipv4",
            instance_metadata_service_configuration=params.get("InstanceMetadataServiceConfiguration")
            or {"MinimumInstanceMetadataServiceVersion": "1"},
        )
        return result

    def create_notebook_instance_lifecycle_config(self) -> ActionResult:
        """moto's create, plus the Tags it drops (CreateNotebookInstanceLifecycleConfig takes them)."""
        params = self._params()
        result = self._moto_create_lifecycle_config()
        config = self._sagelab_backend.notebook_instance_lifecycle_configurations[
            params["NotebookInstanceLifecycleConfigName"]]
        config.tags = list(params.get("Tags") or [])
        return result

    def update_notebook_instance(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.update_notebook_instance(params.pop("NotebookInstanceName"), params)
        return EmptyResult()

    def list_notebook_instance_lifecycle_configs(self) -> ActionResult:
        params = self._params()
        configs, next_token = self._sagelab_backend.list_notebook_instance_lifecycle_configs(
            **_list_filters(params))
        summaries = [{"NotebookInstanceLifecycleConfigName": c.notebook_instance_lifecycle_config_name,
                      "NotebookInstanceLifecycleConfigArn": c.arn, "CreationTime": c.creation_time,
                      "LastModifiedTime": c.last_modified_time} for c in configs]
        return ActionResult({"NotebookInstanceLifecycleConfigs": summaries, "NextToken": next_token})

    def update_notebook_instance_lifecycle_config(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.update_notebook_instance_lifecycle_config(
            params["NotebookInstanceLifecycleConfigName"], params.get("OnCreate"), params.get("OnStart"))
        return EmptyResult()

    def create_presigned_notebook_instance_url(self) -> ActionResult:
        params = self._params()
        url = self._sagelab_backend.create_presigned_notebook_instance_url(params["NotebookInstanceName"])
        return ActionResult({"AuthorizedUrl": url})

    def create_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.create_code_repository(
            params["CodeRepositoryName"], params["GitConfig"], params.get("Tags"))
        return ActionResult({"CodeRepositoryArn": repository.arn})

    def describe_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.describe_code_repository(params["CodeRepositoryName"])
        return ActionResult(repository.describe())

    def list_code_repositories(self) -> ActionResult:
        params = self._params()
        repositories, next_token = self._sagelab_backend.list_code_repositories(**_list_filters(params))
        return ActionResult({"CodeRepositorySummaryList": [r.describe() for r in repositories],
                             "NextToken": next_token})

    def update_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.update_code_repository(params["CodeRepositoryName"],
                                                                  params.get("GitConfig"))
        return ActionResult({"CodeRepositoryArn": repository.arn})

    def delete_code_repository(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_code_repository(params["CodeRepositoryName"])
        return EmptyResult()

    def create_studio_lifecycle_config(self) -> ActionResult:
        config = self._sagelab_backend.create_studio_lifecycle_config(self._params())
        return ActionResult({"StudioLifecycleConfigArn": config.arn})

    def describe_studio_lifecycle_config(self) -> ActionResult:
        name = self._params()["StudioLifecycleConfigName"]
        return ActionResult(self._sagelab_backend.describe_studio_lifecycle_config(name).describe())

    def delete_studio_lifecycle_config(self) -> ActionResult:
        self._sagelab_backend.delete_studio_lifecycle_config(self._params()["StudioLifecycleConfigName"])
        return EmptyResult()

    def create_image(self) -> ActionResult:
        return ActionResult({"ImageArn": self._sagelab_backend.create_image(self._params()).arn})

    def describe_image(self) -> ActionResult:
        return ActionResult(self._sagelab_backend.describe_image(self._params()["ImageName"]).describe())

    def delete_image(self) -> ActionResult:
        self._sagelab_backend.delete_image(self._params()["ImageName"])
        return EmptyResult()

    def update_domain(self) -> ActionResult:
        params = self._params()
        domain = self._sagelab_backend.update_domain(params["DomainId"], params)
        return ActionResult({"DomainArn": domain.arn})

    def create_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.create_user_profile(params["DomainId"], params["UserProfileName"],
                                                            params)
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.describe_user_profile(params["DomainId"], params["UserProfileName"])
        return ActionResult(profile.describe())

    def list_user_profiles(self) -> ActionResult:
        params = self._params()
        profiles, next_token = self._sagelab_backend.list_user_profiles(
            domain_id_equals=params.get("DomainIdEquals"),
            name_contains=params.get("UserProfileNameContains"),
            sort_by=params.get("SortBy"), sort_order=params.get("SortOrder"),
            max_results=params.get("MaxResults"), next_token=params.get("NextToken"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": next_token})

    def update_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.update_user_profile(params["DomainId"], params["UserProfileName"],
                                                            params.get("UserSettings"))
        return ActionResult({"UserProfileArn": profile.arn})

    def delete_user_profile(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_user_profile(params["DomainId"], params["UserProfileName"])
        return EmptyResult()

    def create_app(self) -> ActionResult:
        app = self._sagelab_backend.create_app(self._params())
        return ActionResult({"AppArn": app.arn})

    def describe_app(self) -> ActionResult:
        return ActionResult(self._sagelab_backend.describe_app(self._params()).describe())

    def delete_app(self) -> ActionResult:
        self._sagelab_backend.delete_app(self._params())
        return EmptyResult()

    def list_apps(self) -> ActionResult:
        apps = self._sagelab_backend.list_apps(self._params())
        return ActionResult({"Apps": [app.summary() for app in apps]})

    def create_space(self) -> ActionResult:
        params = self._params()
        space = self._sagelab_backend.create_space(params["DomainId"], params)
        return ActionResult({"SpaceArn": space.arn})

    def describe_space(self) -> ActionResult:
        params = self._params()
        return ActionResult(self._sagelab_backend._space(params["DomainId"], params["SpaceName"]).describe())

    def delete_space(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_space(params["DomainId"], params["SpaceName"])
        return EmptyResult()

    def list_spaces(self) -> ActionResult:
        params = self._params()
        spaces = self._sagelab_backend.list_spaces(params.get("DomainIdEquals"))
        return ActionResult({"Spaces": [space.summary() for space in spaces]})

    def create_presigned_domain_url(self) -> ActionResult:
        params = self._params()
        url = self._sagelab_backend.create_presigned_domain_url(params["DomainId"], params["UserProfileName"])
        return ActionResult({"AuthorizedUrl": url})


def patch() -> None:
    """Attach the SageMaker additions to moto's classes (called once, by server.patch_moto())."""
    # Models are patched with plain functions: subclassing them would register the subclass in
    # moto's model tracking and CloudFormation resource map.
    notebook_class = cast(Any, FakeSagemakerNotebookInstance)
    notebook_class.status = property(_get_notebook_status, _set_notebook_status)
    notebook_class.start = _notebook_start
    notebook_class.stop = _notebook_stop
    notebook_class.to_dict = _notebook_to_dict
    notebook_class.validate_instance_type = _instance_type_checked_against_model
    cast(Any, Domain).describe = _domain_describe
    cast(Any, Domain).status = property(_get_domain_status, _set_domain_status)
    copy_members(_SageMakerResponseExtensions, SageMakerResponse)
    copy_members(SageMakerBackendExtensions, SageMakerModelBackend)
