"""The fault suite's own infrastructure: a private PostgreSQL server and private Kafka brokers it may crash.

The shared server (127.0.0.1:5432) and broker (127.0.0.1:9092) serve everyone else on this machine; the
fault tests never touch them. PostgreSQL runs from Debian's server binaries as user `postgres` in
`.infra/faults-pg` on 127.0.0.1:15432; Kafka comes from `deploy/local/kafka.sh` (a single broker in
`.infra/faults-kafka` on 19092, or the 3-node cluster in `.infra/kafka-cluster` on 9192/9194/9196).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from subsidyctl.catalog import REPO_ROOT

INFRA = REPO_ROOT / ".infra"
KAFKA_SH = REPO_ROOT / "deploy" / "local" / "kafka.sh"


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _run(command: list[str], *, check: bool = True, timeout: float = 180.0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


# ---- PostgreSQL ------------------------------------------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
    return found[-1].parent


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of the fault suite alone; `restart("immediate")` is its crash."""

    port: int = 15432
    folder: Path = INFRA / "faults-pg"
    role: str = "subsidy"
    password: str = "subsidy"
    max_connections: int = 300

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    @property
    def server_url(self) -> str:
        """The SQLAlchemy URL without a database, as tests/conftest.py's SERVER."""
        return f"postgresql+asyncpg://{self.role}:{self.password}@127.0.0.1:{self.port}"

    def _as_postgres(
        self, *command: str, check: bool = True, timeout: float = 180.0
    ) -> subprocess.CompletedProcess[str]:
        return _run(["runuser", "-u", "postgres", "--", *command], check=check, timeout=timeout)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        log = str(self.folder / "server.log")
        return self._as_postgres(str(_postgres_bin() / "pg_ctl"), "-D", str(self.data), "-l", log, *args, check=check)

    def _psql(self, sql: str) -> str:
        psql = str(_postgres_bin() / "psql")
        command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir), "-p", str(self.port)]
        return self._as_postgres(*command, "-d", "postgres", "-tAc", sql).stdout.strip()

    def _init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        _run(["chown", "postgres:postgres", str(self.folder), str(self.socket_dir)])
        if (self.data / "PG_VERSION").exists():
            return
        initdb = str(_postgres_bin() / "initdb")
        self._as_postgres(
            initdb, "-D", str(self.data), "-U", "postgres", "--encoding=UTF8", "--locale=C.UTF-8",
            "--auth-local=peer", "--auth-host=scram-sha-256",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": str(self.max_connections),
            # Only the OS crash is beyond these tests: PostgreSQL's own crash (SIGQUIT) keeps every commit.
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "'128MB'",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/faults/infra.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def ensure(self) -> PrivatePostgres:
        """Initialise once, start if stopped, make sure the role exists. Idempotent."""
        self._init()
        if not self.running():
            self._pg_ctl("start", "-w", "-t", "60")
        self.wait_ready()
        self._psql(
            f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{self.role}') THEN "
            f"CREATE ROLE {self.role}; END IF; END$$; "
            f"ALTER ROLE {self.role} WITH LOGIN CREATEDB PASSWORD '{self.password}'"
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        isready = str(_postgres_bin() / "pg_isready")
        deadline = time.monotonic() + timeout
        while _run([isready, "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"private PostgreSQL not ready on {self.port}; see {self.folder / 'server.log'}")
            time.sleep(0.2)

    def restart(self, mode: str = "immediate", down_seconds: float = 0.0) -> float:
        """Stop (`immediate` = no checkpoint, crash recovery on start), stay down `down_seconds`, start again;
        returns the seconds the server did not answer."""
        started = time.monotonic()
        if down_seconds <= 0:
            self._pg_ctl("restart", "-m", mode, "-w", "-t", "60")
        else:
            self._pg_ctl("stop", "-m", mode, "-w", "-t", "60")
            time.sleep(down_seconds)
            self._pg_ctl("start", "-w", "-t", "60")
        self.wait_ready()
        return time.monotonic() - started

    def stop(self) -> None:
        if self.running():
            self._pg_ctl("stop", "-m", "fast", "-w")


# ---- Kafka -----------------------------------------------------------------------------------------------


@dataclass
class KafkaBrokers:
    """Brokers started by deploy/local/kafka.sh in a folder of their own; each node can be killed or frozen.

    Node numbers start at 1. A single broker (`brokers=1`) listens on `port`; a cluster's node i on
    9192 + 2(i-1), its files under `<dir>/node<i>`.
    """

    brokers: int = 1
    folder: Path = INFRA / "faults-kafka"
    port: int = 19092
    stopped: set[int] = field(default_factory=set)  # nodes SIGSTOPped and not yet continued

    @classmethod
    def single(cls) -> KafkaBrokers:
        return cls(1, INFRA / "faults-kafka", 19092)

    @classmethod
    def cluster(cls) -> KafkaBrokers:
        return cls(3, INFRA / "kafka-cluster", 9192)

    @property
    def ports(self) -> list[int]:
        if self.brokers == 1:
            return [self.port]
        return [9192 + 2 * (i - 1) for i in range(1, self.brokers + 1)]

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def node_of_port(self, port: int) -> int:
        return self.ports.index(port) + 1

    def _script(self, command: str, *, check: bool = True, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        args = ["bash", str(KAFKA_SH), command, "--dir", str(self.folder)]
        args += ["--brokers", str(self.brokers)] if self.brokers > 1 else ["--port", str(self.port)]
        return _run(args, check=check, timeout=timeout)

    def start(self) -> KafkaBrokers:
        """Start every node that is not running (kafka.sh is idempotent) and wait until they answer."""
        self.cont_all()
        self._script("start")
        return self

    def stop(self) -> None:
        self.cont_all()
        self._script("stop", check=False)

    def status(self) -> str:
        result = self._script("status", check=False, timeout=60)
        return result.stdout + result.stderr

    def _pid_files(self, node: int) -> list[Path]:
        if self.brokers > 1:
            return [self.folder / f"node{node}" / "kafka.pid"]
        return [self.folder / "kafka.pid", self.folder / "node1" / "kafka.pid"]

    def pid(self, node: int = 1) -> int:
        for path in self._pid_files(node):
            if path.exists() and (text := path.read_text().strip()).isdigit() and _alive(int(text)):
                return int(text)
        # Else the script's own word: a line `node=<i> pid=<pid> port=… state=…` per node.
        status = self.status()
        found = re.search(rf"^node={node} pid=(\d+)", status, re.MULTILINE)
        if found and _alive(int(found.group(1))):
            return int(found.group(1))
        raise RuntimeError(f"no running Kafka node {node} under {self.folder}:\n{status}")

    def kill9(self, node: int = 1) -> None:
        pid = self.pid(node)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stopped.discard(node)

    def sigstop(self, node: int = 1) -> None:
        os.kill(self.pid(node), signal.SIGSTOP)
        self.stopped.add(node)

    def sigcont(self, node: int = 1) -> None:
        os.kill(self.pid(node), signal.SIGCONT)
        self.stopped.discard(node)

    def cont_all(self) -> None:
        for node in sorted(self.stopped):
            try:
                self.sigcont(node)
            except (RuntimeError, ProcessLookupError):
                self.stopped.discard(node)

    def all_running(self) -> bool:
        try:
            return all(self.pid(node) > 0 for node in range(1, self.brokers + 1))
        except RuntimeError:
            return False

    def restart(self) -> float:
        """Bring back whatever is dead (kill -9 leaves a pid file the script sees through); seconds taken."""
        started = time.monotonic()
        self.start()
        return time.monotonic() - started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[-1].startswith("Z"))
