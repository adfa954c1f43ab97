"""The ledger: durable intake, per-document state machine, escalations, outbox and audit trail."""
