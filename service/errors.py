"""Every domain error crosscheck raises, in one place.

The CLI prints ``str(error)`` as a one-line message and exits non-zero; the
HTTP API maps each class to a status code. Corpus-side errors are defined in
``index.errors`` (the index must not import the service) and re-exported here.
"""

from __future__ import annotations

from index.errors import (
    CrosscheckError,
    DocumentError,
    EmbedderError,
    FetchError,
    FetchRefusedError,
    IndexCorruptError,
    IndexNotFoundError,
    ModelMismatchError,
    UnknownSourceError,
)

__all__ = [
    "BatchTooLargeError",
    "ConfigurationError",
    "CrosscheckError",
    "DocumentError",
    "DocumentTooLargeError",
    "EmbedderError",
    "FetchError",
    "FetchRefusedError",
    "IndexCorruptError",
    "IndexNotFoundError",
    "InvalidClaimError",
    "InvalidInputError",
    "ModelMismatchError",
    "UnknownSourceError",
]


class ConfigurationError(CrosscheckError):
    """A setting has an unusable or unsafe value."""


class InvalidInputError(CrosscheckError):
    """A request argument that is malformed (a date filter that is not a date, say)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the argument at fault, named as the API and CLI name it


class InvalidClaimError(InvalidInputError):
    """A claim or query that is empty, too long, or not text."""


class DocumentTooLargeError(InvalidInputError):
    """A document too long to write within one HTTP request (``CROSSCHECK_MAX_DOCUMENT_CHARS``, HTTP 413)."""


class BatchTooLargeError(InvalidInputError):
    """A batch request with more claims than ``CROSSCHECK_BATCH_MAX_CLAIMS`` (HTTP 413)."""
