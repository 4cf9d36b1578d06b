"""What both sides of the sandbox share: where it listens, the credentials and region clients use, the
settings the server reads. Imports no moto."""

from __future__ import annotations

import os

HOST = "127.0.0.1"
SANDBOX_REGION = "eu-west-1"  # the book's region
SANDBOX_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
TRANSITION_ENV = "SAGELAB_SANDBOX_TRANSITION_SECONDS"
DEFAULT_TRANSITION_SECONDS = 1.0
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
API_PREFIX = "/sagelab-sandbox/"
READY_PREFIX = "sagelab sandbox listening on "
NOTEBOOK_MODEL = "sagemaker::notebook-instance"  # name in moto's state manager (/moto-api/state-manager/)


class SandboxError(RuntimeError):
    """The sandbox could not be started (the message says why and where its log is)."""


def client_env(endpoint_url: str, region: str = SANDBOX_REGION) -> dict[str, str]:
    """Environment that points AWS SDKs, the AWS CLI and amazon.aws modules at the sandbox.

    botocore reads AWS_ENDPOINT_URL itself, so clients that take no endpoint option follow it too.
    """
    return {"AWS_ENDPOINT_URL": endpoint_url, **SANDBOX_CREDENTIALS,
            "AWS_DEFAULT_REGION": region, "AWS_REGION": region}


def transition_seconds() -> float:
    """How long a notebook instance stays Pending, Stopping, Updating or Deleting ($TRANSITION_ENV)."""
    value = os.environ.get(TRANSITION_ENV, "")
    try:
        seconds = float(value) if value.strip() else DEFAULT_TRANSITION_SECONDS
    except ValueError:
        raise SandboxError(f"{TRANSITION_ENV} must be a number of seconds, not {value!r}") from None
    if seconds < 0:
        raise SandboxError(f"{TRANSITION_ENV} must not be negative, not {value!r}")
    return seconds


def copy_members(source: type, target: type) -> None:
    """Copy a class's own functions and attributes onto another class (moto has no extension hook)."""
    for name, member in vars(source).items():
        if not (name.startswith("__") and name.endswith("__")):
            setattr(target, name, member)
