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

    def kill(self) -> None:
        """SIGKILL and reap: a wedged process may not honour SIGTERM."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wedged(self) -> bool:
        """Liveness failed: /healthz says wedged (503) or the process does not answer in time. A refused
        connection is not counted: the process is starting or has just exited, which `alive` sees."""
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5).status_code == 503
        except httpx.TimeoutException:
            return True
        except httpx.HTTPError:
            return False

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


class LivenessProbe:
    """Kubernetes' liveness probe in small: a process failing `threshold` probes in a row is replaced."""

    def __init__(self, every_seconds: float = 5.0, threshold: int = 3) -> None:
        self.every_seconds = every_seconds
        self.threshold = threshold
        self._failures: dict[str, int] = {}
        self._last = time.monotonic()

    def due(self) -> bool:
        if time.monotonic() - self._last < self.every_seconds:
            return False
        self._last = time.monotonic()
        return True

    def failed(self, p: ServiceProcess) -> bool:
        """Record one probe of `p`; True once it has failed `threshold` times in a row."""
        count = self._failures.get(p.name, 0) + 1 if p.wedged() else 0
        self._failures[p.name] = count
        if count >= self.threshold:
            self._failures[p.name] = 0
            return True
        return False


def supervise(
    processes: Sequence[ServiceProcess], poll_seconds: float = 1.0, probe: LivenessProbe | None = None
) -> None:
    """Restart a service that exits or fails its liveness probe; return on Ctrl-C / SIGTERM after stopping
    every service."""
    probe = probe or LivenessProbe()

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starting us in the background leaves SIGINT ignored, and `make down` sends it.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        while True:
            time.sleep(poll_seconds)
            probing = probe.due()
            for p in processes:
                if not p.alive():
                    _restart(p, "exited")
                elif probing and probe.failed(p):
                    p.kill()
                    _restart(p, "failed its liveness probe")
    except KeyboardInterrupt:
        print("stopping services…", flush=True)
    finally:
        for p in processes:
            p.stop()


def _restart(p: ServiceProcess, why: str) -> None:
    p.restarts += 1
    print(f"{p.name} {why}; restarting (restart {p.restarts})", flush=True)
    p.start()
