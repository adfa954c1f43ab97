"""Observability: Prometheus metrics, the /healthz and /metrics endpoint, and the operators' status view."""
