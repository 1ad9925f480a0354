"""The topic registry: every topic the system uses and its retention (partitions and replication are settings)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(name: str) -> str:
    return f"{name}.dlq"


APPLICATIONS = TopicSpec("subsidy.applications")
CASES = TopicSpec("subsidy.cases")
DECISIONS = TopicSpec("subsidy.decisions")
PAYMENTS = TopicSpec("subsidy.payments")
REVIEWS = TopicSpec("subsidy.reviews")
# Compacted, keyed per person and record kind, so a new instance can rebuild its read model.
REGISTRY = TopicSpec("subsidy.registry", compacted=True, config={"cleanup.policy": "compact"})

TOPICS: tuple[TopicSpec, ...] = (APPLICATIONS, CASES, DECISIONS, PAYMENTS, REVIEWS, REGISTRY)


def all_topic_names(prefix: str = "") -> list[str]:
    """Every topic and its dead-letter topic, with the environment's prefix."""
    names: list[str] = []
    for spec in TOPICS:
        names += [prefix + spec.name, prefix + spec.dlq]
    return names
