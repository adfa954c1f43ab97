"""The operators' rule files as read, below extraction and decisions: the reader with line numbers, the form catalogue."""
