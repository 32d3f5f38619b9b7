"""Who acts, who speaks, and who stands for whom: Biden for the US, Kirby for the Pentagon.

Another actor makes another event; a named person is only confirmed by that person.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache

from service.engine.analysis import Analysis, Clause, EntityMention
from service.engine.analysis.entities import PLACE_KINDS
from service.engine.analysis.lexicon import Lexicon, lexicon
from service.engine.names import is_name, same_name
from service.engine.stance.records import (
    SPATIAL_ROLES,
    WHO_ROLES,
    Comparison,
    Finding,
    best_clause,
    places_in,
    spans_of,
    who,
)
from service.engine.stance.slots import related_places


@cache
def party(entity: str) -> frozenset[str]:
    """An entity and everyone it acts for: Kirby -> Pentagon -> US."""
    lex = lexicon()
    seen = {entity}
    x = entity
    while x in lex.affiliation and lex.affiliation[x] not in seen:
        x = lex.affiliation[x]
        seen.add(x)
    # a city or state acts for its country, but two countries are not one party
    # because both lie in Europe
    for member in list(seen):
        if member.startswith("place:"):
            seen |= {p for p in lex.parents.get(member, ()) if p.startswith("country:")}
    return frozenset(seen)


def same_party(a: str, b: str, lex: Lexicon) -> bool:
    """Actors that can stand for each other: Biden and the US, Kirby and the Pentagon."""
    return a == b or not party(a).isdisjoint(party(b))


@lru_cache(maxsize=100_000)
def named_among(stated: tuple[str, ...], claimed: str) -> bool:
    """Does any of ``stated`` stand for ``claimed``? Cached: a passage's names recur from claim to claim."""
    return any(stands_for(other, claimed) for other in stated)


@lru_cache(maxsize=100_000)
def stands_for(stated: str, claimed: str) -> bool:
    """Can the passage's ``stated`` entity confirm a mention of ``claimed``?

    Biden stands for the US and the US for the Pentagon when it comes to who
    acted, and a city lies in its country; but a named person is only
    confirmed by that person: NATO does not confirm "Stoltenberg".
    """
    lex = lexicon()
    if stated == claimed or related_places(claimed, stated, lex) in {"same", "narrower"}:
        return True
    if is_name(claimed) and is_name(stated):
        return same_name(stated, claimed)  # "Long" and "Shane Long", "Judge Barrett" and "Amy Coney Barrett"
    if claimed.startswith("person:"):
        return False
    return same_party(stated, claimed, lex)


def check_actor(c: Comparison) -> None:
    """Who acts. Another actor makes another event.

    The claimed actor acting anywhere in the passage is a match. Otherwise a
    different actor differs: in the clause that carries the claim, or, when
    the passage names none, a stated origin ("vanuit de VS") or an actor in the
    sentences around it. Not when the claimed actor is there in another guise
    ("zei NAVO-chef Jens Stoltenberg"), nor when the rival is a participant
    the claim itself names ("Russia demands that NATO troops leave" is not
    contradicted by "NAVO-troepen").
    """
    claimed, names_c = c.side.actors, c.side.actor_names
    if not claimed:
        return

    def compatible(mentions: Iterable[EntityMention]) -> list[EntityMention]:
        return [m for m in mentions if any(same_party(mc.id, m.id, c.lex) for mc in claimed)]

    acting = compatible(who(c.passage))
    if acting:
        names = ", ".join(dict.fromkeys(m.text for m in acting))
        c.add(Finding("actor", "match", names_c, names, f"actor matches: {names}", spans_of(acting)))
        return
    if compatible(c.passage.entities):
        return
    clause = c.passage.clauses.index(best_clause(c)) if c.passage.clauses else 0
    mentioned = {m.id for m in c.claim.entities}
    rivals = [m for m in who(c.passage) if m.clause == clause and m.id not in mentioned]
    if not who(c.passage):
        # no actor in the sentence: the one it states the troops come from ("vanuit de VS")
        rivals = [m for m in places_in(c.passage, {"origin"}) if not m.derived and m.kind == "country"]
    rivals = [m for m in rivals if m.id not in mentioned]
    if rivals:
        names_p = ", ".join(dict.fromkeys(m.text for m in rivals))
        spans = spans_of(m for m in rivals if any(m is x for x in c.passage.entities))
        c.add(Finding("actor", "differs", names_c, names_p, f"another actor: claim {names_c}, source {names_p}", spans))


def actor_unconfirmed(c: Comparison) -> Finding | None:
    """The claim says who acted; neither the passage nor the sentences around it name them."""
    claimed = [m for m in who(c.claim) if m.kind in {"country", "org", "person"} and m.via != "compound"]
    if not claimed:
        return None
    stated = [m.id for m in c.passage.entities] + [m.id for a in c.context for m in a.entities]
    if any(stands_for(sid, mc.id) for mc in claimed for sid in stated):
        return None
    names = ", ".join(dict.fromkeys(m.text for m in claimed))
    return Finding("actor", "missing", names, None, f"source does not say {names} did it")


def role_clashes(c: Comparison) -> list[Finding]:
    """A name the claim gives one role and the passage another: actor here, destination there."""
    clashes = []
    for mc in c.claim.entities:
        # demonyms are affiliations, not places: "American troops" fit "troepen in de VS"
        if mc.kind not in PLACE_KINDS or mc.role not in SPATIAL_ROLES | WHO_ROLES or mc.via == "demonym":
            continue
        same = [mp for mp in c.passage.entities if mp.id == mc.id and mp.via != "demonym"]
        if not same:
            continue
        claim_group = "who" if mc.role in WHO_ROLES else ("from" if mc.role == "origin" else "to")
        groups = {
            "who" if mp.role in WHO_ROLES else ("from" if mp.role == "origin" else "to")
            for mp in same
            if mp.role in SPATIAL_ROLES | WHO_ROLES
        }
        # who acts or where it starts, against where it goes: "Poland is sending" / "naar Polen".
        # Acting from one's own country ("fled Ukraine" / "uit Oekraïne") is no clash.
        if groups and claim_group not in groups and ("to" in groups) != (claim_group == "to"):
            clashes.append(
                Finding(
                    "role",
                    "differs",
                    mc.text,
                    same[0].text,
                    f"{mc.text} plays another part in the source",
                    spans_of(same[:1]),
                )
            )
    return clashes


def actor_absent_from_source(c: Comparison, source_actors: frozenset[str] | None) -> str | None:
    """The claim says who acted and the whole source never has them act: it cannot be
    contradicting a claim about their troops ("France is sending 500 troops", "Polish soldiers")."""
    if source_actors is None:
        return None
    claimed = [m for m in who(c.claim) if m.kind in {"country", "org", "person"}]
    if not claimed or any(same_party(m.id, a, c.lex) for m in claimed for a in source_actors):
        return None
    names = ", ".join(dict.fromkeys(m.text for m in claimed))
    return f"the source never has {names} acting: not about their actions"


def names_anchor(c: Comparison) -> bool:
    """Two or more of the claim's names, all in the passage itself: "Russia annexed Crimea in 2016"
    and "In 2014 veroverde Rusland de Krim" are about one event."""
    claimed = {m.id for m in c.claim.entities if m.kind != "name"}
    if len(claimed) < 2:
        return False
    stated = set(c.passage.entity_ids)
    # identity, not containment: "Europe" is not tied to an event by any European country;
    # the same test as same_party against each stated name, with their parties pooled
    parties = frozenset().union(*map(party, stated))
    return all(e in stated or not party(e).isdisjoint(parties) for e in claimed)


def speaker_clause(c: Comparison, speaker: str) -> Clause | None:
    for clause in c.passage.clauses:
        if clause.speaker is not None and same_party(speaker, clause.speaker, c.lex):
            return clause
    return None


def acting_parties(analyses: Iterable[Analysis]) -> frozenset[str]:
    """Everyone a source has acting: subjects, agents, stated origins, and whose troops (demonyms)."""
    return frozenset(
        m.id
        for a in analyses
        for m in a.entities
        if m.role in WHO_ROLES or m.via in {"demonym", "compound"} or (m.role == "origin" and not m.derived)
    )
