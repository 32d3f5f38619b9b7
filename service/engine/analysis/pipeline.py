"""Tokenise, cut into clauses, and run the extractors: :func:`analyze`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from service.engine.analysis import entities, numbers
from service.engine.analysis.compounds import split_compound
from service.engine.analysis.lexicon import Lexicon, fold, lexicon
from service.engine.analysis.model import Analysis, Clause, EntityMention, Token

# Words (with inner hyphens and apostrophes), numbers in either convention with
# an optional "-tal", a range dash between digits, and the punctuation clauses
# and lists are cut at.
_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*(?:-?tal)?"
    r"|(?:[^\W\d_]|¿½|\ufffd)+(?:['’\-][^\W\d_]+)*"  # "¿½": a letter lost to mojibake ("Patrï¿½cio")
    r"|(?<=\d)[-–](?=\d)"
    r"|[%€$£¥₹;:,\"“”„«»]"
)
_ANALYSIS_LANGUAGES = ("nl", "en")
SPEAKER_KINDS = frozenset({"person", "org", "country", "name", "region"})
# "No, Minneapolis has not defunded the police": a reply that opens a sentence answers the
# question put to it; it is not a second negation that cancels the sentence's own.
REPLY_PARTICLES = frozenset({"no", "nee"})
_REPLY_END = frozenset({",", ".", "!", ":", ";"})


def _split_affixes(match: re.Match[str]) -> list[tuple[str, int]]:
    """ "doesn't" -> "does", "n't"; "Russia's" -> "Russia", "'s"; "zo'n" stays whole."""
    text, start = match.group(), match.start()
    lowered = text.lower().replace("’", "'")
    if len(text) > 3 and lowered.endswith("n't"):
        return [(text[:-3], start), (text[-3:], start + len(text) - 3)]
    if len(text) > 2 and lowered.endswith("'s"):
        return [(text[:-2], start), (text[-2:], start + len(text) - 2)]
    return [(text, start)]


def tokenize(text: str, language: str) -> list[Token]:
    import simplemma

    lang = language if language in _ANALYSIS_LANGUAGES else _ANALYSIS_LANGUAGES
    tokens = []
    for match in _TOKEN.finditer(text):
        for piece, start in _split_affixes(match):
            folded = fold(piece) or piece
            if piece[:1].isalpha():
                # simplemma writes separable verbs with an underscore: "ingezet" -> "in_zetten"
                lemma = fold(simplemma.lemmatize(piece, lang=lang).replace("_", "")) or folded
            else:
                lemma = folded
            tokens.append(Token(piece, start, start + len(piece), piece.casefold(), folded, lemma))
    return tokens


def _phrase_at(tokens: Sequence[Token], i: int, phrases: tuple[tuple[str, ...], ...], *, lemmas: bool = False) -> int:
    """Length of the first phrase (word tuple) that starts at token ``i``, else 0."""
    by_first = _by_first_word(phrases)
    token = tokens[i]
    candidates = by_first.get(token.fold, ())
    if lemmas and token.lemma != token.fold:
        candidates = sorted([*candidates, *by_first.get(token.lemma, ())])  # the lexicon's order decides
    for _, phrase in candidates:
        n = len(phrase)
        window = tokens[i : i + n]
        if tuple(t.fold for t in window) == phrase or (lemmas and tuple(t.lemma for t in window) == phrase):
            return n
    return 0


@lru_cache(maxsize=64)
def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[int, tuple[str, ...]]]]:
    """Phrases by their first word, with their position in the list: each token looks at a few, not all."""
    index: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for position, phrase in enumerate(phrases):
        if phrase:
            index.setdefault(phrase[0], []).append((position, phrase))
    return index


def _clause_bounds(tokens: Sequence[Token], lex: Lexicon) -> list[tuple[int, int]]:
    """Token ranges of clauses: cut at ; and : and before "maar", "but", "terwijl", "en dat" ..., and
    before ", and there", ", en er" ... (a clause with a subject of its own)."""
    bounds = []
    start = 0
    for i, token in enumerate(tokens):
        if token.text in {";", ":"}:
            if i > start:
                bounds.append((start, i))
            start = i + 1
        elif i > start and (
            _phrase_at(tokens, i, lex.clause_breaks)
            or (tokens[i - 1].text == "," and _phrase_at(tokens, i, lex.comma_breaks))
        ):
            end = i - 1 if tokens[i - 1].text == "," else i
            if end > start:
                bounds.append((start, end))
            start = i
    if start < len(tokens):
        bounds.append((start, len(tokens)))
    return bounds or [(0, 0)]


def _count_predicates(clause_tokens: Sequence[Token], lex: Lexicon) -> list[str]:
    """Negative predicates in the clause ("ontkent", "wijzen ... van de hand", "rules out")."""
    found = []
    lemmas = [t.lemma for t in clause_tokens]
    words = {t.fold for t in clause_tokens} | set(lemmas)
    for phrase in lex.negative_predicates:
        if len(phrase) == 1:
            hits = [t.text for t in clause_tokens if t.lemma == phrase[0] or t.fold == phrase[0]]
            found.extend(hits[:1])
        elif all(word in words for word in phrase):
            found.append(" ".join(phrase))
    # "wijzen af" also matches "afwijzen": count each predicate once
    return list(dict.fromkeys(found))


# Between a copula and its falsity word: an article, intensifiers, coordinated adverbs, a negation
# ("is a hoax", "are completely and entirely false", "is volledig onjuist", "is not false"), at most
# FALSITY_GAP of them.
FALSITY_GAP = 4
_FALSITY_FILLERS = frozenset(
    {
        "a",
        "an",
        "een",
        "and",
        "en",
        "or",
        "of",
        "pure",
        "total",
        "utter",
        "complete",
        "simply",
        "just",
        "totaal",
        "volledig",
        "geheel",
        "helemaal",
        "compleet",
        "echt",
        "gewoon",
        "puur",
        "not",  # "is not false": both count, and cancel
        "niet",
    }
)
_COORDINATORS = frozenset({"and", "or", "en", "of"})  # "is false and misleading"
# "is fake news", "is nepnieuws": the noun after the word is part of the verdict
_FALSITY_NOUNS = frozenset({"news", "nieuws"})


# how far after a negation its infinitive's "to" / "te" may come: "not to travel", "niet naar het gebied te komen"
INFINITIVE_REACH = 6


def _directive_at(clause_tokens: Sequence[Token], lex: Lexicon) -> int | None:
    """Where the clause's verb of calling on someone stands ("urged", "roept ... op"), if it has one."""
    words = {t.lemma for t in clause_tokens} | {t.fold for t in clause_tokens}
    for phrase in lex.directives:
        if all(w in words for w in phrase):
            return next(k for k, t in enumerate(clause_tokens) if t.lemma in phrase or t.fold in phrase)
    return None


def _before_infinitive(clause_tokens: Sequence[Token], k: int) -> bool:
    """Does an infinitive's "to" / "te" follow the negation at ``k`` ("not to come", "niet ... te komen")?"""
    return any(t.fold in {"to", "te"} for t in clause_tokens[k + 1 : k + 1 + INFINITIVE_REACH])


def _hedges(clause_tokens: Sequence[Token], lex: Lexicon, denials: Sequence[str]) -> tuple[str, ...]:
    """The clause's hedges, but not the reports one of its evidential ``denials`` rejects: "er zijn
    geen berichten dat ...", "no reports that ..." deny the report; they do not report it."""
    denied = {w.casefold() for phrase in denials for w in phrase.split()}
    return tuple(h for h in _phrases_in(clause_tokens, lex.hedges) if h.split()[0].casefold() not in denied)


def _falsity(clause_tokens: Sequence[Token], lex: Lexicon) -> list[str]:
    """Words that call the clause's subject untrue, after a copula: "The claim that P is false", "Het
    bericht dat P is onjuist", "this is fake news". They negate the clause and, as "there is no
    evidence that P" does, say so of the claim itself (``Clause.evidential``). The word ends the
    predicate: "it was a false alarm" and "fake news spread" say nothing of the kind."""
    for k, token in enumerate(clause_tokens):
        if token.fold not in lex.falsity:
            continue
        last = k + 1 if k + 1 < len(clause_tokens) and clause_tokens[k + 1].fold in _FALSITY_NOUNS else k
        ends = last + 1 == len(clause_tokens) or not clause_tokens[last + 1].text[:1].isalnum()
        if not (ends or clause_tokens[last + 1].fold in _COORDINATORS):
            continue
        j = k - 1
        while (
            j >= 0
            and k - j <= FALSITY_GAP
            and (clause_tokens[j].fold in _FALSITY_FILLERS or clause_tokens[j].fold.endswith("ly"))
        ):
            j -= 1
        if j >= 0 and clause_tokens[j].fold in lex.falsity_copulas:
            return [token.text]
    return []


def _alternative(tokens: Sequence[Token], k: int) -> bool:
    """Is the negation at ``k`` one half of an alternative ("treated or not", "whether or not",
    "al dan niet"), which leaves the clause as it is?"""
    before = [t.fold for t in tokens[max(0, k - 2) : k]]
    return (
        tokens[k].fold in {"not", "niet"} and bool(before) and (before[-1] in {"or", "of"} or before == ["al", "dan"])
    )


def _phrases_in(clause_tokens: Sequence[Token], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    """The phrases of a lexicon table in the clause (words or lemmas), as written."""
    found = []
    for i in range(len(clause_tokens)):
        n = _phrase_at(clause_tokens, i, phrases, lemmas=True)
        if n:
            found.append(" ".join(t.text for t in clause_tokens[i : i + n]))
    return found


# Before a word that can be a verb of speech, these make it a noun ("the reports", "49 states"), or
# a passive ("was announced", "werd bevestigd").
_NOUN_MARKERS = frozenset(
    {"the", "a", "an", "this", "these", "those", "its", "their", "his", "her", "our", "de", "het", "een", "deze", "dit"}
)
_PASSIVE_AUXILIARIES = frozenset(
    {"was", "were", "is", "are", "been", "be", "being", "werd", "werden", "wordt", "worden", "geworden"}
)


def _speech(
    clause_tokens: Sequence[Token], mentions: Sequence[EntityMention], lex: Lexicon
) -> tuple[str | None, str | None]:
    """The speech verb of a clause and who is reported as speaking."""
    verbs = lex.speech_positive | lex.speech_negative
    words = {t.fold for t in clause_tokens} | {t.lemma for t in clause_tokens}
    phrases = [phrase for phrase in lex.speech_phrases if all(w in words for w in phrase)]
    for index, token in enumerate(clause_tokens):
        in_phrase = any(token.lemma == phrase[0] or token.fold == phrase[0] for phrase in phrases)
        if token.lemma not in verbs and token.fold not in verbs and not in_phrase:
            continue
        before = clause_tokens[index - 1] if index else None
        if before is not None and (before.fold in _NOUN_MARKERS or before.text[:1].isdigit()):
            continue  # "49 states", "the reports", "in the state": a noun, not a verb of speech
        if before is not None and before.fold in _PASSIVE_AUXILIARIES:
            # "Mardaani 2 was announced on ...": what was said is the subject; who said it, if
            # anyone, is the agent ("announced by Chopra")
            by = next(
                (k for k in range(index + 1, len(clause_tokens)) if lex.roles.get(clause_tokens[k].fold) == "agent"),
                None,
            )
            starts = {t.start for t in clause_tokens[by + 1 : by + 4]} if by is not None else set()
            agents = [m for m in mentions if m.kind in SPEAKER_KINDS and m.start in starts]
            agents = [m for m in agents if m.kind == "person"] or agents  # "door NAVO-chef Stoltenberg"
            return (agents[0].id if agents else None), token.text
        candidates = [m for m in mentions if m.kind in SPEAKER_KINDS and m.role in {"actor", "other"}]
        # the speaker is the verb's subject: before it ("Rusland ontkent"), or right after it in a
        # reporting clause ("zei NAVO-chef Jens Stoltenberg") -- never inside what was said
        # ("there are reports that Russia ...")
        after_limit = token.end
        for follower in clause_tokens[index + 1 : index + 5]:
            if follower.fold in lex.complementizers:
                break
            after_limit = follower.end
        candidates = [m for m in candidates if m.end <= token.start or token.end <= m.start <= after_limit]
        if not candidates:
            # "Officials in Turkey said": whose officials, the country they speak in
            candidates = [
                m for m in mentions if m.kind in {"country", "region"} and m.role == "location" and m.end <= token.start
            ][:1]
        if not candidates:
            return None, token.text
        # a person beats the organisation in "zei NAVO-chef Jens Stoltenberg"
        people = [m for m in candidates if m.kind == "person"] or candidates
        speaker = min(people, key=lambda m: abs(m.start - token.start))
        return speaker.id, token.text
    return None, None


def _clauses(
    text: str,
    tokens: Sequence[Token],
    bounds: Sequence[tuple[int, int]],
    mentions: Sequence[EntityMention],
    lex: Lexicon,
) -> list[Clause]:
    clauses = []
    for index, (first, last) in enumerate(bounds):
        part = tokens[first:last]
        if not part:
            clauses.append(Clause(0, len(text), (), False, (), None, None))
            continue
        opens = first == 0 or tokens[first - 1].text in {".", "!", "?"}
        reply = opens and len(part) > 1 and part[0].fold in REPLY_PARTICLES and part[1].text in _REPLY_END
        negations = [
            k
            for k, t in enumerate(part)
            if k >= int(reply) and (t.fold in lex.negation or t.lower in lex.negation) and not _alternative(part, k)
        ]
        directive = _directive_at(part, lex) if negations else None
        cues = [
            part[k].text
            for k in negations
            if not (directive is not None and k > directive and _before_infinitive(part, k))
        ]
        cues += _count_predicates(part, lex)
        untrue = _falsity(part, lex)
        cues += untrue
        denials = _phrases_in(part, lex.evidential_denials)
        speaker, speech = _speech(part, [m for m in mentions if m.clause == index], lex)
        past = [
            " ".join(t.text for t in part[i : i + n])
            for i in range(len(part))
            if (n := _phrase_at(part, i, lex.past_markers))
        ]
        clauses.append(
            Clause(
                start=part[0].start,
                end=part[-1].end,
                negations=tuple(cues),
                negated=len(cues) % 2 == 1,
                hedges=_hedges(part, lex, denials),
                speaker=speaker,
                speech=speech,
                past=tuple(past),
                evidential=(*denials, *untrue) if len(cues) % 2 == 1 else (),
            )
        )
    return clauses


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _pieces(token: Token, spans: list[tuple[int, int]]) -> list[Token]:
    """The token, or for "NAVO-chef" the parts no name covers ("chef")."""
    if "-" not in token.text or not any(s < token.end and token.start < e for s, e in spans):
        return [] if _inside(spans, token.start, token.end) else [token]
    out, offset = [], token.start
    for part in token.text.split("-"):
        if part and not _inside(spans, offset, offset + len(part)):
            out.append(Token(part, offset, offset + len(part), part.casefold(), fold(part), fold(part)))
        offset += len(part) + 1
    return out


def _content(
    tokens: Sequence[Token], covered: list[tuple[int, int]], lex: Lexicon, language: str, whole: set[int]
) -> tuple[Token, ...]:
    """Words that carry the claim's meaning: not function words, numbers, names or negation cues.

    ``whole``: starts of words never split as compounds (a name kept as a word: "Gazprombank" is
    not "gazprom" and "bank").

    (Helpers at module level rather than closures: compiled, a closure's environment and the
    function objects refer to each other, a cycle left for the garbage collector on every call.)
    """
    spans = sorted(covered)
    cues = lex.content_cues
    words = [
        piece
        for t in tokens
        if t.text[:1].isalpha()
        for piece in _pieces(t, spans)
        if len(piece.fold) >= 3
        and piece.fold not in lex.stopwords
        and piece.lemma not in lex.stopwords
        and piece.fold not in lex.negation
        and piece.fold not in lex.weekday_numbers  # a value, checked as one (check_weekdays)
        and piece.lemma not in cues
        and piece.fold not in cues
    ]
    # the parts of a Dutch compound are words too: "burgerdoelen" says "civilian targets"
    parts = [
        Token(part, w.start, w.end, part, part, part)
        for w in words
        if w.start not in whole
        for part in split_compound(w.fold, language)
        if part not in lex.stopwords
    ]
    return tuple(words + parts)


def analysis_language(text: str, hint: str | None = None) -> str:
    """The language rules to read ``text`` with: Dutch or English.

    A text of another known language (a German source's sentence) is read with the English
    rules; an unknown one (a claim) is told Dutch or English by a detector over those two
    alone, which also reads a German claim with the nearer Dutch rules.
    """
    if hint is not None:
        return hint if hint in _ANALYSIS_LANGUAGES else "en"
    from index.language import detect_language

    return detect_language(text, among=_ANALYSIS_LANGUAGES) or "en"


@lru_cache(maxsize=50_000)
def analyze_passage(text: str, language: str | None = None) -> Analysis:
    """:func:`analyze`, cached: passages recur from claim to claim, claims do not (a batch of a
    million claims must not fill the cache)."""
    return analyze(text, language)


def analyze(text: str, language: str | None = None) -> Analysis:
    """Everything the stance comparison reads from one sentence."""
    lex = lexicon()
    lang = analysis_language(text, language)
    tokens = tokenize(text, lang)
    bounds = _clause_bounds(tokens, lex)
    clause_of = {i: c for c, (first, last) in enumerate(bounds) for i in range(first, last)}
    clause_starts = [first for first, _ in bounds]
    mentions = entities.extract(text, tokens, lex, clause_of, clause_starts, lang)
    names = [(m.start, m.end) for m in mentions if m.kind == "name"]
    quantities, years, durations = numbers.extract(text, tokens, lang, lex, clause_of, names)
    clauses = _clauses(text, tokens, bounds, mentions, lex)
    # a one-word name opening the sentence, read as a name for its rarity alone (entities._name_shaped),
    # stays a content word as well, matched by its spelling (coverage.claim_words_for): its capital
    # says nothing, and the word may be what ties a passage to the claim ("Gazprombank valt niet
    # onder de maatregel")
    opener = tokens[0].start if tokens else -1
    kept = {m.start for m in mentions if m.via == "unknown" and m.start == opener and " " not in m.text}
    covered = [(m.start, m.end) for m in mentions if m.start not in kept]
    covered += [(q.start, q.end) for q in quantities]
    covered += [(y.start, y.end) for y in years] + [(d.start, d.end) for d in durations]
    return Analysis(
        text=text,
        language=lang,
        tokens=tuple(tokens),
        quantities=tuple(quantities),
        years=tuple(years),
        durations=tuple(durations),
        entities=tuple(mentions),
        clauses=tuple(clauses),
        content=_content(tokens, covered, lex, lang, whole=kept),
        place_refs=tuple(entities.place_anaphora(tokens, lex, clause_of)),
    )
