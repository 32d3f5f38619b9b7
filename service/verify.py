"""The one entry point for checking claims: :meth:`Verifier.verify`.

claims -> analysis -> one encoder call (claims and any words not yet cached)
-> candidate passages per source -> stance per passage (with the sentences
around it as context) -> stance per source -> verdict. Every front door (CLI,
HTTP API, batch, and through the API the extension) calls this and renders the
same :class:`Verification`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

from index.families import Relations
from index.store import Passage, PassageHit, PassageStore, SearchFilters, SourceHits, SourceRecord
from service.corpus import Corpus, check_text
from service.engine.analysis import Analysis, analyze, analyze_passage
from service.engine.analysis.lexicon import lexicon
from service.engine.nli import CrossEncoderNLI, NLIScorer, Probabilities, combine
from service.engine.stance import (
    MIN_SIMILARITY,
    Coverage,
    Finding,
    PassageStance,
    Stance,
    acting_parties,
    claim_words_for,
    compare,
    coverages,
)
from service.engine.verdict import Verdict, overall, source_stance
from service.engine.words import WordMatcher
from service.errors import InvalidInputError

# Passages per source the stance analysis reads (the best by similarity); the
# result shows ``top_k`` of them, decisive ones first.
CANDIDATES_PER_SOURCE = 8
CLAIM_BATCH = 64
# Sentences around a passage read for names and words it refers to ("het land", "dat").
CONTEXT_BEFORE, CONTEXT_AFTER = 2, 1
# Sources whose acting parties are kept (each a small set of entity ids).
SOURCE_CACHE = 10_000
# Passages whose surroundings (analysis, context, words) are kept, per version of the store.
PASSAGE_CACHE = 200_000
# Checked before the first real claim, so its caller does not pay for loading the model and analysers.
WARM_UP_CLAIM = "1,000 troops moved to Romania in 2022"
# The cycle collector's young-generation threshold once warm (CPython's default is 700): above
# what a batch of claims holds at once, so collections run when memory grows, not on every batch.
GC_YOUNG_THRESHOLD = 10_000


@dataclass(frozen=True)
class PassageResult:
    passage: Passage
    similarity: float
    stance: Stance
    score: float
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    coverage: float = 0.0
    nli: dict[str, float] | None = None


@dataclass(frozen=True)
class SourceResult:
    source: SourceRecord
    stance: Stance
    score: float
    passages: tuple[PassageResult, ...]
    best_similarity: float
    mixed: bool = False
    notes: tuple[str, ...] = ()
    related: Relations | None = None  # the sources it shares reporting with (index.families)

    @property
    def family(self) -> str:
        """Its story family: sources with the same family are one report, not independent ones."""
        return self.related.family if self.related else self.source.source_id


@dataclass(frozen=True)
class Verification:
    claim: str
    language: str
    verdict: Verdict
    confidence: float
    sources: tuple[SourceResult, ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Filters(SearchFilters):
    """Which sources a check may use; the store applies them (see :class:`~index.store.SearchFilters`)."""

    @classmethod
    def of(
        cls,
        source_ids: Iterable[str] | None = None,
        published_after: str | None = None,
        published_before: str | None = None,
    ) -> Filters:
        """Filters from user input; dates are checked and normalised (2022-02-03, 2022-02 or 2022)."""
        from index.documents import normalize_published, unusable_character
        from index.errors import DocumentError

        def date(value: str | None, name: str) -> str | None:
            if value is None or not value.strip():
                return None
            try:
                return normalize_published(value)
            except DocumentError as exc:
                raise InvalidInputError(f"{name}: {exc}") from None

        ids = frozenset(source_ids) if source_ids else None
        for source_id in ids or ():
            problem = unusable_character(source_id)
            if problem:
                raise InvalidInputError(f"a source id {problem}", field="sources")
        return cls(ids, date(published_after, "published_after"), date(published_before, "published_before"))


def settle_heap() -> None:
    """Hide what a loaded engine holds from the garbage collector, and collect less often.

    The encoder's weights, the lexicon and the index live as long as the process, yet
    every full collection walked them again: on the seeds a ~45 ms pause of the engine
    every ~500 claims, which each request then in flight waited out. Frozen, a full
    collection takes ~2 ms (``gc.freeze``; objects made later are collected as usual).

    A check makes no reference cycles (``test_verify``), so what it builds is freed by
    reference counting alone; but a batch holds thousands of objects at once, and at the
    default threshold each batch set off several young collections that freed nothing:
    ~3% of a loaded server's CPU. The threshold goes above a batch's working set.
    """
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)


class Verifier:
    """Checks claims against a corpus; safe to share between threads."""

    def __init__(self, corpus: Corpus, *, nli: NLIScorer | None = None) -> None:
        self.corpus = corpus
        self._words: WordMatcher | None = None
        settings = corpus.settings
        if nli is None and settings.nli_model:
            labels = settings.nli_labels.split(",") if settings.nli_labels else None
            nli = CrossEncoderNLI(settings.nli_model, labels=labels)
        self.nli = nli
        self._lock = threading.Lock()
        self._source_actors: dict[tuple[str, str], frozenset[str]] = {}
        self._surroundings: tuple[int | None, dict[int, _Surroundings]] = (None, {})

    @property
    def words(self) -> WordMatcher:
        """Built on first use: the lexicon takes ~80 MB, which a batch parent handing claims to
        worker processes never needs."""
        if self._words is None:
            with self._lock:
                if self._words is None:
                    self._words = WordMatcher(self.corpus.embedder, concepts=lexicon().word_concepts())
        return self._words

    def warm_up(self) -> None:
        """Load the model and the analysers now (one claim), then :func:`settle_heap`."""
        self.verify(WARM_UP_CLAIM)
        settle_heap()

    def verify(self, claim: str, *, top_k: int | None = None, filters: Filters | None = None) -> Verification:
        (result,) = self.verify_many([claim], top_k=top_k, filters=filters)
        return result

    def verify_many(
        self, claims: Iterable[str], *, top_k: int | None = None, filters: Filters | None = None
    ) -> Iterator[Verification]:
        """Verify claims in order, embedding them in batches."""
        iterator = iter(claims)
        while batch := list(islice(iterator, CLAIM_BATCH)):
            yield from self._verify_batch(batch, top_k or self.corpus.settings.top_k, filters or Filters())

    def _verify_batch(self, claims: Sequence[str], top_k: int, filters: Filters) -> Iterator[Verification]:
        """The claims embedded and retrieved together, then each judged and yielded in turn (a caller
        answering requests can send each answer as soon as it is ready)."""
        limit = self.corpus.settings.max_claim_chars
        texts = [check_text(claim, max_chars=limit) for claim in claims]
        analyses = [analyze(text) for text in texts]
        store = self.corpus.store(bootstrap=True)
        version = store.version

        new_words = self.words.missing(t.fold for a in analyses for t in a.content)
        vectors = self.corpus.embed([*texts, *new_words])
        if new_words:
            self.words.remember(new_words, vectors[len(texts) :])
        groups = store.search(
            vectors[: len(texts)],
            per_source=CANDIDATES_PER_SOURCE,
            max_sources=self.corpus.settings.max_sources,
            filters=None if filters.empty else filters,
            texts=texts,
        )
        if not filters.empty and not any(groups):
            for text, analysis in zip(texts, analyses, strict=True):
                yield _empty(text, analysis.language, "no source matches the filters")
            return
        # each candidate's analysis, the sentences around it and their words: the same for every claim
        near = self._surroundings_in(version)
        for per_claim in groups:
            for g in per_claim:
                for hit in g.hits:
                    if hit.passage.id not in near:
                        near[hit.passage.id] = self._surround(store, hit.passage, g.source)
        # a claim is compared with its own passages' words only: a batch's union would be a bigger
        # matrix per claim, and would let one claim's result depend on the others in its batch
        vocabularies = [
            set().union(*(near[hit.passage.id].words for g in per_claim for hit in g.hits)) for per_claim in groups
        ]
        self.words.prepare(set().union(*vocabularies))

        for text, analysis, per_claim, vocabulary in zip(texts, analyses, groups, vocabularies, strict=True):
            words = claim_words_for(analysis, vocabulary, self.words)
            # the candidates near enough to be read: covered together (see stance.coverages), and given to NLI
            read = [hit for g in per_claim for hit in g.hits if hit.similarity >= MIN_SIMILARITY]
            found = coverages(analysis, [near[hit.passage.id].sentences for hit in read], words)
            covered = {hit.passage.id: pair for hit, pair in zip(read, found, strict=True)}
            nli = self._nli(text, read)
            sources = [self._source(group, analysis, near, covered, nli, top_k) for group in per_claim]
            yield self._conclude(text, analysis, sources)

    def _actors(self, source: SourceRecord) -> frozenset[str]:
        """Everyone the source has acting (cached per version of the source)."""
        key = (source.source_id, source.content_hash)
        actors = self._source_actors.get(key)
        if actors is None:
            actors = acting_parties(
                analyze_passage(p.text, source.language) for p in self.corpus.store().source_passages(source.source_id)
            )
            with self._lock:
                if len(self._source_actors) > SOURCE_CACHE:
                    self._source_actors.clear()
                self._source_actors[key] = actors
        return actors

    def _surroundings_in(self, version: int) -> dict[int, _Surroundings]:
        """The surroundings kept for one version of the store's passages (a new version starts afresh)."""
        kept, found = self._surroundings
        if kept != version or len(found) > PASSAGE_CACHE:
            found = {}
            self._surroundings = (version, found)
        return found

    def _surround(self, store: PassageStore, passage: Passage, source: SourceRecord) -> _Surroundings:
        """The passage analysed, with two sentences before it and one after: who "het land" or "dat"
        refers to."""
        context = tuple(
            analyze_passage(p.text, source.language)
            for p in store.neighbors(passage.id, CONTEXT_BEFORE, CONTEXT_AFTER)
            if p.id != passage.id
        )
        sentences = (analyze_passage(passage.text, source.language), *context)
        return _Surroundings(sentences, frozenset(w for a in sentences for w in a.content_folds))

    def _nli(self, claim: str, hits: Sequence[PassageHit]) -> dict[int, Probabilities]:
        """NLI probabilities for the candidate passages near enough to matter (one batched call)."""
        if self.nli is None:
            return {}
        probabilities = self.nli([(hit.passage.text, claim) for hit in hits])
        return {hit.passage.id: p for hit, p in zip(hits, probabilities, strict=True)}

    def _source(
        self,
        group: SourceHits,
        claim: Analysis,
        near: Mapping[int, _Surroundings],
        covered: Mapping[int, tuple[Coverage, Coverage]],
        nli: Mapping[int, Probabilities],
        top_k: int,
    ) -> SourceResult:
        """The source's stance from all its candidates, each compared briefly (see :func:`compare`);
        the ``top_k`` it shows are compared in full, and only they become results."""
        source = group.source
        actors = self._actors(source)
        threshold = self.corpus.settings.nli_threshold

        def judge(hit: PassageHit, *, brief: bool) -> PassageStance:
            """The passage's stance; ``brief`` unless an NLI model may overrule it."""
            i = hit.passage.id
            around, probabilities = near[i], nli.get(i)
            stance = compare(
                claim,
                around.analysis,
                hit.similarity,
                context=around.context,
                coverage=covered.get(i),
                source_actors=actors,
                brief=brief and probabilities is None,
            )
            return stance if probabilities is None else combine(stance, probabilities, threshold=threshold)

        judged = [(hit, judge(hit, brief=True)) for hit in group.hits]
        notes: list[str] = []
        claim_years = [y.value for y in claim.years if not y.contrasted and y.value]  # 0: "April 4", no year
        if source.published and claim_years and int(source.published[:4]) < min(claim_years):
            # a source cannot confirm what happened after it was published
            notes.append(f"published {source.published}, before {min(claim_years)}: it cannot confirm the claim")
            judged = [
                (hit, replace(s, stance="neutral", reasons=(notes[0], *s.reasons)) if s.stance == "supports" else s)
                for hit, s in judged
            ]
        stance, score, mixed = source_stance([(s.stance, s.score) for _, s in judged])
        if mixed:
            notes.append("this source holds passages on both sides")
        # ties (the same sentence in two places) go by id: scores equal to the shown precision must not be
        # ordered by the last bits of a float, which differ between encoder batches and search kernels
        decisive = sorted(
            ((h, s) for h, s in judged if s.stance != "neutral"), key=lambda p: (-round(p[1].score, 3), p[0].passage.id)
        )
        rest = sorted(
            ((h, s) for h, s in judged if s.stance == "neutral"),
            key=lambda p: (-round(p[0].similarity, 4), p[0].passage.id),
        )
        best = max((round(hit.similarity, 4) for hit, _ in judged), default=0.0)
        shown = tuple(
            _result(hit, judge(hit, brief=False) if s.brief else s, nli.get(hit.passage.id))
            for hit, s in [*decisive, *rest][:top_k]
        )
        return SourceResult(source, stance, score, shown, best, mixed, tuple(notes))

    def _conclude(self, text: str, analysis: Analysis, sources: list[SourceResult]) -> Verification:
        closest = max((1 - p.score for s in sources for p in s.passages if p.stance == "neutral"), default=0.0)
        sources = self._related(sources)
        verdict, confidence = overall([(s.stance, s.score) for s in sources], closest, [s.family for s in sources])
        ordered = sorted(
            sources,
            key=lambda s: (
                s.stance == "neutral",
                -(round(s.score, 3) if s.stance != "neutral" else 0.0),
                -s.best_similarity,  # rounded to the shown precision in _source
                s.source.source_id,
            ),
        )
        return Verification(text, analysis.language, verdict, confidence, tuple(ordered))

    def _related(self, sources: list[SourceResult]) -> list[SourceResult]:
        """Each source with the others it shares reporting with (its story family)."""
        related = self.corpus.relations(s.source.source_id for s in sources)
        return [replace(s, related=related.get(s.source.source_id)) for s in sources]


@dataclass(frozen=True)
class _Surroundings:
    """What a candidate passage brings to any claim: the sentences around it, and all their words."""

    sentences: tuple[Analysis, ...]  # the passage's own analysis, then its context
    words: frozenset[str]  # content words (folded) of all of them

    @property
    def analysis(self) -> Analysis:
        return self.sentences[0]

    @property
    def context(self) -> tuple[Analysis, ...]:
        return self.sentences[1:]


def _result(hit: PassageHit, stance: PassageStance, nli: Probabilities | None) -> PassageResult:
    return PassageResult(
        hit.passage,
        round(hit.similarity, 4),
        stance.stance,
        stance.score,
        stance.reasons,
        stance.findings,
        stance.coverage,
        nli,
    )


def _empty(text: str, language: str, note: str) -> Verification:
    return Verification(text, language, "not_enough_evidence", 1.0, (), (note,))
