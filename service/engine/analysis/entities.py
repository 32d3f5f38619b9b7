"""Places, people and organisations, and the role each plays in its clause.

Roles come from the word before the name: "naar/to" marks where something
goes, "vanuit/from" where it comes from, "in/at" where it is; "van X naar Y"
makes X the origin; a name with no preposition first in its clause is the
actor ("De VS sturen ..."), and "door/by X" is the actor of a passive. In a
clause that moves something somewhere, a plain location is where it moved
from: "duizend soldaten die al in Duitsland zijn, worden naar Roemenië
gestuurd" goes from Germany to Romania.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import fuzz, process

from service.engine.analysis.lexicon import CITY_PREFIX, EntityInfo, Lexicon, fold
from service.engine.analysis.model import EntityMention, Role, Token
from service.engine.names import lost_letters_kept, titles

PLACE_KINDS = frozenset({"country", "region", "place"})
PLACE_ROLES = frozenset({"origin", "destination", "location"})
_COORDINATION = {"en", "and", "of", "or", ",", "&"}
FUZZY_CUTOFF = 88
# Title case ("Pogba Has Quit The French National Team"): at least this many words after the
# first, this share of them capitalised, and this many of those function words (a title inside
# a sentence, "hosts The Big Nae Nae Show", has one).
HEADLINE_MIN_WORDS, HEADLINE_SHARE, HEADLINE_FUNCTION_WORDS = 3, 0.75, 2
# An unlisted sentence opener is a name only if rarer than this as a word (wordfreq's Zipf scale):
# "Rutte" (3.8) and "Erdogan" (4.0) are, "daarnaast" (5.1) and "minstens" (4.6) are not.
OPENER_NAME_ZIPF = 4.5


@dataclass(frozen=True)
class _Sub:
    """A token, or one part of a hyphenated token ("NAVO-troepen" -> "NAVO", "troepen")."""

    text: str
    start: int
    end: int
    fold: str
    token: int
    part: int
    parts: int


def _subtokens(tokens: Sequence[Token]) -> list[_Sub]:
    subs = []
    for index, token in enumerate(tokens):
        pieces = token.text.split("-") if "-" in token.text and not token.text[0].isdigit() else [token.text]
        offset = token.start
        for part, piece in enumerate(pieces):
            if piece:
                subs.append(_Sub(piece, offset, offset + len(piece), fold(piece), index, part, len(pieces)))
            offset += len(piece) + 1
    return subs


def _named_not_city(subs: list[_Sub], i: int, lexicon: Lexicon) -> tuple[EntityInfo, int, bool] | None:
    """:func:`_lookup`, but a city is no known name here: "George Weah" and "Austin Reaves" are one
    person's name, whatever cities are called George or Austin."""
    hit = _lookup(subs, i, lexicon)
    return None if hit is not None and hit[0].id.startswith(CITY_PREFIX) else hit


def _lookup(subs: list[_Sub], i: int, lexicon: Lexicon) -> tuple[EntityInfo, int, bool] | None:
    """The longest entity name starting at ``subs[i]``: (entity, parts used, is demonym)."""
    gazetteer = lexicon.gazetteer
    first = subs[i]
    if first.fold not in gazetteer.first_words:  # most words begin no name: only an acronym is left
        acronym = gazetteer.acronyms.get(first.text.replace(".", ""))
        return None if acronym is None else (acronym, 1, False)
    for n in range(min(gazetteer.max_words, len(subs) - i), 0, -1):
        window = subs[i : i + n]
        key = tuple(s.fold for s in window)
        # every word the name capitalises must be capitalised in the text: "Buitenlandse Zaken"
        # in "ministerie van Buitenlandse Zaken", not the verb "zaken"
        flags = gazetteer.capitals.get(key, (True,) * n)
        cased = all(s.text[:1].isupper() or not flag for s, flag in zip(window, flags, strict=False))
        info = gazetteer.names.get(key)
        if info is not None and cased:
            return info, n, False
        info = gazetteer.demonyms.get(key)
        if info is not None and cased:
            return info, n, True
        if n == 1:
            acronym = gazetteer.acronyms.get(first.text.replace(".", ""))
            if acronym is not None:
                return acronym, 1, False
    return None


def _placed(
    token_index: int, tokens: Sequence[Token], lexicon: Lexicon, clause_of: dict[int, int], clause_starts: Sequence[int]
) -> bool:
    """Does a preposition of place govern the name at ``token_index`` ("near", "naar", "from")?"""
    start = clause_starts[clause_of.get(token_index, 0)] if clause_starts else 0
    role, _ = _role_before(tokens, token_index, start, lexicon)
    return role in PLACE_ROLES


def _role_before(
    tokens: Sequence[Token], token_index: int, clause_start_token: int, lexicon: Lexicon
) -> tuple[str | None, int]:
    """The role preposition governing the name at ``token_index``, and where it stands."""
    j = token_index - 1
    skipped = 0
    while j >= clause_start_token and skipped < 5:
        word = tokens[j].fold
        if word in lexicon.roles:
            return lexicon.roles[word], j
        if word in lexicon.determiners or word in lexicon.place_nouns or word in lexicon.demonym_words:
            j -= 1
            skipped += 1
            continue
        break
    return None, j


def extract(
    text: str,
    tokens: Sequence[Token],
    lexicon: Lexicon,
    clause_of: dict[int, int],
    clause_starts: Sequence[int],
    language: str = "en",
) -> list[EntityMention]:
    subs = _subtokens(tokens)
    headline = is_headline(tokens, lexicon)
    raw: list[tuple[EntityInfo, int, int, str]] = []  # info, first sub, last sub (excl), via
    i = 0
    while i < len(subs):
        hit = _lookup(subs, i, lexicon)
        # a city only where the sentence puts it as a place ("Austin said" may be a person), and not
        # as the start of a longer name ("to the Cleveland Browns", "in Manchester United's ground")
        if (
            hit is not None
            and hit[0].id.startswith(CITY_PREFIX)
            and (
                not _placed(subs[i].token, tokens, lexicon, clause_of, clause_starts)
                or _name_follows(subs, i + hit[1] - 1, tokens, lexicon)
            )
        ):
            hit = None
        if hit is not None:
            info, n, demonym = hit
            last = subs[i + n - 1]
            whole = subs[i].part == 0 and last.part == last.parts - 1
            via = "demonym" if demonym else ("name" if whole or subs[i].parts == 1 else "compound")
            raw.append((info, i, i + n, via))
            i += n
            continue
        sub = subs[i]
        opener = sub.token == 0 and _proper_noun(sub, tokens, lexicon, opener=True)
        if opener and not headline and _name_follows(subs, i, tokens, lexicon):
            # "Neil Harris is ...": an opener followed by a name is its first word, not a sentence opener
            raw.append(_unknown_name(subs, i, tokens, lexicon))
            i = raw[-1][2]
            continue
        if opener:
            # a sentence opener is a name if it is a known one, maybe misspelled, or a word neither
            # language's dictionary knows ("Clairo is ...", "Rutte zei ..."; not "Gisteren")
            fuzzy = lexicon.gazetteer.fuzzy_names
            match = process.extractOne(sub.fold, list(fuzzy), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match is not None:
                raw.append((fuzzy[match[0]], i, i + 1, "fuzzy"))
            elif not headline and _name_shaped(sub, lexicon, language):
                raw.append(_unknown_name(subs, i, tokens, lexicon))
                i = raw[-1][2]
                continue
        elif _proper_noun(sub, tokens, lexicon):
            fuzzy = lexicon.gazetteer.fuzzy_names
            match = process.extractOne(sub.fold, list(fuzzy), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match is not None:
                raw.append((fuzzy[match[0]], i, i + 1, "fuzzy"))
            elif not headline:
                raw.append(_unknown_name(subs, i, tokens, lexicon))
                i = raw[-1][2]
                continue
        i += 1

    mentions: list[EntityMention] = []
    starts = {first for _, first, _, _ in raw}
    for info, first_index, end_index, via in raw:
        if (
            via == "unknown"
            and (end_index in starts or end_index - first_index == 1)
            and all(s.fold.rstrip(".") in titles() for s in subs[first_index:end_index])
        ):
            # "Prime Minister" before "Rutte", a lone "Secretary": a title, set aside; nameparser's
            # titles also hold "Flag" and "Flying", so a title-only name of its own ("Last Flag Flying") stays
            continue
        start_sub, end_sub = subs[first_index], subs[end_index - 1]
        token_index = start_sub.token
        clause = clause_of.get(token_index, 0)
        role = _assign_role(tokens, token_index, clause_starts[clause], info, via, lexicon, mentions, clause, language)
        after = end_sub.token + 1
        if role in {"origin", "destination", "location"} and after < len(tokens) and tokens[after].fold in titles():
            role = "other"  # "to United States Secretary of State Antony Blinken": whose secretary, not where
        mentions.append(
            EntityMention(
                id=info.id,
                kind=info.kind,
                label=info.label,
                text=text[start_sub.start : end_sub.end],
                start=start_sub.start,
                end=end_sub.end,
                clause=clause,
                role=role,
                via=via,  # type: ignore[arg-type]
            )
        )
    return _movement_frames(_passive_agents(mentions, tokens, lexicon), tokens, lexicon)


@lru_cache(maxsize=50_000)
def dictionary_word(word: str) -> bool:
    """Is the word, in lower case, one Dutch or English dictionaries know (simplemma's lists)?"""
    import simplemma

    return any(simplemma.is_known(word, lang=lang) for lang in ("nl", "en"))


def _name_shaped(sub: _Sub, lexicon: Lexicon, language: str) -> bool:
    """Is a sentence opener a name nobody listed ("Clairo is ...", "Erdogan bezocht ...")? Only a
    word neither language's dictionary knows, that the analysis reads in no other way, and that is
    rare as a word in its language (simplemma's Dutch list lacks adverbs such as "daarnaast")."""
    from wordfreq import zipf_frequency

    if sub.fold in lexicon.stopwords or sub.fold in lexicon.read_words or dictionary_word(sub.fold):
        return False
    return zipf_frequency(sub.fold, language if language in {"nl", "en"} else "en") < OPENER_NAME_ZIPF


def is_headline(tokens: Sequence[Token], lexicon: Lexicon) -> bool:
    """Is the text in title case? There capitals say nothing of names: only known names are read
    as names, and the other capitalised words stay content words to be matched by meaning (a
    headline's "Quit The French National Team" is not one name a source must repeat)."""
    words = [t for t in tokens[1:] if len(t.text) > 1 and t.text[:1].isalpha()]
    capitals = [t for t in words if t.text[:1].isupper() and not t.text.isupper()]
    return (
        len(words) >= HEADLINE_MIN_WORDS
        and len(capitals) >= HEADLINE_SHARE * len(words)
        and sum(t.fold in lexicon.stopwords or t.fold in lexicon.negation for t in capitals) >= HEADLINE_FUNCTION_WORDS
    )


def _unknown_name(
    subs: list[_Sub], i: int, tokens: Sequence[Token], lexicon: Lexicon
) -> tuple[EntityInfo, int, int, str]:
    """An unknown name that begins at ``subs[i]``: (entity, first sub, last sub (excl), via)."""
    end = _unknown_name_end(subs, i + 1, tokens, lexicon)
    name = " ".join(s.text for s in subs[i:end])
    return EntityInfo(f"name:{fold(name)}", "name", name), i, end, "unknown"


def _unknown_name_end(subs: list[_Sub], end: int, tokens: Sequence[Token], lexicon: Lexicon) -> int:
    """Where an unknown name that has reached ``subs[end - 1]`` ends: at the next word that is not
    a capitalised word right after it, or that begins a known name."""
    while (
        end < len(subs)
        and _proper_noun(subs[end], tokens, lexicon, continues=True)
        and subs[end].token == subs[end - 1].token + 1
        and _named_not_city(subs, end, lexicon) is None  # "Minister Boris Johnson": the known name stays
    ):
        end += 1
    return end


def _name_follows(subs: list[_Sub], i: int, tokens: Sequence[Token], lexicon: Lexicon) -> bool:
    """Is the word after ``subs[i]`` an unknown capitalised word (so the two begin one name)?"""
    nxt = i + 1
    return (
        nxt < len(subs)
        and subs[nxt].token == subs[i].token + 1
        and _proper_noun(subs[nxt], tokens, lexicon, continues=True)
        and _named_not_city(subs, nxt, lexicon) is None
        and _named_not_city(subs, i, lexicon) is None
    )


def _proper_noun(
    sub: _Sub, tokens: Sequence[Token], lexicon: Lexicon, *, opener: bool = False, continues: bool = False
) -> bool:
    """A capitalised word that is not a sentence opener, a stopword, a month or a weekday; one that
    ``continues`` a name may be a stopword ("Shane Long", "Hans Kahn")."""
    if not sub.text[:1].isupper() or len(sub.text) < 3 or not lost_letters_kept(sub.text).isalpha():
        return False
    if not opener and (sub.token == 0 or tokens[sub.token - 1].text in {'"', "“", "„", ":", "'"}):
        return False
    return (
        (continues or sub.fold not in lexicon.stopwords)
        and sub.fold not in lexicon.negation  # "is NOT quitting": emphasis, not a name
        and sub.fold not in lexicon.demonym_words
        and sub.fold not in lexicon.months
        and sub.fold not in lexicon.weekdays
    )


def _assign_role(
    tokens: Sequence[Token],
    token_index: int,
    clause_start: int,
    info: EntityInfo,
    via: str,
    lexicon: Lexicon,
    earlier: list[EntityMention],
    clause: int,
    language: str = "en",
) -> Role:
    if via == "compound":
        return "actor"  # "NAVO-troepen": whose troops
    role, at = _role_before(tokens, token_index, clause_start, lexicon)
    if role in {"origin", "destination", "location"} and _possessive(tokens, token_index):
        return "other"  # "agreed to Russia's demands": Russia owns the demands, nobody goes there
    if via == "demonym" and role in {"origin", "destination", "location"}:
        return "other"  # "bij een Russische inval": an adjective, not a place
    if role is None and at >= clause_start and tokens[at].fold in _COORDINATION:
        # "naar Polen en Duitsland": the second name shares the first one's role
        previous = next((m for m in reversed(earlier) if m.clause == clause), None)
        if previous is not None and previous.end <= tokens[at].start:
            return previous.role
    if role is None:
        if via == "demonym" and _modifies_counted_noun(tokens, token_index, lexicon):
            return "actor"  # "Amerikaanse militairen": whose troops
        if language == "en" and _after_english_verb(tokens, token_index, clause_start, lexicon):
            return "other"  # "people have fled Ukraine": the object, not who acts
        first_plain = not any(m.clause == clause and m.role == "actor" for m in earlier)
        return "actor" if first_plain else "other"
    if role in {"origin", "destination", "location"} and info.kind not in PLACE_KINDS:
        return "other"  # "naar NAVO-lidstaten" is not a place on a map
    if role == "other" and tokens[at].fold == "van":
        later = {t.fold for t in tokens[token_index + 1 :]}
        if later & {"naar", "to"}:
            return "origin"  # "van Duitsland naar Polen"
    moved = any(
        tokens[k].lemma in lexicon.movement_verbs or tokens[k].fold in lexicon.movement_verbs
        for k in range(max(clause_start, at - 2), at)
    )
    if moved and (role == "location" or tokens[at].fold == "for"):
        return "destination"  # "ingezet worden in Roemenië", "leave for Europe"
    return role  # type: ignore[return-value]


def _after_english_verb(tokens: Sequence[Token], token_index: int, clause_start: int, lexicon: Lexicon) -> bool:
    """Is there an auxiliary or a past-tense verb between the clause start and this name?"""
    for token in tokens[clause_start:token_index]:
        if token.fold in lexicon.english_verbs:
            return True
        if token.text.islower() and (
            (len(token.text) > 4 and token.text.endswith("ed")) or english_past_tense(token.text)
        ):
            return True
    return False


@lru_cache(maxsize=50_000)
def english_past_tense(word: str) -> bool:
    """Is the word the past tense or participle of an English verb, irregular ones included
    ("struck", "sent", "won"), by lemminflect's lexicon?"""
    import lemminflect

    for lemma in lemminflect.getAllLemmas(word, upos="VERB").get("VERB", ()):
        forms = (*lemminflect.getInflection(lemma, tag="VBD"), *lemminflect.getInflection(lemma, tag="VBN"))
        if word in forms:
            return True
    return False


def _possessive(tokens: Sequence[Token], token_index: int) -> bool:
    following = tokens[token_index + 1 : token_index + 3]
    return any(t.lower in {"'s", "’s"} for t in following)


def _modifies_counted_noun(tokens: Sequence[Token], token_index: int, lexicon: Lexicon) -> bool:
    from service.engine.analysis.numbers import concept_of

    return any(concept_of(t, lexicon) is not None for t in tokens[token_index + 1 : token_index + 3])


def place_anaphora(tokens: Sequence[Token], lexicon: Lexicon, clause_of: dict[int, int]) -> list[tuple[str, int, int]]:
    """Definite place nouns after a role word: (role, start, end) of "aan het land", "to the capital".

    They refer back to a place named before, which the comparison may take from the context.
    """
    found = []
    for i in range(len(tokens) - 2):
        role = lexicon.roles.get(tokens[i].fold)
        if role not in {"origin", "destination", "location"}:
            continue
        if tokens[i + 1].fold in {"het", "de", "dat", "die", "dit", "deze", "the", "that", "this"} and (
            tokens[i + 2].fold in lexicon.place_anaphora
        ):
            found.append((role, tokens[i].start, tokens[i + 2].end))
    return found


def _passive_agents(mentions: list[EntityMention], tokens: Sequence[Token], lexicon: Lexicon) -> list[EntityMention]:
    """ "Crimea was annexed by Russia": the agent acts, the subject does not."""
    agent_clauses = {m.clause for m in mentions if m.role == "agent"}
    out = []
    for m in mentions:
        if m.role == "agent":
            out.append(replace(m, role="actor"))
        elif m.role == "actor" and m.clause in agent_clauses and m.via != "compound":
            out.append(replace(m, role="other"))
        else:
            out.append(m)
    return out


def _movement_frames(mentions: list[EntityMention], tokens: Sequence[Token], lexicon: Lexicon) -> list[EntityMention]:
    destinations = {(m.clause, m.id) for m in mentions if m.role == "destination"}
    moving = {clause for clause, _ in destinations}
    return [
        replace(m, role="origin", derived=True)
        if m.role == "location" and m.clause in moving and (m.clause, m.id) not in destinations
        else m
        for m in mentions
    ]
