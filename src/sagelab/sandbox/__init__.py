"""The embedded AWS sandbox: a moto server on 127.0.0.1 for users (and tests) without AWS credentials.

The package, by what each module may import (no module imports one listed above it):

- common: where it listens, the client credentials and region, the settings the server reads; no moto.
- process: one detached sandbox process per project home (<home>/.sagelab/sandbox.json) and the
  `python -m sagelab.sandbox serve` entry; no moto, so `sagelab sandbox status` and `sagelab up` stay
  quick. It imports the server only inside main(), in the server process.
- validation: every SageMaker and Scheduler request checked against botocore's service model.
- iam: iam:PassRole and role existence for roles passed to a service; IAM calls moto lacks.
- sagemaker: the SageMaker calls, status transitions and state rules moto lacks.
- cost_explorer: cost allocation tags.
- faults: fault injection for tests.
- server: patch_moto(), the WSGI front (SandboxApp), serve() and running().

moto's request recorder (/moto-api/recorder/) passes through SandboxApp unchanged.
What clients use is importable from here: `from sagelab import sandbox; sandbox.start(home)`.
"""

from sagelab.sandbox.common import (
    API_PREFIX,
    DEFAULT_TRANSITION_SECONDS,
    HOST,
    NOTEBOOK_MODEL,
    READY_PREFIX,
    SANDBOX_CREDENTIALS,
    SANDBOX_REGION,
    START_TIMEOUT,
    STOP_TIMEOUT,
    TRANSITION_ENV,
    SandboxError,
    client_env,
    transition_seconds,
)
from sagelab.sandbox.process import main, start, state_path, status, stop

__all__ = [
    "API_PREFIX", "DEFAULT_TRANSITION_SECONDS", "HOST", "NOTEBOOK_MODEL", "READY_PREFIX",
    "SANDBOX_CREDENTIALS", "SANDBOX_REGION", "START_TIMEOUT", "STOP_TIMEOUT", "TRANSITION_ENV",
    "SandboxError",
    "client_env", "main", "start", "state_path", "status", "stop", "transition_seconds",
]
