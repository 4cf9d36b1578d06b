"""Drill 1: the package index goes away in the middle of a converge.

The sagemaker_sdk role (its python_packages module, with uv) installs into a temporary environment from
a local PEP 503 index served by this test. The index holds tiny made-up wheels named like the book's
packages (sagemaker, boto3, pandas, ipykernel, each with a dependency), so the drill needs no network
and takes seconds. The index serves one wheel, then dies (its port then refuses connections):

- the run fails, and the failure names the host, the package step and the index's address;
- the environment is exactly as it was before (uv downloads everything before it installs anything);
- with the index back the rerun reports changed for that one task, installing exactly what was missing;
- a third run changes nothing and needs no index at all (the index is down again).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import BIN, run_playbook

TASK = "Ensure boto3, the SageMaker SDK and pandas are installed in the environment"
# name, version, dependencies
WHEELS = [
    ("sagemaker", "2.999.0", ["drill-sagemaker-core"]),
    ("drill-sagemaker-core", "1.0.0", []),
    ("boto3", "1.99.0", ["drill-botocore"]),
    ("drill-botocore", "1.0.0", []),
    ("pandas", "9.9.0", []),
    ("ipykernel", "9.9.0", ["drill-traitlets"]),
    ("drill-traitlets", "1.0.0", []),
]


def build_wheel(folder: Path, name: str, version: str, requires: list[str]) -> Path:
    """A minimal, valid pure-Python wheel."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist_info}/METADATA": "Metadata-Version: 2.1\n" f"Name: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: sagelab-drill\nRoot-Is-Purelib: true\n"
                              "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    wheel.write_bytes(buffer.getvalue())
    return wheel


class Index:
    """A PEP 503 simple index on 127.0.0.1:port that can die after serving some wheels."""

    def __init__(self, wheels: dict[str, Path], port: int = 0, die_after_files: int | None = None):
        self.wheels = wheels  # normalized project name -> wheel
        self.die_after_files = die_after_files
        self.files_served = 0
        self.dead = False
        self.stopper: threading.Thread | None = None
        self.lock = threading.Lock()
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                index.handle(self)

            def do_HEAD(self) -> None:  # noqa: N802 - uv asks first whether ranges are served
                index.handle(self, head=True)

        self.server = self.bind(port, Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/simple/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def bind(port: int, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        """Bind `port`, or a free port below the kernel's ephemeral range when `port` is 0.

        The drill brings the index back on the same address after it died. A port from the ephemeral
        range (what port 0 gives) can meanwhile be taken by any outgoing connection on this machine,
        and CI makes thousands of them to the sandbox; a port below that range cannot be."""
        if port:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        for candidate in random.sample(range(max(1024, low - 8000), low), 200):
            try:
                return ThreadingHTTPServer(("127.0.0.1", candidate), handler)
            except OSError:
                continue
        raise RuntimeError(f"no free port below the ephemeral range ({low})")

    def handle(self, request: BaseHTTPRequestHandler, head: bool = False) -> None:
        parts = [p for p in request.path.split("?")[0].split("/") if p]
        if parts[:1] == ["simple"] and len(parts) == 2 and parts[1] in self.wheels:
            wheel = self.wheels[parts[1]]
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            body = f'<html><body><a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a></body></html>'
            return self.reply(request, 200, body.encode(), "text/html", head)
        if parts[:1] == ["files"] and len(parts) == 2:
            with self.lock:
                limit = self.die_after_files
                if self.dead or (limit is not None and self.files_served >= limit):
                    self.dead = True
                    request.close_connection = True
                    if self.stopper is None:  # the index dies
                        self.stopper = threading.Thread(target=self.stop, daemon=True)
                        self.stopper.start()
                    return None
                self.files_served += 0 if head else 1
            wheel = next(w for w in self.wheels.values() if w.name == parts[1])
            return self.reply(request, 200, wheel.read_bytes(), "application/octet-stream", head)
        return self.reply(request, 404, b"not found", "text/plain", head)

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str,
              head: bool = False) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if not head:
            request.wfile.write(body)

    def wait_dead(self, timeout: float = 60) -> None:
        """Wait until the dying index has closed its socket, so its address can be bound again."""
        assert self.stopper is not None, "the index never died"
        self.stopper.join(timeout)
        assert not self.stopper.is_alive(), f"the index on port {self.port} did not stop in {timeout} s"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def installed(venv: Path) -> dict[str, str]:
    probe = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version " \
            "for d in m.distributions()}))"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    return {k: v for k, v in json.loads(out).items() if k not in ("pip", "setuptools", "wheel")}


def task_result(run, name: str) -> dict:
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].endswith(name):
                return task["hosts"]["localhost"]
    raise AssertionError(f"no task {name!r}")


@pytest.fixture
def wheels(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "wheels"
    folder.mkdir()
    return {name: build_wheel(folder, name, version, deps) for name, version, deps in WHEELS}


def test_index_dying_mid_install_leaves_the_env_as_it_was_and_the_rerun_adds_only_what_is_missing(
        tmp_path, wheels):
    venv, cache = tmp_path / "sagemaker", tmp_path / "uv-cache"
    uv = str(BIN / "uv")
    env = {"UV_CACHE_DIR": str(cache), "UV_NO_CONFIG": "1", "UV_HTTP_RETRIES": "0"}

    def converge(index_url: str):
        return run_playbook("tests/drills/playbooks/sdk_only.yml", env=env, timeout=300, extra_vars={
            "sagelab_home": str(tmp_path),  # no facts gathered: the home the role's defaults follow
            "sagemaker_sdk_config": False,  # this drill is about the package index alone
            "sagemaker_sdk_env_path": str(venv), "sagemaker_sdk_uv": uv, "sagemaker_sdk_index_url": index_url,
            "sagemaker_sdk_packages": ["boto3", "pandas", "ipykernel"]})

    # before: an environment that already holds boto3 and pandas
    index = Index(wheels)
    subprocess.run([uv, "venv", "--quiet", str(venv)], check=True, env={**env, "PATH": "/usr/bin:/bin"})
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                    "--index-url", index.url, "boto3", "pandas"], check=True, capture_output=True,
                   env={**env, "PATH": "/usr/bin:/bin"})
    index.stop()
    before = installed(venv)
    assert before == {"boto3": "1.99.0", "drill-botocore": "1.0.0", "pandas": "9.9.0"}

    # the index serves one wheel, then dies
    index = Index(wheels, die_after_files=1)
    port, url = index.port, index.url
    failed = converge(url)
    assert failed.rc != 0
    result = task_result(failed, TASK)
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert msg.startswith("installing sagemaker>=2,<3, boto3, pandas, ipykernel failed (uv, rc="), msg
    assert f"127.0.0.1:{port}" in msg, msg  # the index that failed is named
    assert "fatal: [localhost]" not in failed.stdout  # json callback: the host is the result's key
    assert failed.stats["localhost"]["failures"] == 1 and failed.stats["localhost"]["changed"] == 0
    assert installed(venv) == before, "a half-installed environment"

    # the index is back (same address): only what was missing is installed
    index.wait_dead()
    index = Index(wheels, port=port)
    try:
        rerun = converge(url)
    finally:
        index.stop()
    assert rerun.rc == 0, rerun.failure_messages() or rerun.stdout[-3000:]
    assert rerun.changed_tasks() == [TASK]
    result = task_result(rerun, TASK)
    assert sorted(result["installed"]) == ["drill-sagemaker-core==1.0.0", "drill-traitlets==1.0.0",
                                           "ipykernel==9.9.0", "sagemaker==2.999.0"]
    assert result["removed"] == []
    assert installed(venv) == {**before, "sagemaker": "2.999.0", "drill-sagemaker-core": "1.0.0",
                               "ipykernel": "9.9.0", "drill-traitlets": "1.0.0"}

    # and once complete, a run needs no index at all: it is down, and nothing changes
    again = converge(url)
    assert again.rc == 0, again.failure_messages()
    assert again.changed_tasks() == []
