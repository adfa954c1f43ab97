"""The robot's Prometheus metrics in one registry of its own; labels never carry a CPR."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from robot import __version__

TURNAROUND_DAYS_BUCKETS = (1.0, 3.0, 7.0, 10.0, 14.0, 21.0, 30.0, 45.0, 60.0, 90.0)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class Metrics:
    """Counters and gauges the daemon updates; `render()` gives the text exposition format."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self._clock = clock
        self._oldest_open: float | None = None  # epoch seconds of the oldest open escalation
        self._reasons: set[str] = set()
        build = Gauge("lae_build_info", "The robot's version and Python; always 1", ["version", "python"],
                      registry=self.registry)
        build.labels(version=__version__, python=platform.python_version()).set(1)
        self._open = Gauge("lae_escalations_open", "Escalations waiting for a person, by reason", ["reason"],
                           registry=self.registry)
        oldest = Gauge("lae_escalation_oldest_open_age_seconds", "Age of the oldest escalation waiting for a person "
                       "(0 when none waits)", registry=self.registry)
        oldest.set_function(self._oldest_age)
        self._rules_refused = Gauge("lae_rules_refused", "1 while changed rule files are refused (the rules read "
                                    "before stay in force), else 0", registry=self.registry)
        self._rules_at = Gauge("lae_rules_change_timestamp_seconds", "When the rules in force were loaded (loaded) "
                               "and when a change was last refused (refused); 0: never", ["outcome"],
                               registry=self.registry)
        self._register_cases = Gauge("lae_register_cases", "Cases in the case register in force (0: no register, "
                                     "nothing is filed)", registry=self.registry)
        self._register_refused = Gauge("lae_register_refused", "1 while the case register file is not used (missing, "
                                       "empty or refused), else 0", registry=self.registry)
        self._register_read = Gauge("lae_register_read_timestamp_seconds", "When the case register in force was "
                                    "read; 0: none in force", registry=self.registry)
        self._outbox = Gauge("lae_outbox_failed", "Notices given up in the last day (given_up) and waiting for "
                             "another try after a failure (retrying)", ["state"], registry=self.registry)
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
        self._requests = Gauge("lae_requests_open", "Requests in the register waiting for their certificate: all "
                               "open (open) and those past their deadline (overdue)", ["state"], registry=self.registry)
        self._turnaround = Histogram("lae_request_turnaround_days", "From a request sent to the certificate that "
                                     "answered it filed, in days", buckets=TURNAROUND_DAYS_BUCKETS,
                                     registry=self.registry)
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

    def open_escalations(self, by_reason: Mapping[str, int], oldest: datetime | None) -> None:
        """The escalations open now: a reason no longer open drops to 0 (its line stays for the dashboards)."""
        for reason in self._reasons - set(by_reason):
            self._open.labels(reason=reason).set(0)
        for reason, count in by_reason.items():
            self._open.labels(reason=reason).set(count)
        self._reasons |= set(by_reason)
        self._oldest_open = oldest.timestamp() if oldest is not None else None

    def _oldest_age(self) -> float:
        return 0.0 if self._oldest_open is None else max(0.0, self._clock() - self._oldest_open)

    def rules(self, refused: bool, loaded_at: datetime | None, refused_at: datetime | None) -> None:
        self._rules_refused.set(1 if refused else 0)
        self._rules_at.labels(outcome="loaded").set(loaded_at.timestamp() if loaded_at else 0)
        self._rules_at.labels(outcome="refused").set(refused_at.timestamp() if refused_at else 0)

    def register(self, cases: int, refused: bool, read_at: datetime | None) -> None:
        self._register_cases.set(cases)
        self._register_refused.set(1 if refused else 0)
        self._register_read.set(read_at.timestamp() if read_at else 0)

    def outbox_failed(self, given_up: int, retrying: int) -> None:
        self._outbox.labels(state="given_up").set(given_up)
        self._outbox.labels(state="retrying").set(retrying)

    def open_requests(self, open_count: int, overdue: int) -> None:
        self._requests.labels(state="open").set(open_count)
        self._requests.labels(state="overdue").set(overdue)

    def request_answered(self, turnaround_days: float) -> None:
        self._turnaround.observe(turnaround_days)

    def render(self) -> bytes:
        return generate_latest(self.registry)
