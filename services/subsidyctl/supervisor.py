"""Starts the five services (N replicas each) and the workbench as uvicorn processes, restarts one that dies,
stops all cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

import httpx

from subsidyctl.catalog import SERVICES, ServiceInfo

# Replica k of a service listens 100 ports above replica 0 (intake: 8001, 8101, 8201 …).
REPLICA_PORT_STEP = 100
MAX_REPLICAS = 8


class ServiceProcess:
    """One process of a service under supervision: replica `replica` (0-based) of `info`.

    `port` is replica 0's port (the catalogue's by default); the replica listens `100 * replica` above it and
    is told its ordinal in SUBSIDY_REPLICA_ID. Replicas of a service share its database and consumer group.
    """

    def __init__(self, info: ServiceInfo, env: Mapping[str, str], port: int | None = None, replica: int = 0) -> None:
        if not 0 <= replica < MAX_REPLICAS:
            raise ValueError(f"replica {replica} is outside 0..{MAX_REPLICAS - 1}")
        self.info = info
        self.replica = replica
        self.env = {**env, "SUBSIDY_REPLICA_ID": str(replica)}
        self.port = (port or info.port) + REPLICA_PORT_STEP * replica
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def name(self) -> str:
        """`intake#1`: the service and the replica, for messages."""
        return f"{self.info.name}#{self.replica}"

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
                raise RuntimeError(f"{p.name} exited during start-up (code {p.process and p.process.returncode})")
        if pending and time.monotonic() > deadline:
            raise TimeoutError("not ready: " + ", ".join(p.name for p in pending))
        time.sleep(0.3)


def replicated(
    env: Mapping[str, str],
    services: Sequence[ServiceInfo] = SERVICES,
    replicas: int = 1,
    ports: Mapping[str, int] | None = None,
) -> list[ServiceProcess]:
    """`replicas` processes of each service (not started), service by service; `ports`: replica 0's port by
    service name where it is not the catalogue's."""
    if not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(f"replicas must be 1..{MAX_REPLICAS}, not {replicas}")
    ports = ports or {}
    return [ServiceProcess(info, env, ports.get(info.name), k) for info in services for k in range(replicas)]


def start_all(
    env: Mapping[str, str], services: Sequence[ServiceInfo] = SERVICES, replicas: int = 1
) -> list[ServiceProcess]:
    processes = replicated(env, services, replicas)
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
                    print(f"{p.name} exited; restarting (restart {p.restarts})", flush=True)
                    p.start()
    except KeyboardInterrupt:
        print("stopping services…", flush=True)
    finally:
        for p in processes:
            p.stop()
