"""Named errors for the corpus side.

The service re-exports these from ``service.errors`` so the CLI and the HTTP API
translate every domain error in one place.
"""

from __future__ import annotations


class CrosscheckError(Exception):
    """Base class: a problem the user can act on; its message is shown as is."""


class DocumentError(CrosscheckError):
    """A file or record could not be turned into a document."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the document field at fault (text, source_id, ...), when one is


class EmbedderError(CrosscheckError):
    """The embedding model could not be loaded or used."""


class IndexNotFoundError(CrosscheckError):
    """No index exists at the given directory."""


class IndexCorruptError(CrosscheckError):
    """The index on disk is unreadable or inconsistent."""


class ModelMismatchError(CrosscheckError):
    """The index was built with another embedding model than the configured one."""


class UnknownSourceError(CrosscheckError):
    """A source id that is not in the index."""


class FetchError(DocumentError):
    """A URL could not be fetched or read as a page, feed or sitemap; the message names the URL and why."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the server answered, when it answered with an error


class FetchRefusedError(FetchError):
    """A URL crosscheck will not fetch: not http(s), or an address on a loopback, link-local or private network."""
