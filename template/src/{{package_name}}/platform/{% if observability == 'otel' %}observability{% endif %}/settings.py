"""The observability settings group (`OBSERVABILITY__*`); tracing itself follows the
OpenTelemetry SDK's variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER...), read from the process environment as by every
OpenTelemetry SDK."""

from typing import Annotated

from pydantic import BaseModel, Field


class ObservabilitySettings(BaseModel):
    # The port of the Prometheus /metrics endpoint, apart from the API's; unset: none.
    metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    # Where it listens: 0.0.0.0 in a container, for a Prometheus beside it.
    metrics_host: str = "127.0.0.1"
    # How often the outbox and dead-letter gauges are read from the database, in seconds.
    sample_interval: Annotated[float, Field(gt=0)] = 15.0
