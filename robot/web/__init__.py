"""The review desk in the browser: the queue, an escalation with its pages and evidence, and a mail's trail."""
