"""Observability: OpenTelemetry traces that follow a request through the outbox and the
broker to each consumer, trace ids in the logs, and Prometheus metrics on a port of their
own. Configured by the SDK's standard `OTEL_*` variables and `OBSERVABILITY__*` settings."""
