"""Service side of crosscheck: claims, verdicts, and the CLI, HTTP and batch front doors."""

from service.compiled import choose

__version__ = "0.1.0"
# before any engine module is imported: a stale compiled build must not load (see service.compiled)
choose()
