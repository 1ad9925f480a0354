"""The supervisor's replicas: ports 100 apart, the replica's ordinal in its environment, one database and group
per service; `subsidyctl up --replicas N` wires the workbench to replica 0 (no process is started here)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from subsidyctl import cli
from subsidyctl.catalog import SERVICES, WORKBENCH, ServiceInfo
from subsidyctl.supervisor import LivenessProbe, ServiceProcess, replicated
from typer.testing import CliRunner

runner = CliRunner()
ENV = {"INTAKE_DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:5432/intake", "SUBSIDY_ENV": "test"}
INTAKE = SERVICES[0]


def test_replica_k_listens_100_ports_above_replica_0_and_knows_its_ordinal() -> None:
    processes = replicated(ENV, SERVICES, replicas=3)

    intake = [p for p in processes if p.info is INTAKE]
    assert [(p.name, p.port, p.url) for p in intake] == [
        ("intake#0", 8001, "http://127.0.0.1:8001"),
        ("intake#1", 8101, "http://127.0.0.1:8101"),
        ("intake#2", 8201, "http://127.0.0.1:8201"),
    ]
    assert [p.env["SUBSIDY_REPLICA_ID"] for p in intake] == ["0", "1", "2"]
    assert {p.env["INTAKE_DATABASE_URL"] for p in intake} == {ENV["INTAKE_DATABASE_URL"]}  # one database
    assert [p.name for p in processes][:4] == ["intake#0", "intake#1", "intake#2", "routing#0"]
    assert len(processes) == 15 and len({p.port for p in processes}) == 15


def test_an_explicit_port_is_replica_0s_and_replicas_add_the_same_step() -> None:
    processes = replicated(ENV, SERVICES, replicas=2, ports={"routing": 28002})

    assert [(p.name, p.port) for p in processes if p.info.name in ("intake", "routing")] == [
        ("intake#0", 8001),
        ("intake#1", 8101),
        ("routing#0", 28002),
        ("routing#1", 28102),
    ]
    assert ServiceProcess(INTAKE, ENV, port=28001, replica=7).port == 28701


def test_the_replica_in_the_environment_wins_over_one_passed_in() -> None:
    process = ServiceProcess(INTAKE, {**ENV, "SUBSIDY_REPLICA_ID": "9"}, replica=1)

    assert process.env["SUBSIDY_REPLICA_ID"] == "1" and process.process is None


@pytest.mark.parametrize("replicas", [0, 9])
def test_replicas_outside_1_to_8_are_refused(replicas: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.8"):
        replicated(ENV, SERVICES, replicas=replicas)


@pytest.mark.parametrize("replicas", ["0", "9"])
def test_up_refuses_replicas_outside_1_to_8_before_starting_anything(replicas: str) -> None:
    result = runner.invoke(cli.app, ["up", "--replicas", replicas])

    assert result.exit_code == 2 and "replicas" in result.output


class _Started:
    """What `up` asked the supervisor for, without starting a process."""

    def __init__(self) -> None:
        self.processes: list[ServiceProcess] = []
        self.supervised: list[ServiceProcess] = []

    def start_all(
        self, env: Mapping[str, str], services: Sequence[ServiceInfo] = SERVICES, replicas: int = 1
    ) -> list[ServiceProcess]:
        started = replicated(env, services, replicas)
        self.processes += started
        return started

    def supervise(self, processes: Sequence[ServiceProcess], poll_seconds: float = 1.0) -> None:
        self.supervised = list(processes)


def test_up_starts_every_replica_lists_each_and_gives_the_workbench_replica_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = _Started()

    async def no_topics(settings: Any) -> None:
        return None

    monkeypatch.setattr(cli, "migrate", lambda server: None)
    monkeypatch.setattr(cli, "ensure_topics", no_topics)
    monkeypatch.setattr(cli, "start_all", started.start_all)
    monkeypatch.setattr(cli, "wait_ready", lambda processes, timeout=60.0: None)
    monkeypatch.setattr(cli, "supervise", started.supervise)
    monkeypatch.setenv("COLUMNS", "200")

    result = runner.invoke(cli.app, ["up", "--replicas", "2"])

    assert result.exit_code == 0, result.output
    workbench = next(p for p in started.processes if p.info is WORKBENCH)
    assert workbench.env["WORKBENCH_INTAKE_URL"] == "http://127.0.0.1:8001"
    assert workbench.env["WORKBENCH_REVIEW_URL"] == "http://127.0.0.1:8005"
    assert len(started.supervised) == 11  # the workbench and two of each service
    for port in (8001, 8101, 8005, 8105):
        assert f"http://127.0.0.1:{port}/docs" in result.output
    databases = {p.env["ROUTING_DATABASE_URL"] for p in started.processes if p.info.name == "routing"}
    assert databases == {"postgresql+asyncpg://subsidy:subsidy@127.0.0.1:5432/routing"}


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Health]]]:
    handler = type("Health", (_Health,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_process_answering_wedged_three_probes_in_a_row_fails_its_liveness(
    health_server: tuple[int, type[_Health]],
) -> None:
    port, handler = health_server
    process = ServiceProcess(INTAKE, ENV, port=port)
    probe = LivenessProbe(every_seconds=0, threshold=3)

    handler.status = 503
    assert [probe.failed(process) for _ in range(2)] == [False, False]
    handler.status = 200  # recovered: the count starts again
    assert probe.failed(process) is False
    handler.status = 503
    assert [probe.failed(process) for _ in range(3)] == [False, False, True]


def test_a_process_not_listening_is_not_counted_as_wedged() -> None:
    with socket.socket() as s:  # a port nobody listens on: the process is starting or has exited
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = ServiceProcess(INTAKE, ENV, port=port)
    probe = LivenessProbe(every_seconds=0, threshold=1)
    assert probe.failed(process) is False
