"""The operators' rule files: their schemas, loading and validation."""
