"""Prometheus metrics: one registry per process, named for what operators graph."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "qbsync_http_requests_total",
    "API requests served",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "qbsync_http_request_seconds",
    "API request latency",
    ["method", "route"],
    registry=REGISTRY,
)
SYNCS = Counter(
    "qbsync_syncs_total",
    "Sync attempts by entity, status and error category",
    ["entity", "status", "category"],
    registry=REGISTRY,
)
QBO_REQUESTS = Counter(
    "qbsync_qbo_requests_total",
    "QuickBooks API requests by operation and outcome code",
    ["operation", "code"],
    registry=REGISTRY,
)
QBO_LATENCY = Histogram(
    "qbsync_qbo_request_seconds",
    "QuickBooks API request latency",
    ["operation"],
    registry=REGISTRY,
)
QBO_THROTTLED = Counter(
    "qbsync_qbo_throttled_total", "429 answers from QuickBooks", registry=REGISTRY
)
TOKEN_REFRESHES = Counter(
    "qbsync_token_refreshes_total",
    "OAuth token refreshes by outcome",
    ["outcome"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("qbsync_queue_depth", "Messages ready in a queue", ["queue"], registry=REGISTRY)
QUEUE_OLDEST_AGE = Gauge(
    "qbsync_queue_oldest_message_age_seconds",
    "Age of the oldest message in a queue, when known",
    ["queue"],
    registry=REGISTRY,
)
EVENTS = Counter(
    "qbsync_events_total",
    "Consumed messages by work queue and outcome (acked, retried, parked)",
    ["queue", "outcome"],
    registry=REGISTRY,
)
CONNECTIONS_NEAR_HARD_CAP = Gauge(
    "qbsync_connections_near_hard_cap",
    "Active connections whose refresh token hits Intuit's 5-year cap within 60 days",
    registry=REGISTRY,
)
WORK_RUNS = Counter(
    "qbsync_work_runs_total",
    "Attempts of pending work by kind and how they settled (done, retry, parked)",
    ["kind", "outcome"],
    registry=REGISTRY,
)
PENDING_WORK = Gauge(
    "qbsync_pending_work",
    "Pending work by priority (0 a person waits, 1 events, 2 backfill) and state",
    ["priority", "state"],
    registry=REGISTRY,
)
PENDING_OLDEST_AGE = Gauge(
    "qbsync_pending_work_oldest_age_seconds",
    "Age of the oldest pending or running work, by priority",
    ["priority"],
    registry=REGISTRY,
)
REALM_LEASES = Gauge(
    "qbsync_realm_leases_held", "Realms this process serves now", registry=REGISTRY
)
REALM_UTILISATION = Gauge(
    "qbsync_realm_utilisation",
    "Share of a served realm's per-minute request budget used in the last minute",
    ["realm"],
    registry=REGISTRY,
)
SCHEDULER_PAUSED = Gauge(
    "qbsync_scheduler_paused",
    "1 while this process takes no work because Postgres is unreachable",
    registry=REGISTRY,
)
QBO_BILLABLE_READS = Counter(
    "qbsync_qbo_billable_reads_total",
    "QuickBooks reads Intuit bills (queries, reads by id, reports, PDFs, CDC) that succeeded, "
    "by organization, kind and purpose (write, person, optional)",
    ["organization", "kind", "purpose"],
    registry=REGISTRY,
)
QBO_READS_DEFERRED = Counter(
    "qbsync_qbo_reads_deferred_total",
    "QuickBooks reads not made because the month's read budget is past a threshold",
    ["purpose"],
    registry=REGISTRY,
)
QBO_READS_MONTH = Gauge(
    "qbsync_qbo_reads_month",
    "Billable QuickBooks reads this calendar month (UTC), every process together",
    registry=REGISTRY,
)
QBO_READ_BUDGET = Gauge(
    "qbsync_qbo_read_budget",
    "The monthly read budget and its soft and hard thresholds (0: no budget)",
    ["threshold"],
    registry=REGISTRY,
)
WEBHOOK_EVENTS = Counter(
    "qbsync_intuit_webhook_events_total",
    "Intuit webhook events by outcome (queued, duplicates, stale, own_writes, unowned, "
    "ignored, malformed; refused counts deliveries)",
    ["outcome"],
    registry=REGISTRY,
)
DRIFT_OPEN = Gauge(
    "qbsync_drift_open_mismatches",
    "Open drift mismatches between Aforo and QuickBooks, by entity and kind (sampled at scrape)",
    ["entity", "kind"],
    registry=REGISTRY,
)
