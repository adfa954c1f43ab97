"""lae-robot: files LÆ medical certificates from mail into the right citizen's case."""

__version__ = "0.1.0"
