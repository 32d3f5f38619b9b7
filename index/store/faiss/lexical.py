"""The lexical side of hybrid search: SQLite FTS5 with bm25, fused with the dense ranking.

The FTS5 table ``passages_fts`` (tokenizer ``unicode61 remove_diacritics 2``: case and
diacritics folded, so ``Roemenie`` finds ``Roemenië``) is kept by triggers on ``passages``;
every index of this format already has it, so nothing is migrated. Punctuation separates
tokens, so ``8.500`` is the two tokens ``8`` ``500``; the query keeps them as one phrase, which
finds them adjacent: ``8.500`` again (and ``8,500``, the English spelling).

A query text becomes an OR of its distinct terms, each quoted as a phrase (no user text is
ever parsed as FTS5 syntax), leaving out words found in more than ``MAX_POSTINGS`` passages: bm25 scores
every row a query matches, so those words (stop words, by count, in any language) would make
the cost follow the corpus; the rarer words are what the dense side misses anyway. For the same reason the
terms kept are bounded together: the rarest first, until the rows they match would pass
``MAX_QUERY_POSTINGS``, so a query's bm25 work has a ceiling however large the archive grows.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Collection, Sequence

import numpy as np

from index.store.faiss.segments import Floats, Ints

# Reciprocal rank fusion (Cormack et al., 2009): k=60 is the usual constant; it flattens the
# head of each list, so one list's first place does not outweigh agreement between the two.
RRF_K = 60
# Passages the lexical side ranks per query text (bm25 order).
LEXICAL_CANDIDATES = 64
# Words in more passages than this are left out of the lexical query (see the module docstring).
MAX_POSTINGS = 20_000
# ... and so are words in more than this fraction of the passages, whatever the corpus size:
# bm25 gives them almost no weight, but they fill the lexical ranking with chance matches (chosen
# by ``python -m bench.hybrid`` on the dev sets; at 1M passages it equals MAX_POSTINGS).
MAX_DF_FRACTION = 0.02
# Rows bm25 may have to score for one query text, over all its terms (the rarest are kept first):
# bm25 scores every matching row before the first is returned, so this bounds the lexical side's
# cost in an archive; the dev sets' pooled indexes never reach it (docs/performance.md).
MAX_QUERY_POSTINGS = 1_000
# Distinct words of one query text looked up (a claim is a sentence; the rest is pasted text).
MAX_TERMS = 32

_WORD = re.compile(r"[^\W_]+")
VOCAB_TABLE = "temp.passages_fts_terms"


def fold(word: str) -> str:
    """A word as the tokenizer stores it: lower case, without diacritics."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def terms(text: str) -> list[tuple[str, ...]]:
    """The distinct terms of ``text``, in order: each whitespace-separated chunk's words as a phrase
    (``8.500`` is ``("8", "500")``, ``NAVO-top`` is ``("navo", "top")``), folded as the tokenizer folds."""
    seen: dict[tuple[str, ...], None] = {}
    for chunk in unicodedata.normalize("NFC", text).split():
        phrase = tuple(w for w in (fold(w) for w in _WORD.findall(chunk)) if w)
        if phrase:
            seen.setdefault(phrase, None)
    return list(seen)[:MAX_TERMS]


def quote(phrase: Sequence[str]) -> str:
    """An FTS5 phrase: a string with double quotes doubled, so no text is ever read as an operator."""
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def match_expression(conn: sqlite3.Connection, text: str, passages: int | None = None) -> str | None:
    """The FTS5 query for ``text``: its selective terms, quoted, OR-ed; None when none is left.

    A phrase whose every word is selective is kept whole; of one with a common word (``8`` in
    ``8.500`` in a large archive) only its selective words are kept, each alone."""
    phrases = terms(text)
    if not phrases:
        return None
    _ensure_vocabulary(conn)
    words = sorted({w for phrase in phrases for w in phrase})
    counts: dict[str, int] = {}
    for start in range(0, len(words), 500):
        chunk = words[start : start + 500]
        marks = ",".join("?" * len(chunk))
        counts.update(conn.execute(f"SELECT term, doc FROM {VOCAB_TABLE} WHERE term IN ({marks})", chunk).fetchall())
    cap = MAX_POSTINGS if passages is None else min(MAX_POSTINGS, max(1, int(MAX_DF_FRACTION * passages)))
    postings: dict[str, int] = {}  # each quoted term, with the most rows it can match
    for phrase in phrases:
        selective = [w for w in phrase if counts.get(w, 0) <= cap]
        if len(selective) == len(phrase):
            postings.setdefault(quote(phrase), min(counts.get(w, 0) for w in phrase))
        else:
            for word in selective:
                postings.setdefault(quote((word,)), counts.get(word, 0))
    kept: list[str] = []
    budget = MAX_QUERY_POSTINGS
    for term, rows in sorted(postings.items(), key=lambda item: item[1]):  # stable: ties in text order
        if kept and rows > budget:
            break
        kept.append(term)
        budget -= rows
    order = list(postings)
    return " OR ".join(sorted(kept, key=order.index)) if kept else None


def lexical_ranking(
    conn: sqlite3.Connection,
    text: str,
    allowed: Collection[int] | None,
    limit: int | None = None,
    passages: int | None = None,
) -> list[tuple[int, int]]:
    """(passage id, source key) of the best bm25 matches of ``text`` among the ``allowed`` source keys
    (None: all), best first. The filter is applied while reading in rank order, so a narrow filter
    still gets its matches; the rows read are bounded by the postings of the words kept."""
    expression = match_expression(conn, text, passages)
    if expression is None:
        return []
    limit = LEXICAL_CANDIDATES if limit is None else limit
    # CROSS JOIN: the full-text match drives the loop, passages are looked up by primary key
    cursor = conn.execute(
        "SELECT f.rowid, p.source_key FROM passages_fts AS f CROSS JOIN passages AS p ON p.id = f.rowid "
        "WHERE passages_fts MATCH ? ORDER BY f.rank",
        (expression,),
    )
    found: list[tuple[int, int]] = []
    for pid, key in cursor:
        if allowed is None or key in allowed:
            found.append((int(pid), int(key)))
            if len(found) >= limit:
                break
    cursor.close()
    return found


def fuse(dense: tuple[Floats, Ints, Ints], lexical: tuple[Floats, Ints, Ints]) -> tuple[Floats, Ints, Ints]:
    """Both rankings (scores, ids, keys; best first) merged by reciprocal rank fusion, best first.

    The scores returned are the dense cosines (the lexical rows carry theirs); only the order is
    fused. Ties keep the dense order: higher cosine, then the newer passage."""
    scores = np.concatenate([dense[0], lexical[0]])
    ids = np.concatenate([dense[1], lexical[1]])
    keys = np.concatenate([dense[2], lexical[2]])
    if not len(lexical[1]):
        return dense
    unique, first = np.unique(ids, return_index=True)
    fused = np.zeros(len(unique), dtype=np.float64)
    for ranked in (dense[1], lexical[1]):
        at = np.searchsorted(unique, ranked)
        fused[at] += 1.0 / (RRF_K + 1 + np.arange(len(ranked)))
    u_scores, u_keys = scores[first], keys[first]
    order = np.lexsort((-unique, -u_scores, -fused))
    return u_scores[order], unique[order], u_keys[order]


def _ensure_vocabulary(conn: sqlite3.Connection) -> None:
    """A per-connection fts5vocab view of the index's terms and their passage counts (temp: no schema change)."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCAB_TABLE} USING fts5vocab(main, 'passages_fts', 'row')")


def as_arrays(rows: Sequence[tuple[int, int]]) -> tuple[Ints, Ints]:
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ids, keys = zip(*rows, strict=True)
    return np.asarray(ids, dtype=np.int64), np.asarray(keys, dtype=np.int64)
