"""Hide AWS credentials in any text the CLI shows or stores."""

from __future__ import annotations

import re
from typing import Any

MASK = "********"

_ACCESS_KEY_ID = re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")
_SECRET_ASSIGNMENT = re.compile(r"(?i)(aws_secret_access_key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")
_SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


def _looks_random(token: str) -> bool:
    """A secret access key mixes cases and digits; paths and hex digests (git SHAs) do not."""
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and any(
        c.isdigit() for c in token
    )


def redact(text: str) -> str:
    """Return text with AWS access key ids and secret access keys masked."""
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)
    text = _ACCESS_KEY_ID.sub(MASK, text)
    return _SECRET_LIKE.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)


def redact_data(value: Any) -> Any:
    """redact() every string inside a JSON-like structure (dict keys included)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
