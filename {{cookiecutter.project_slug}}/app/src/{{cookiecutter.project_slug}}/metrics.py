"""Business metrics: numbers the service's owners care about, not just CPU.

In AWS the EMF sink prints one CloudWatch Embedded Metric Format line to stdout; the
ECS log driver ships it to CloudWatch Logs, which turns it into a metric (no agent, no
extra API calls from the app). Locally the null sink drops metrics.
"""

import json
import sys
import time
from typing import Protocol, TextIO

from .settings import Settings


class MetricsSink(Protocol):
    def count(self, name: str, dimensions: dict[str, str], properties: dict[str, str]) -> None:
        """Record one occurrence of `name`."""


class NullSink:
    def count(self, name: str, dimensions: dict[str, str], properties: dict[str, str]) -> None:
        return None


class EmfSink:
    def __init__(self, namespace: str, stream: TextIO | None = None) -> None:
        self.namespace = namespace
        self.stream = stream

    def count(self, name: str, dimensions: dict[str, str], properties: dict[str, str]) -> None:
        document = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        # Few dimensions keep the metric cheap; details go in properties,
                        # which stay searchable in CloudWatch Logs Insights.
                        "Dimensions": [sorted(dimensions)],
                        "Metrics": [{"Name": name, "Unit": "Count"}],
                    }
                ],
            },
            **dimensions,
            **properties,
            name: 1,
        }
        stream = self.stream or sys.stdout
        stream.write(json.dumps(document) + "\n")
        stream.flush()


def create_sink(settings: Settings) -> MetricsSink:
    if settings.metrics_sink == "emf":
        return EmfSink(settings.metrics_namespace)
    return NullSink()
