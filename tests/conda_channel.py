"""The local file:// conda channel the conda tests use: built once (scripts/conda-channel's code), cached
under .sagelab/cache/conda-channel by its inputs, so later sessions reuse it.

Import the fixture into a test module: `from tests.conda_channel import conda_channel  # noqa: F401`.
"""

from __future__ import annotations

import sys
import time

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="session")
def conda_channel() -> str:
    """The channel's file:// URL (python = this interpreter's CPython, boto3, pandas, Jupyter, ...)."""
    from sagelab import conda_channel as builder

    started = time.monotonic()
    cache = REPO / ".sagelab" / "cache" / "conda-channel"
    cache.mkdir(parents=True, exist_ok=True)
    channel = builder.build(sys.executable, builder.DEFAULT_REQUIREMENTS, cache)
    print(f"conda channel ready in {time.monotonic() - started:.1f}s: {channel}")
    return channel.as_uri()
