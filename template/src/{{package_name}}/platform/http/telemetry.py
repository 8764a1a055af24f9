"""What FastAPI's own OpenTelemetry support records once a tracer provider is installed (by
the service when it exports traces, or by an agent): one server span per request, named by
route template, without headers or bodies.

Not FastAPI's further spans per dependency, endpoint and serialization (a use case has a span
of its own), nor its OpenTelemetry metrics and logs (the service measures and logs requests
itself, and those logs would carry exception messages as written). Health probes, polled
every few seconds, get no span.
"""

from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig

UNTRACED_PATHS = frozenset({"/health/live", "/health/ready"})


def untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


TELEMETRY: TelemetryConfig = {
    "operation_spans": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,  # exporters are the service's choice, never made behind its back
    "exclude": untraced,
}
