"""The embedded AWS sandbox's server: moto, extended with what sagelab's AWS playbooks need.

moto 5.2.5 lacks calls sagelab's AWS playbooks make and moves notebook instances to their final status at
once, so waiters and the stop-update-start flow would never be exercised. The sibling modules add those
calls and AWS's rules (sagemaker, iam, cost_explorer, validation) and fault injection for tests (faults);
patch_moto() attaches them to moto's classes, and SandboxApp serves moto behind the sandbox's own
endpoints. sagelab.sandbox.process starts it as a detached process (`python -m sagelab.sandbox serve`);
running() serves it on a thread, in process.

moto has no supported extension hook: the additions are attached to moto's classes and are tied to the
pinned moto version (pyproject.toml).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from moto.moto_api import state_manager
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sagemaker.models import SageMakerModelBackend
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sagelab.sandbox import cost_explorer, iam, sagemaker, validation
from sagelab.sandbox.common import API_PREFIX, HOST, NOTEBOOK_MODEL, READY_PREFIX, transition_seconds
from sagelab.sandbox.faults import (
    FaultInjector,
    classify,
    error_response,
    fail_notebook,
    fail_studio,
    json_body,
    json_response,
    legacy_notebook,
)

# --- patching ------------------------------------------------------------------------------------

_patch_lock = threading.Lock()


def patch_moto() -> None:
    """Add the sandbox's calls and rules to moto's classes, once per process (idempotent), and set the
    notebook status transitions from $SAGELAB_SANDBOX_TRANSITION_SECONDS (re-read on every call)."""
    seconds = transition_seconds()
    transition = {"progression": "time", "seconds": seconds} if seconds else {"progression": "immediate"}
    state_manager.register_default_transition(NOTEBOOK_MODEL, transition)
    with _patch_lock:
        if getattr(SageMakerModelBackend, "_sagelab_patched", False):
            return
        sagemaker.patch()
        iam.patch()
        cost_explorer.patch()
        validation.patch()
        cast(Any, SageMakerModelBackend)._sagelab_patched = True


class SandboxApp:
    """WSGI front of the moto server: the sandbox's endpoints under API_PREFIX, then injected faults,
    then moto (whose /moto-api/ stays reachable).

    GET  ping           {"sandbox": "sagelab", "pid": ...}: tells a live sandbox from anything else
    GET/POST/DELETE faults   list / queue (JSON body, see FaultInjector) / clear injected faults
    POST fail-notebook  {"name", "reason", "region"?, "account"?}: put a notebook instance in Failed
    POST legacy-notebook {"name", "region"?, "account"?}: describe it without IpAddressType, as AWS
                        describes instances made before the field existed
    POST fail-domain    {"domain_id", "reason"?, "region"?, "account"?}: put a Studio domain in Failed
    POST fail-user-profile {"domain_id", "name", "reason"?, ...}: put a user profile in Failed
    """

    def __init__(self, moto_app: Callable[..., Any]) -> None:
        self.moto_app = moto_app
        self.faults = FaultInjector()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIX):
            return self._api(Request(environ), path[len(API_PREFIX):].strip("/"))(environ, start_response)
        if self.faults.active and not path.startswith("/moto-api/"):
            service, operation, protocol = classify(environ)
            fault = self.faults.take(service, operation)
            if fault:
                return error_response(fault, protocol)(environ, start_response)
        return self.moto_app(environ, start_response)

    def _api(self, request: Request, name: str) -> Response:
        try:
            if name == "ping" and request.method == "GET":
                return json_response({"sandbox": "sagelab", "pid": os.getpid()})
            if name == "faults" and request.method == "GET":
                return json_response({"faults": self.faults.pending()})
            if name == "faults" and request.method == "POST":
                return json_response(self.faults.add(json_body(request)), 201)
            if name == "faults" and request.method == "DELETE":
                self.faults.clear()
                return json_response({"faults": []})
            if name == "fail-notebook" and request.method == "POST":
                return fail_notebook(json_body(request))
            if name == "legacy-notebook" and request.method == "POST":
                return legacy_notebook(json_body(request))
            if name in ("fail-domain", "fail-user-profile") and request.method == "POST":
                return fail_studio(name, json_body(request))
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"error": f"no such sandbox endpoint: {request.method} {request.path}"}, 404)


# --- serving ------------------------------------------------------------------------------------

def _endpoint_url(port: int, host: str = HOST) -> str:
    return f"http://{host}:{port}"


def _make_server(host: str, port: int) -> BaseWSGIServer:
    patch_moto()
    app = SandboxApp(DomainDispatcherApplication(create_backend_app))
    return make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def serve(host: str = HOST, port: int = 0) -> None:
    """Serve the sandbox until the process ends (port 0: any free port); announce the endpoint on stdout.

    AWS managed policies (AmazonSageMakerFullAccess, ...) are loaded unless the environment says
    otherwise: the book's execution role attaches them.
    """
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    server = _make_server(host, port)
    print(f"{READY_PREFIX}{_endpoint_url(server.server_port, host)}", flush=True)
    server.serve_forever()


@contextmanager
def running(port: int = 0) -> Iterator[str]:
    """An in-process sandbox on a thread, for tests; yields its endpoint URL.

    moto's state and the patches are per process: they are shared with anything else using moto in the
    process. Unlike serve(), AWS managed policies load only if MOTO_IAM_LOAD_MANAGED_POLICIES says so.
    """
    server = _make_server(HOST, port)
    thread = threading.Thread(target=server.serve_forever, name="sagelab-sandbox", daemon=True)
    thread.start()
    try:
        yield _endpoint_url(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
