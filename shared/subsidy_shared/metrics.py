"""Prometheus metrics shared by the bus, the outbox and the services."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_CONSUMED = Counter(
    "subsidy_events_consumed_total", "Events handled by a consumer", ["service", "type", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "subsidy_events_dead_lettered_total", "Messages sent to a dead-letter topic", ["service", "topic"]
)
EVENTS_PRODUCED = Counter("subsidy_events_produced_total", "Events published from the outbox", ["service"])
OUTBOX_BACKLOG = Gauge("subsidy_outbox_backlog", "Outbox rows not yet published", ["service"])
CONSUMER_LAG = Gauge("subsidy_consumer_lag", "Messages behind the end of a partition", ["service", "topic"])
CONSUMER_ASSIGNED_PARTITIONS = Gauge(
    "subsidy_consumer_assigned_partitions",
    "Partitions this replica's consumer holds, by topic",
    ["service", "replica", "topic"],
)
CONSUMER_RESTARTS = Counter(
    "subsidy_consumer_restarts_total", "Consumers restarted in-process, by why", ["service", "reason"]
)
