"""The one base of sagelab's AWS modules (plugins/module_utils/_sagemaker.py: Resource, is_not_found), in
process: a fake module object and real botocore clients answered by botocore's Stubber, so every request
is checked against the service model and any call the test did not expect fails. Milliseconds, no
sandbox, no subprocess; the end-to-end runs of the modules stay in tests/integration."""

from __future__ import annotations

import sys

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _sagemaker as base  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.modules import (  # noqa: E402
    sagemaker_code_repository,
    scheduler_schedule,
)

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:code-repository/book"


class Failed(Exception):
    pass


class Exited(Exception):
    pass


class FakeModule:
    """What the base uses of AnsibleAWSModule: params, check mode, diff mode, client(), fail/exit_json."""

    def __init__(self, params, check_mode=False, diff=False):
        self.params = {"profile": None, **params}
        self.check_mode = check_mode
        self._diff = diff
        self.stubs = {}
        self.warnings = []

    def client(self, service, retry_decorator=None, config=None):
        del config
        client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="k",
                              aws_secret_access_key="s")
        self.stubs[service] = Stubber(client)
        self.stubs[service].activate()
        return RetryingBotoClientWrapper(client, retry_decorator)

    def stub(self, service="sagemaker"):
        return self.stubs[service]

    def warn(self, msg):
        self.warnings.append(msg)

    def fail_json(self, **result):
        raise Failed(result)

    def exit_json(self, **result):
        raise Exited(result)


def api_for(module, *services):
    """A SageMakerApi whose clients exist already (so the test can stub them), retried once only."""
    api = base.SageMakerApi(module)
    api.attempts = 1
    for service in services or ("sagemaker",):
        api.client(service)
    return api


class Thing(base.Resource):
    kind = "thing"

    def ensure(self):
        return self.result({}, {})


# --- not found: decided by the error code AWS documents, by words only where it documents none ---------

@pytest.mark.parametrize(("operation", "params", "code", "message"), [
    ("describe_domain", {"DomainId": "d-abc"}, "ResourceNotFound", "Domain d-abc does not exist"),
    ("describe_notebook_instance", {"NotebookInstanceName": "nb"}, "ValidationException", "RecordNotFound"),
    ("describe_code_repository", {"CodeRepositoryName": "book"}, "ValidationException",
     f"Cannot find CodeRepository ({ARN})"),
    ("describe_notebook_instance_lifecycle_config", {"NotebookInstanceLifecycleConfigName": "c"},
     "ValidationException", "Unable to describe Notebook Instance Lifecycle Config 'arn'. (Details: Notebook "
     "Instance Lifecycle Config does not exist.)"),
    ("describe_endpoint", {"EndpointName": "e"}, "ValidationException", 'Could not find endpoint "arn".'),
])
def test_describe_of_a_missing_resource_is_none(operation, params, code, message):
    module = FakeModule({"name": "x"})
    api = api_for(module)
    module.stub().add_client_error(operation, service_error_code=code, service_message=message,
                                   expected_params=params)
    assert api.describe(operation, **params) is None
    module.stub().assert_no_pending_responses()


def schedule_missing(module):
    """GetSchedule's answer for a schedule that does not exist (API reference: ResourceNotFoundException)."""
    module.stub("scheduler").add_client_error("get_schedule", service_error_code="ResourceNotFoundException",
                                              service_message="Schedule s does not exist.",
                                              http_status_code=404)


def test_get_schedule_of_a_missing_schedule_is_none():
    module = FakeModule({"name": "x"})
    api = api_for(module, "scheduler")
    schedule_missing(module)
    assert api.describe("get_schedule", service="scheduler", Name="s", GroupName="default") is None


@pytest.mark.parametrize(("operation", "params", "code", "message"), [
    # moto's answer for a missing domain; AWS answers ResourceNotFound: this is an error, not "absent"
    ("describe_domain", {"DomainId": "d-abc"}, "ValidationException", "Could not find domain 'd-abc'."),
    # bad input that mentions "not found" is not a missing notebook instance
    ("describe_notebook_instance", {"NotebookInstanceName": "nb"}, "ValidationException",
     "Role not found for notebook"),
    ("describe_code_repository", {"CodeRepositoryName": "book"}, "AccessDeniedException",
     "Cannot find CodeRepository: not authorized"),
])
def test_other_errors_of_a_describe_fail_with_aws_code_and_message(operation, params, code, message):
    module = FakeModule({"name": "x"})
    api = api_for(module)
    module.stub().add_client_error(operation, service_error_code=code, service_message=message)
    with pytest.raises(Failed) as failed:
        api.describe(operation, **params)
    result = failed.value.args[0]
    assert result["msg"] == f"Could not {operation.replace('_', ' ')}: {code}: {message}"
    assert result["error"] == {"code": code, "message": message, "operation": operation}


def test_not_found_table_follows_botocore_service_model():
    """Where the service model lists a not-found error for the read, NOT_FOUND uses that code and no
    words; where it lists none, AWS answers ValidationException and NOT_FOUND names the words."""
    session = botocore.session.get_session()
    for operation, (code, words) in base.NOT_FOUND.items():
        service = "scheduler" if operation == "get_schedule" else "sagemaker"
        model = session.get_service_model(service)
        name = "".join(part.capitalize() for part in operation.split("_"))
        errors = {shape.name for shape in model.operation_model(name).error_shapes}
        listed = errors & {"ResourceNotFound", "ResourceNotFoundException"}
        if listed:
            assert (code, words) == (listed.pop(), None), operation
        else:
            assert code == "ValidationException" and words, operation


def test_is_not_found_ignores_non_client_errors():
    assert base.is_not_found(ValueError("RecordNotFound"), "describe_notebook_instance") is False


# --- act: every write recorded; skipped in check mode -------------------------------------------------

def test_act_calls_and_records_the_write():
    module = FakeModule({"name": "book"})
    thing = Thing(module, api_for(module))
    module.stub().add_response("delete_code_repository", {}, {"CodeRepositoryName": "book"})
    assert thing.act("delete_code_repository", CodeRepositoryName="book") == {}
    assert thing.actions == ["DeleteCodeRepository"] and thing.wrote
    module.stub().assert_no_pending_responses()


def test_act_in_check_mode_records_and_calls_nothing():
    module = FakeModule({"name": "book"}, check_mode=True)
    thing = Thing(module, api_for(module))  # no response stubbed: any call would fail
    thing.act("create_code_repository", CodeRepositoryName="book", GitConfig={"RepositoryUrl": "https://x"})
    thing.set_tags(ARN, {"a": "1"}, ["b"])
    assert thing.actions == ["CreateCodeRepository", "DeleteTags", "AddTags"]
    assert not thing.wrote
    assert thing.result({}, {"a": 1})["changed"] is True


def test_before_write_can_refuse_a_write_before_it_is_recorded():
    class Refusing(Thing):
        def before_write(self, action):
            self.module.fail_json(msg=f"refused {action}", **self.progress())

    module = FakeModule({"name": "nb"})
    thing = Refusing(module, api_for(module))
    with pytest.raises(Failed) as failed:
        thing.act("stop_notebook_instance", NotebookInstanceName="nb")
    assert failed.value.args[0] == {"msg": "refused StopNotebookInstance", "changed": False}
    assert thing.actions == []


def test_set_tags_sets_the_difference():
    module = FakeModule({"name": "book"})
    thing = Thing(module, api_for(module))
    module.stub().add_response("delete_tags", {}, {"ResourceArn": ARN, "TagKeys": ["old"]})
    module.stub().add_response("add_tags", {"Tags": []},
                               {"ResourceArn": ARN, "Tags": [{"Key": "a", "Value": "1"}]})
    thing.set_tags(ARN, {"a": "1"}, ["old"])
    thing.set_tags(ARN, {}, [])  # nothing to do: no call, nothing recorded
    assert thing.actions == ["DeleteTags", "AddTags"]
    module.stub().assert_no_pending_responses()


# --- wait: one deadline; never in check mode ----------------------------------------------------------

def test_wait_is_skipped_in_check_mode_and_without_wait():
    def fetch():
        raise AssertionError("polled")

    for module in (FakeModule({"name": "x", "wait": True, "wait_timeout": 5}, check_mode=True),
                   FakeModule({"name": "x", "wait": False, "wait_timeout": 5})):
        assert Thing(module, None).wait(fetch, bool, str) is None


def test_wait_polls_until_done():
    module = FakeModule({"name": "x", "wait": False, "wait_timeout": 5})
    answers = iter([{"Status": "Pending"}, {"Status": "InService"}])
    thing = Thing(module, None)
    thing.deadline = base.Deadline(5)
    result = thing.wait(lambda: next(answers), lambda d: d["Status"] == "InService", str, needed=True)
    assert result == {"Status": "InService"}


def test_wait_timeout_fails_with_what_was_done():
    class Reported(Thing):
        report_actions = True

    module = FakeModule({"name": "x", "wait": True, "wait_timeout": 0})
    thing = Reported(module, None)
    thing.actions.append("CreateDomain")
    with pytest.raises(Failed) as failed:
        thing.wait(lambda: {"Status": "Pending"}, lambda d: False, lambda d: f"x (it is {d['Status']})")
    assert failed.value.args[0] == {"msg": "Timed out after 0 s (wait_timeout) waiting for x (it is Pending)",
                                    "timed_out": True, "changed": True, "actions": ["CreateDomain"]}


# --- settle: a Studio resource in a transitional status is waited out, or planned/refused at once --------

class Studio(Thing):
    """A Studio resource as sagemaker_domain / sagemaker_user_profile have it: the waits recorded."""
    kind = "user profile"
    report_actions = True
    transitional = base.STUDIO_TRANSITIONAL

    def __init__(self, module, after_wait=None):
        super().__init__(module, None)
        self.waited = []
        self.after_wait = after_wait

    def wait_out(self, described, gone=False):
        self.waited.append((described["Status"], gone))
        return self.after_wait

    def refusal_fields(self, described):
        return {"user_profile": base.to_result(described)}


@pytest.mark.parametrize("status", [None, "InService", "Failed", "Update_Failed"])
def test_settle_passes_a_settled_or_missing_resource_on(status):
    studio = Studio(FakeModule({"name": "alice", "wait": True}))
    described = {"Status": status} if status else None
    assert studio.settle(described) is described
    assert studio.unsettled is None and studio.waited == []
    studio.refuse_unsettled("UpdateUserProfile", described)  # nothing to refuse: no failure


def test_settle_waits_out_an_update_and_for_a_deletion_to_end():
    studio = Studio(FakeModule({"name": "alice", "wait": True}), after_wait={"Status": "InService"})
    assert studio.settle({"Status": "Updating"}) == {"Status": "InService"}
    assert studio.settle({"Status": "Deleting"}) is None  # gone: the caller creates it again
    assert studio.waited == [("Updating", False), ("Deleting", True)] and studio.unsettled is None


@pytest.mark.parametrize(("status", "settled"), [("Pending", "InService"), ("Deleting", "gone")])
def test_check_mode_goes_on_at_once_with_a_warning_and_plans(status, settled):
    module = FakeModule({"name": "alice", "wait": True}, check_mode=True)
    studio = Studio(module)
    assert studio.settle({"Status": status}) == {"Status": status}
    assert studio.unsettled == status and studio.waited == []
    assert module.warnings == [f"User profile alice is {status}: check mode did not wait; a real run waits "
                               f"until it is {settled} first"]
    studio.refuse_unsettled("UpdateUserProfile", {"Status": status})  # check mode only plans: no failure


@pytest.mark.parametrize(("status", "settled"), [("Updating", "InService"), ("Deleting", "gone")])
def test_wait_false_goes_on_at_once_and_refuses_any_write(status, settled):
    module = FakeModule({"name": "alice", "wait": False})
    studio = Studio(module)
    described = {"Status": status, "UserProfileName": "alice"}
    assert studio.settle(described) is described
    assert studio.unsettled == status and studio.waited == [] and module.warnings == []
    with pytest.raises(Failed) as failed:
        studio.refuse_unsettled("UpdateUserProfile", described)
    assert failed.value.args[0] == {
        "msg": f"User profile alice is {status}: AWS takes UpdateUserProfile only once it is {settled}; "
               "wait: false does not wait - run again later, or with wait: true",
        "changed": False, "actions": [], "user_profile": {"status": status, "user_profile_name": "alice"}}


def test_settle_of_a_settled_resource_forgets_an_earlier_unsettled_status():
    studio = Studio(FakeModule({"name": "alice", "wait": False}))
    studio.settle({"Status": "Pending"})
    assert studio.settle({"Status": "InService"}) == {"Status": "InService"} and studio.unsettled is None


# --- the result: changed, actions when documented, before/after diff in diff mode -------------------

def test_result_without_writes_is_unchanged_and_has_no_diff_outside_diff_mode():
    module = FakeModule({"name": "x"})
    assert Thing(module, None).result({"a": 1}, {"a": 1}, thing={}) == {"changed": False, "thing": {}}


def test_result_diff_headers_name_the_actions_when_reported():
    class Reported(Thing):
        report_actions = True

    module = FakeModule({"name": "x"}, check_mode=True, diff=True)
    plain, reported = Thing(module, None), Reported(module, None)
    for thing in (plain, reported):
        thing.act("stop_notebook_instance", NotebookInstanceName="x")
    assert plain.result(None, {"s": 1}) == {
        "changed": True, "diff": {"before": {}, "after": {"s": 1}, "before_header": "thing x",
                                  "after_header": "thing x"}}
    assert reported.result({"s": 0}, None) == {
        "changed": True, "actions": ["StopNotebookInstance"],
        "diff": {"before": {"s": 0}, "after": {}, "before_header": "thing x",
                 "after_header": "thing x (StopNotebookInstance)"}}


def test_run_exits_with_the_result_of_ensure(monkeypatch):
    monkeypatch.setattr(base, "SageMakerApi", lambda module: None)
    with pytest.raises(Exited) as exited:
        Thing.run(FakeModule({"name": "x"}))
    assert exited.value.args[0] == {"changed": False}


# --- two modules on the base, in process ------------------------------------------------------------

def code_repository_params(**params):
    return {"name": "book", "state": "present", "repository_url": "https://github.com/example/book.git",
            "branch": None, "secret_arn": None, "tags": {"Project": "sagelab"}, "purge_tags": True, **params}


def test_code_repository_creation_in_check_mode_plans_without_writing():
    module = FakeModule(code_repository_params(), check_mode=True, diff=True)
    repository = sagemaker_code_repository.CodeRepository(module, api_for(module))
    module.stub().add_client_error("describe_code_repository", service_error_code="ValidationException",
                                   service_message=f"Cannot find CodeRepository ({ARN})")
    result = repository.ensure()
    assert result == {
        "changed": True, "changed_settings": ["state"], "code_repository": {},
        "diff": {"before": {}, "after": {"repository_url": "https://github.com/example/book.git",
                                         "branch": None, "secret_arn": None, "tags": {"Project": "sagelab"}},
                 "before_header": "code repository book", "after_header": "code repository book"}}
    assert repository.actions == ["CreateCodeRepository"]
    module.stub().assert_no_pending_responses()


def test_code_repository_secret_change_updates_and_describes_again():
    module = FakeModule(code_repository_params(secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:"
                                                          "secret:git-AbCdEf", tags=None))
    repository = sagemaker_code_repository.CodeRepository(module, api_for(module))
    described = {"CodeRepositoryName": "book", "CodeRepositoryArn": ARN, "CreationTime": "2026-01-05",
                 "LastModifiedTime": "2026-01-05",
                 "GitConfig": {"RepositoryUrl": "https://github.com/example/book.git"}}
    stub = module.stub()
    stub.add_response("describe_code_repository", described, {"CodeRepositoryName": "book"})
    stub.add_response("list_tags", {"Tags": []}, {"ResourceArn": ARN})
    stub.add_response("update_code_repository", {"CodeRepositoryArn": ARN},
                      {"CodeRepositoryName": "book", "GitConfig": {"SecretArn": module.params["secret_arn"]}})
    updated = dict(described, GitConfig=dict(described["GitConfig"], SecretArn=module.params["secret_arn"]))
    stub.add_response("describe_code_repository", updated, {"CodeRepositoryName": "book"})
    stub.add_response("list_tags", {"Tags": [{"Key": "Project", "Value": "sagelab"}]}, {"ResourceArn": ARN})
    result = repository.ensure()
    assert result["changed"] is True and result["changed_settings"] == ["secret_arn"]
    assert result["code_repository"]["git_config"]["secret_arn"] == module.params["secret_arn"]
    assert result["code_repository"]["tags"] == {"Project": "sagelab"}
    assert "actions" not in result and "diff" not in result
    stub.assert_no_pending_responses()


def test_schedule_delete_of_a_missing_schedule_is_no_change():
    module = FakeModule({"name": "s", "group_name": "default", "state": "absent"}, diff=True)
    schedule = scheduler_schedule.Schedule(module, api_for(module, "scheduler"))
    schedule_missing(module)
    assert schedule.ensure() == {"changed": False, "changed_settings": [], "schedule": {},
                                 "diff": {"before": {}, "after": {}, "before_header": "schedule default/s",
                                          "after_header": "schedule default/s"}}
