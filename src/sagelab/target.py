"""Where the AWS side of a run goes: a real AWS account (a named profile) or the embedded sandbox.

A run never mixes the two: every AWS playbook of one `sagelab up` gets the same target. Real AWS costs
money, so sagelab only changes a real account when it is named with --profile; without one it uses the
sandbox and says why (including when credentials exist but were not named).
"""

from __future__ import annotations

import configparser
import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_REGION = "eu-west-1"  # the book's region
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$")
IAM_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True)
class AwsTarget:
    kind: str  # "aws" or "sandbox"
    region: str
    profile: str = ""
    endpoint_url: str = ""
    reason: str = ""  # why this target was chosen, for the user

    def playbook_vars(self) -> dict[str, Any]:
        """The shared variables every AWS role reads."""
        return {"sagelab_aws_endpoint_url": self.endpoint_url, "sagelab_aws_region": self.region,
                "sagelab_aws_profile": self.profile}

    def admin_env(self, client_env: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for the control-node AWS playbooks: the sandbox's credentials, or the profile."""
        if self.kind == "sandbox":
            return dict(client_env or {})
        return {"AWS_PROFILE": self.profile, "AWS_DEFAULT_REGION": self.region}

    def describe(self) -> str:
        if self.kind == "sandbox":
            return f"embedded AWS sandbox at {self.endpoint_url} ({self.region})"
        return f"AWS account of profile '{self.profile}' ({self.region})"


def configured_profiles(environ: dict[str, str] | None = None) -> list[str]:
    """Profiles named in the AWS CLI's config and credentials files (as botocore finds them)."""
    env = os.environ if environ is None else environ
    files = [env.get("AWS_CONFIG_FILE", "~/.aws/config"), env.get("AWS_SHARED_CREDENTIALS_FILE",
                                                                  "~/.aws/credentials")]
    names: set[str] = set()
    for path in files:
        parser = configparser.ConfigParser()
        try:
            parser.read(Path(path).expanduser())
        except configparser.Error:
            continue
        names.update(s.removeprefix("profile ").strip() for s in parser.sections())
    return sorted(names)


LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def profile_endpoint(profile: str, environ: dict[str, str] | None = None) -> str:
    """The endpoint_url a profile sends every call to ('' for AWS itself), from the AWS CLI's config file."""
    env = os.environ if environ is None else environ
    parser = configparser.ConfigParser()
    try:
        parser.read(Path(env.get("AWS_CONFIG_FILE", "~/.aws/config")).expanduser())
    except configparser.Error:
        return ""
    section = "default" if profile == "default" else f"profile {profile}"
    return parser.get(section, "endpoint_url", fallback="").strip()


def credentials_in_environment(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE") or configured_profiles(env))


def local_user() -> str:
    """The local user's name, which `sagelab up` makes the first data scientist (an IAM user name)."""
    name = re.sub(r"[^\w+=,.@-]", "-", getpass.getuser())[:64]
    return name or "data-scientist"


def choose(profile: str | None, region: str, environ: dict[str, str] | None = None) -> AwsTarget:
    """Real AWS with --profile (it must exist), else the sandbox; the endpoint is filled in later."""
    if not REGION_RE.match(region):
        raise ValueError(f"--region: '{region}' is not an AWS region name; allowed: e.g. eu-west-1")
    if profile:
        known = configured_profiles(environ)
        if profile not in known:
            listed = ", ".join(known) or "none"
            raise ValueError(f"--profile: '{profile}' is not a configured AWS profile; configured: {listed}")
        endpoint = profile_endpoint(profile, environ)
        if endpoint and (urlsplit(endpoint).hostname or "") in LOOPBACK:
            # the profile sagelab's aws_cli role wrote for the sandbox: no AWS account behind it
            return AwsTarget("sandbox", region, reason=(
                f"--profile {profile} is sagelab's sandbox profile (its endpoint_url {endpoint} is this "
                "machine, not an AWS account), so the embedded sandbox is used instead"))
        if endpoint:
            raise ValueError(f"--profile: '{profile}' sends every call to endpoint_url {endpoint}, not to "
                             "AWS; allowed: a profile of a real AWS account (no endpoint_url), or no "
                             "--profile for the embedded sandbox")
        return AwsTarget("aws", region, profile=profile, reason=f"--profile {profile}")
    if credentials_in_environment(environ):
        why = ("AWS credentials are configured, but sagelab changes a real account only when it is named "
               "with --profile NAME")
    else:
        why = "no AWS credentials are configured"
    return AwsTarget("sandbox", region, reason=why)
