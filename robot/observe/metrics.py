"""The robot's Prometheus metrics in one registry of its own; labels never carry a CPR."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class Metrics:
    """Counters and gauges the daemon updates; `render()` gives the text exposition format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._received = Counter("lae_received_total", "Mails committed to the ledger", ["source"],
                                 registry=self.registry)
        self._filed = Counter("lae_filed_total", "Documents filed into a case", registry=self.registry)
        self._escalated = Counter("lae_escalated_total", "Documents escalated to a human", ["reason"],
                                  registry=self.registry)
        self._retries = Counter("lae_retries_total", "Messages deferred because the archive was unavailable",
                                registry=self.registry)
        self._queue = Gauge("lae_queue_depth", "Messages waiting to be processed", registry=self.registry)
        self._imap_up = Gauge("lae_imap_connected", "1 while the IMAP mailbox is connected", ["mailbox"],
                              registry=self.registry)
        self._free = Gauge("lae_archive_free_bytes", "Free bytes on the folder archive's disk", registry=self.registry)
        self._health = Gauge("lae_health", "1 for the health state the robot is in (ok, degraded, failing), else 0",
                             ["state"], registry=self.registry)
        self._latency = Histogram("lae_receipt_to_outcome_seconds", "From receipt to filed or escalated",
                                  ["outcome"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self._smtp_limited = Counter("lae_smtp_limited_total", "SMTP connections refused and sessions cut, by the "
                                     "setting that did it", ["action", "limit"], registry=self.registry)

    def received(self, source: str) -> None:
        self._received.labels(source=source).inc()

    def filed(self, seconds: float) -> None:
        self._filed.inc()
        self._latency.labels(outcome="filed").observe(seconds)

    def escalated(self, reason: str, seconds: float) -> None:
        self._escalated.labels(reason=reason).inc()
        self._latency.labels(outcome="escalated").observe(seconds)

    def retried(self) -> None:
        self._retries.inc()

    def queue_depth(self, depth: int) -> None:
        self._queue.set(depth)

    def imap_connected(self, mailbox: str, connected: bool) -> None:
        self._imap_up.labels(mailbox=mailbox).set(1 if connected else 0)

    def smtp_limited(self, action: str, limit: str) -> None:
        """action: refused (a connection over a limit) or cut (a session over one); limit: the setting's name."""
        self._smtp_limited.labels(action=action, limit=limit).inc()

    def archive_free_bytes(self, free: int) -> None:
        self._free.set(free)

    def health(self, state: str) -> None:
        for known in ("ok", "degraded", "failing"):
            self._health.labels(state=known).set(1 if known == state else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
