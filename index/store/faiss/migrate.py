"""Open an index of the generation format (crosscheck before segments) by converting it once.

The old generation is read whole (that format held everything in memory anyway),
written as a new store beside it in ``.migrating/``, and moved into place with the
database last: its rename is the moment the index is migrated. A crash before it
leaves the old generation live and the next open migrates again.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np

from index.documents import Document
from index.sentences import Sentence
from index.store.faiss import segments as seg

log = logging.getLogger(__name__)


def migrate_generations(path: Path) -> None:
    """Convert the generation-format index at ``path`` in place (the caller holds the writer lock)."""
    from index.store.faiss.store import DATABASE, LEGACY_POINTER, SEGMENTS, FaissStore, create_database
    from index.store.legacy import GENERATION_PREFIX, _read_generation

    snapshot = _read_generation(path)
    log.warning("migrating the index at %s to the segment format (once)", path)
    staging = path / ".migrating"
    shutil.rmtree(staging, ignore_errors=True)
    create_database(staging, snapshot.model, snapshot.dimension)
    store = FaissStore.open(staging)
    vectors = snapshot.vectors
    index = vectors._index  # type: ignore[attr-defined]
    import faiss

    stored_ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    stored = index.index.reconstruct_n(0, index.ntotal) if index.ntotal else np.empty((0, snapshot.dimension))
    row_of = {int(pid): row for row, pid in enumerate(stored_ids)}
    items = []
    for source_id, record in sorted(snapshot.sources.items()):
        passages = snapshot.source_passages(source_id)
        document = Document(
            source_id,
            snapshot.texts[source_id],
            title=record.title,
            url=record.url,
            published=record.published,
            language=record.language,
            path=record.path,
        )
        sentences = [Sentence(p.text, p.char_start, p.char_end, p.paragraph, p.position) for p in passages]
        rows = [row_of[p.id] for p in passages]
        items.append((document, sentences, np.asarray(stored[rows], dtype=np.float32).reshape(len(rows), -1)))
    store.upsert_many(items)
    store.close()
    target = path / SEGMENTS
    shutil.rmtree(target, ignore_errors=True)
    if (staging / SEGMENTS).is_dir():
        (staging / SEGMENTS).rename(target)
    for suffix in ("-wal", "-shm"):
        (staging / f"{DATABASE}{suffix}").unlink(missing_ok=True)
    seg.fsync_dir(path)
    (staging / DATABASE).rename(path / DATABASE)
    seg.fsync_dir(path)
    shutil.rmtree(staging, ignore_errors=True)
    (path / LEGACY_POINTER).unlink(missing_ok=True)
    for old in path.glob(f"{GENERATION_PREFIX}*"):
        shutil.rmtree(old, ignore_errors=True)
    log.warning("migrated %d sources, %d passages", len(snapshot.sources), snapshot.passage_count)
