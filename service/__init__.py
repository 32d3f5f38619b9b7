"""Service side of crosscheck: claims, verdicts, and the CLI, HTTP and batch front doors."""

__version__ = "0.1.0"
