"""Starts the five services and the workbench as uvicorn processes, restarts one that dies, stops all cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

import httpx

from subsidyctl.catalog import SERVICES, ServiceInfo


class ServiceProcess:
    """One service under supervision."""

    def __init__(self, info: ServiceInfo, env: Mapping[str, str], port: int | None = None) -> None:
        self.info = info
        self.env = dict(env)
        self.port = port or info.port
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "uvicorn", "--factory", self.info.app,
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env={**os.environ, **self.env}, cwd=str(self.info.folder))

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}{self.info.ready_path}", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def wait_ready(processes: Sequence[ServiceProcess], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(processes)
    while pending:
        pending = [p for p in pending if not p.ready()]
        for p in pending:
            if not p.alive():
                raise RuntimeError(f"{p.info.name} exited during start-up (code {p.process and p.process.returncode})")
        if pending and time.monotonic() > deadline:
            raise TimeoutError("not ready: " + ", ".join(p.info.name for p in pending))
        time.sleep(0.3)


def start_all(env: Mapping[str, str], services: Sequence[ServiceInfo] = SERVICES) -> list[ServiceProcess]:
    processes = [ServiceProcess(info, env) for info in services]
    for p in processes:
        p.start()
    return processes


def supervise(processes: Sequence[ServiceProcess], poll_seconds: float = 1.0) -> None:
    """Restart a service that exits; return on Ctrl-C / SIGTERM after stopping every service."""

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starting us in the background leaves SIGINT ignored, and `make down` sends it.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        while True:
            time.sleep(poll_seconds)
            for p in processes:
                if not p.alive():
                    p.restarts += 1
                    print(f"{p.info.name} exited; restarting (restart {p.restarts})", flush=True)
                    p.start()
    except KeyboardInterrupt:
        print("stopping services…", flush=True)
    finally:
        for p in processes:
            p.stop()
