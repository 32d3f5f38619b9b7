"""The value slots: quantities, years, durations and places, claim against passage.

Each check adds one finding per value the claim fixes: it matches, is merely consistent
(a figure inside a range, a country inside a claimed region), differs, or is missing.
"""

from __future__ import annotations

import math
from typing import Literal

from service.engine.analysis import Clause, Duration, Quantity, Token, Year
from service.engine.analysis.entities import PLACE_KINDS, dictionary_word
from service.engine.analysis.lexicon import Lexicon, fold
from service.engine.analysis.numbers import APPROX_TOLERANCE, EXACT_TOLERANCE, FATES
from service.engine.stance.records import (
    PLACE_SLOTS,
    SPATIAL_ROLES,
    Comparison,
    Finding,
    Relation,
    places_in,
    spans_of,
)
from service.engine.stance.thresholds import SAME_SCALE_RATIO


def related_places(a: str, b: str, lex: Lexicon) -> Literal["same", "narrower", "broader", "unrelated"]:
    """How place ``b`` relates to place ``a``: the same, inside it, containing it, or neither."""
    if a == b:
        return "same"
    if a in lex.parents.get(b, frozenset()):
        return "narrower"  # b lies in a: "to Eastern Europe" is confirmed by "naar Roemenië"
    if b in lex.parents.get(a, frozenset()):
        return "broader"
    return "unrelated"


def quantities_relate(claim: Quantity, passage: Quantity) -> Literal["match", "weak", "differs", "vague"]:
    """How the passage's figure relates to the claim's: bounds are intervals, not equalities."""
    precise = {"exact", "approx"}
    if claim.kind in BOUNDS and passage.kind in precise:
        return _within_bound(claim, passage)
    if claim.kind in BOUNDS and passage.kind in BOUNDS:
        return _bounds_relate(claim, passage)
    overlap = claim.low <= passage.high and passage.low <= claim.high
    if overlap:
        if passage.kind in precise and claim.low <= passage.value <= claim.high:
            return "match"  # the source's figure lies where the claim puts it ("at least eleven" / "elf")
        if passage.kind in {"min", "max"} and claim.kind in precise and _close(claim.value, passage.value, 0.15):
            return "match"  # "a 60-kilometre convoy" / "ruim 60 kilometer": the claim rounds the reported bound
        if claim.kind in precise and passage.kind in precise:
            return "match"
        same_bounds = claim.kind == passage.kind and _close(claim.low, passage.low) and _close(claim.high, passage.high)
        return "match" if same_bounds else "weak"  # "3,000" within "1,000 to 5,000" is consistent, not confirmed
    if claim.kind == "vague" or passage.kind == "vague":
        return "vague"  # "thousands" never contradicts a figure
    return "differs"


BOUNDS = frozenset({"min", "max"})


def _within_bound(claim: Quantity, passage: Quantity) -> Literal["match", "weak", "differs"]:
    """A figure against a bound: "80 caps" is "more than 75 caps", "79%" is not "over 79%", and
    "$187.7 million" is not "less than $90 million". A rough figure straddling the bound is weak."""
    low, high = (passage.value, passage.value) if passage.kind == "exact" else (passage.low, passage.high)
    low_holds, high_holds = _holds(claim, low), _holds(claim, high)
    if low_holds and high_holds:
        return "match"
    if not low_holds and not high_holds:
        return "differs"
    return "weak"


def _holds(bound: Quantity, value: float) -> bool:
    """Does ``value`` lie within the claim's bound? A strict bound excludes its own figure."""
    if bound.kind == "min":
        return value > bound.value if bound.strict else value >= bound.value * (1 - EXACT_TOLERANCE)
    return value < bound.value if bound.strict else value <= bound.value * (1 + EXACT_TOLERANCE)


def _bounds_relate(claim: Quantity, passage: Quantity) -> Literal["match", "weak", "differs"]:
    """A bound against a bound. A source's strict bound reports about its figure: "over 2.3 million
    copies" does not make "more than 3 million" true (read as 2.3 million up to APPROX_TOLERANCE
    above it); opposite bounds that leave no room between them differ."""
    bound, figure = claim.value, passage.value
    if claim.kind != passage.kind:
        # "less than 122.5 million" / "over 123 million"; "under 114,000" / "more than 114,000"
        apart = figure >= bound if claim.kind == "max" else figure <= bound
        touching = figure == bound and not (claim.strict or passage.strict)
        return "differs" if apart and not touching else "weak"
    if claim.kind == "min":
        if figure >= bound:
            return "match"  # "over 2.3 million" confirms "more than 2 million"
        reach = figure * (1 + APPROX_TOLERANCE) if passage.strict else float("inf")
        return "differs" if reach < bound else "weak"
    if figure <= bound:
        return "match"
    reach = figure * (1 - APPROX_TOLERANCE) if passage.strict else 0.0
    return "differs" if reach > bound else "weak"


def _close(a: float, b: float, tolerance: float = 0.005) -> bool:
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b))


# What these count is stated by the number itself: never compared with a figure of unknown kind.
SELF_STATED = frozenset({"percent", "money", "ordinal", "multiplier"})


def concepts_comparable(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return not ({a, b} & SELF_STATED)
    # "4,300 people" says nothing of their fate: it may be the "4,300 killed"; the killed are not the injured
    return a == b or (a == "people" and b in FATES) or (b == "people" and a in FATES)


def comparable(claim: Quantity, passage: Quantity) -> bool:
    """Do the two figures count the same kind of thing? A rank only with a rank, a factor only with
    a factor; among those, what they rank may be worded in another language ("31e lid", "31st member")."""
    return concepts_comparable(claim.concept, passage.concept)


def check_quantities(c: Comparison) -> None:
    passage_qs = [q for q in c.passage.quantities if not q.contrasted]
    for qc in (q for q in c.claim.quantities if not q.contrasted):
        comparable_qs = [qp for qp in passage_qs if comparable(qc, qp)]
        what = f" {qc.noun}" if qc.noun else ""
        if not comparable_qs:
            c.add(Finding("number", "missing", qc.text, None, f"source gives no number for{what or ' it'}"))
            continue
        relations = [(quantities_relate(qc, qp), qp) for qp in comparable_qs]
        for wanted in ("match", "weak"):
            hit = _closest([qp for rel, qp in relations if rel == wanted], qc)
            if hit is not None:
                relation: Relation = "match" if wanted == "match" else "compatible"
                word = "number matches" if wanted == "match" else "number is consistent"
                # a figure inside "up to 10,000" confirms it but does not tie two events together
                exact = qc.kind in {"exact", "approx"} or (qc.kind == hit.kind and qc.kind != "vague")
                c.add(
                    Finding(
                        "number",
                        relation,
                        qc.text,
                        hit.text,
                        f"{word}: claim {qc.text}, source {hit.text}",
                        spans_of([hit]),
                        spans_of([qc]),
                        exact=exact,
                    )
                )
                break
        else:
            precise = [qp for rel, qp in relations if rel == "differs"]
            if precise and not any(_same_scale(qc, qp) for qp in precise) and not _value_anchor_possible(c):
                # "Twee militairen" on a photo is another group, not a misreported 8,500
                c.add(
                    Finding(
                        "number",
                        "compatible",
                        qc.text,
                        precise[0].text,
                        f"source counts another group: {precise[0].text}",
                    )
                )
            elif precise:
                # the same thing counted, if any ("two gold records" for "less than two gold records",
                # not "7 million units"), else the first comparable figure
                qp = next(
                    (q for q in precise if q.concept == qc.concept and q.concept),
                    next((q for q in precise if _same_noun(qc, q)), precise[0]),
                )
                counted = qc.concept or qp.concept
                c.same_measure = c.same_measure or same_measure(qc, qp)
                c.add(
                    Finding(
                        "number",
                        "differs",
                        qc.text,
                        qp.text,
                        f"number differs: claim {qc.text} vs source {qp.text}" + (f" ({counted})" if counted else ""),
                        spans_of([qp]),
                        spans_of([qc]),
                    )
                )
            else:
                c.add(
                    Finding(
                        "number",
                        "compatible",
                        qc.text,
                        relations[0][1].text,
                        f"source gives only a rough figure: {relations[0][1].text}",
                    )
                )


def _closest(candidates: list[Quantity], claim: Quantity) -> Quantity | None:
    """The figure a claim's figure is paired with among those that agree with it: the one counting
    the same thing, then the nearest in value. "At least 2,921 deaths" is held by "2,921 people
    were killed" and by "more than 15,000 injured" alike; the first is what it speaks of."""
    best: Quantity | None = None
    best_key = (2, math.inf)
    for q in candidates:  # a loop, not min() with a key closure (see records.best_clause)
        same = 0 if claim.concept and q.concept == claim.concept else 1
        key = (same, abs(math.log((abs(q.value) + 1) / (abs(claim.value) + 1))))
        if key < best_key:
            best, best_key = q, key
    return best


def same_measure(claim: Quantity, passage: Quantity) -> bool:
    """Do two differing figures measure the same thing: the same concept, or the same counted noun
    ("caps" and "caps")? With the event's words in the passage, that ties them to one event."""
    if claim.concept is not None and claim.concept == passage.concept:
        return True
    return _same_noun(claim, passage)


def _same_noun(claim: Quantity, passage: Quantity) -> bool:
    return bool(claim.noun and passage.noun and fold(claim.noun) == fold(passage.noun))


def _same_scale(claim: Quantity, passage: Quantity) -> bool:
    """Figures within a factor of 20: a misreport of the same number, not a different group."""
    low, high = sorted((abs(claim.value), abs(passage.value)))
    return low > 0 and high / low <= SAME_SCALE_RATIO


def _value_anchor_possible(c: Comparison) -> bool:
    """Could a place or a year tie the two figures to one event? Both texts must name one."""
    places = any(m.role in SPATIAL_ROLES and m.kind in PLACE_KINDS for m in c.claim.entities) and any(
        m.role in SPATIAL_ROLES and m.kind in PLACE_KINDS for m in c.passage.entities
    )
    return places or bool(c.claim.years and c.passage.years)


def check_set_aside(c: Comparison) -> None:
    """The claim's own value is the one the passage sets aside: "na vijf dagen, in plaats van na tien dagen"."""
    pairs: list[tuple[str, str, str, tuple[int, int]]] = []
    for qc in c.claim.quantities:
        for qp in c.passage.quantities:
            if qp.contrasted and comparable(qc, qp) and quantities_relate(qc, qp) == "match":
                pairs.append(("number", qc.text, qp.text, (qp.start, qp.end)))
    for dc in c.claim.durations:
        for dp in c.passage.durations:
            if dp.contrasted and abs(dp.days - dc.days) <= 0.01 * dc.days:
                pairs.append(("duration", dc.text, dp.text, (dp.start, dp.end)))
    for yc in c.claim.years:
        for yp in c.passage.years:
            if yp.contrasted and yp.value == yc.value:
                pairs.append(("year", yc.text, yp.text, (yp.start, yp.end)))
    for slot, claimed, stated, span in pairs:
        c.add(Finding(slot, "match", claimed, stated, f"source sets the claim's {slot} aside: {stated}", (span,)))
        c.set_aside = True


def dates_relate(claim: Year, passage: Year) -> Literal["match", "compatible", "differs"]:
    """A date against a date, at the finest precision both give (year, month, day); a bound
    ("before 1998", "na 2000") excludes its own date. A passage's bound the claim's date
    satisfies is only compatible."""
    if claim.span > 1 or passage.span > 1:
        return _decades_relate(claim, passage)
    if not claim.value or not passage.value:
        # a date without its year ("April 4"): its month and day, when the other gives them
        if not (claim.month and passage.month and claim.day and passage.day):
            return "compatible"
        c_key, p_key = [claim.month, claim.day], [passage.month, passage.day]
        complete = not claim.value
    else:
        c_key, p_key = [claim.value], [passage.value]
        if claim.month and passage.month:
            c_key.append(claim.month)
            p_key.append(passage.month)
            if claim.day and passage.day:
                c_key.append(claim.day)
                p_key.append(passage.day)
        # the claim's whole date was compared: its bound can exclude the passage's date
        complete = len(c_key) == 1 + bool(claim.month) + bool(claim.day)
    if claim.bound:
        if p_key == c_key:
            return "differs" if complete else "compatible"
        earlier = p_key < c_key
        return "match" if earlier == (claim.bound == "before") else "differs"
    if passage.bound:
        if p_key == c_key:
            return "compatible"
        earlier = c_key < p_key
        return "compatible" if earlier == (passage.bound == "before") else "differs"
    return "match" if p_key == c_key else "differs"


def _decades_relate(claim: Year, passage: Year) -> Literal["match", "compatible", "differs"]:
    """A decade is the years it covers: "the early 1980s" holds 1982; the 1980s only allow a claim's 1982."""
    if not claim.value or not passage.value:
        return "compatible"
    c_first, c_last = claim.value, claim.value + claim.span - 1
    p_first, p_last = passage.value, passage.value + passage.span - 1
    if p_last < c_first or c_last < p_first:
        return "differs"
    if c_first <= p_first and p_last <= c_last and (claim.bound, passage.bound) == ("", ""):
        return "match"
    return "compatible"


def check_years(c: Comparison) -> None:
    claim_years = [y for y in c.claim.years if not y.contrasted]
    passage_years = [y for y in c.passage.years if not y.contrasted]
    for yc in claim_years:
        relations = [(dates_relate(yc, yp), yp) for yp in passage_years]
        same = next((yp for rel, yp in relations if rel == "match"), None)
        near = next((yp for rel, yp in relations if rel == "compatible"), None)
        word = "date" if yc.month else "year"
        if same is not None:
            c.add(
                Finding("year", "match", yc.text, same.text, f"{word} matches: {same.text}", ((same.start, same.end),))
            )
        elif near is not None:
            c.add(
                Finding(
                    "year",
                    "compatible",
                    yc.text,
                    near.text,
                    f"{word} is consistent: claim {yc.text}, source {near.text}",
                )
            )
        elif passage_years:
            c.same_measure = True
            # the same year if any (a differing month or day), else the first
            yp = next((y for y in passage_years if y.value == yc.value), passage_years[0])
            c.add(
                Finding(
                    "year",
                    "differs",
                    yc.text,
                    yp.text,
                    f"{word} differs: claim {yc.text} vs source {yp.text}",
                    ((yp.start, yp.end),),
                )
            )
        else:
            c.add(Finding("year", "missing", yc.text, None, f"source gives no year for {yc.text}"))


def check_weekdays(c: Comparison) -> None:
    """A day of the week is a fact of the claim: "reported on Tuesday" is contradicted by a report
    "on Monday" of the same event, and confirmed by one on Tuesday ("dinsdag"). A passage naming
    no weekday says nothing of it (a date may stand in its place)."""
    numbers = c.lex.weekday_numbers
    claimed = {numbers[t.fold]: t.text for t in _weekdays(c.claim.tokens, numbers)}
    stated = {numbers[t.fold]: t for t in _weekdays(c.passage.tokens, numbers)}
    if not claimed or not stated:
        return
    for number, text in claimed.items():
        same = stated.get(number)
        if same is not None:
            c.add(
                Finding("weekday", "match", text, same.text, f"weekday matches: {same.text}", ((same.start, same.end),))
            )
        else:
            other = next(iter(stated.values()))
            reason = f"weekday differs: claim {text} vs source {other.text}"
            c.add(Finding("weekday", "differs", text, other.text, reason, ((other.start, other.end),)))


def _weekdays(tokens: tuple[Token, ...], numbers: dict[str, int]) -> list[Token]:
    """The weekdays that date the sentence: not one that names another thing ("Monday's quake")."""
    return [
        t
        for i, t in enumerate(tokens)
        if t.fold in numbers and not (i + 1 < len(tokens) and tokens[i + 1].text in {"'s", "’s", "'", "’"})
    ]


def check_durations(c: Comparison) -> None:
    passage_ds = [d for d in c.passage.durations if not d.contrasted]
    for dc in (d for d in c.claim.durations if not d.contrasted):
        relations = [(_durations_relate(dc, d), d) for d in passage_ds]
        same = next((d for rel, d in relations if rel == "match"), None)
        held = next((d for rel, d in relations if rel == "compatible"), None)
        if same is not None:
            c.add(
                Finding(
                    "duration", "match", dc.text, same.text, f"duration matches: {same.text}", ((same.start, same.end),)
                )
            )
        elif held is not None:
            c.add(
                Finding(
                    "duration",
                    "compatible",
                    dc.text,
                    held.text,
                    f"duration is consistent: claim {dc.text}, source {held.text}",
                    ((held.start, held.end),),
                )
            )
        elif passage_ds:
            # the nearest in length: "below 17 years" is about the 16-year-old, not the 32-year-old
            dp = min(passage_ds, key=lambda d: abs(math.log((d.days + 1) / (dc.days + 1))))
            c.add(
                Finding(
                    "duration",
                    "differs",
                    dc.text,
                    dp.text,
                    f"duration differs: claim {dc.text} vs source {dp.text}",
                    ((dp.start, dp.end),),
                )
            )
        else:
            c.add(Finding("duration", "missing", dc.text, None, f"source gives no duration for {dc.text}"))


def _durations_relate(claim: Duration, passage: Duration) -> Relation:
    """Within 1% of each other, or the passage's length within the claim's bound ("below 17 years"
    holds a 16-year-old): a match. Bounds that cannot meet ("under a week" / "more than a month"),
    or two plain lengths apart: they differ. A bound holding the claim's length says less: compatible."""
    if abs(passage.days - claim.days) <= 0.01 * claim.days:
        return "match"
    claim_low, claim_high = _allowed(claim)
    passage_low, passage_high = _allowed(passage)
    if claim_low <= passage.days <= claim_high and passage_low == passage_high == passage.days:
        return "match"
    if passage_high < claim_low or claim_high < passage_low:
        return "differs"
    return "compatible"


def _allowed(duration: Duration) -> tuple[float, float]:
    low = duration.low if duration.low is not None else duration.days
    high = duration.high if duration.high is not None else duration.days
    return low, high


def check_places(c: Comparison) -> None:
    """Where it goes (destination, or location when nothing moves) and where it comes from."""
    for slot, roles in PLACE_SLOTS:
        claimed, names_c = c.side.places[slot]
        if not claimed:
            continue
        stated = places_in(c.passage, roles)
        refers_back = any(role in roles for role, _, _ in c.passage.place_refs)
        if not stated and refers_back:
            # "leveren aan het land" after "aan Oekraïne": the place named before is the one meant
            around = [m for a in c.context for m in a.entities if m.kind in PLACE_KINDS and m.via != "demonym"]
            stated = [m for m in around if m.role in roles] or [m for m in around if m.role in SPATIAL_ROLES]
        if not stated:
            # the place may be named in the sentence around it ("naar NAVO-lidstaten in Oost-Europa")
            around = [m for a in c.context for m in places_in(a, roles)]
            if around and all(
                any(related_places(mc.id, mp.id, c.lex) in {"same", "narrower"} for mp in around) for mc in claimed
            ):
                # named nearby, not in the passage: consistent, but the passage itself does not confirm it
                c.add(
                    Finding(
                        slot,
                        "compatible",
                        names_c,
                        ", ".join(m.text for m in around),
                        f"{slot} named only in a nearby sentence: {names_c}",
                    )
                )
            else:
                c.add(Finding(slot, "missing", names_c, None, f"source does not say the {slot}"))
            continue
        names_p = ", ".join(dict.fromkeys(m.text for m in stated))
        relations = [[related_places(mc.id, mp.id, c.lex) for mp in stated] for mc in claimed]
        confirmed = [any(r in {"same", "narrower"} for r in row) for row in relations]
        touching = [any(r != "unrelated" for r in row) for row in relations]
        spans = spans_of(stated)
        if all(confirmed):
            exact = all(any(r == "same" for r in row) for row in relations)
            reason = f"{slot} matches: {names_p}" if exact else f"{slot} lies within the claimed {names_c}: {names_p}"
            c.add(Finding(slot, "match", names_c, names_p, reason, spans, spans_of(claimed), exact=exact))
        elif any(touching):
            c.add(
                Finding(
                    slot,
                    "compatible",
                    names_c,
                    names_p,
                    f"{slot} only partly stated: claim {names_c}, source {names_p}",
                    spans,
                )
            )
        else:
            c.add(
                Finding(
                    slot,
                    "differs",
                    names_c,
                    names_p,
                    f"{slot} differs: claim {names_c}, source {names_p}",
                    spans,
                    spans_of(claimed),
                )
            )


# Prefixes that make a word's opposite, per language, with the shortest stem each takes: shorter
# stems make false pairs ("form" / "inform", "cover" / "discover", "close" / "disclose"), longer
# ones are opposites ("legal" / "illegal", "direct" / "indirect", "wettig" / "onwettig").
NEGATING_PREFIXES = {
    "en": (("un", 5), ("non", 5), ("il", 5), ("ir", 5), ("in", 6), ("im", 6), ("dis", 6)),
    "nl": (("on", 5), ("niet", 5)),
}


def opposed_words(c: Comparison, clause: Clause) -> tuple[str, str] | None:
    """A claim word whose opposite the passage's clause says instead, as (claim word, source word):
    "received very favorable reviews" / "opened to highly negative reviews", "imports increased" /
    "imports declined", "legal" / "illegal". Listed pairs come from ``opposites`` in the lexicon,
    prefixed ones from the words themselves. Not when the passage also says the claim's side."""
    opposites = c.lex.opposites
    claim = {key: t.text for t in c.claim.content for key in (t.fold, t.lemma)}
    words = [t for t in c.passage.content if clause.start <= t.start < clause.end]
    said = {key for t in words for key in (t.fold, t.lemma)}
    claim_sides = {opposites[k] for k in claim if k in opposites}
    said_sides = {opposites[k] for k in said if k in opposites}
    for t in words:
        for key in (t.fold, t.lemma):
            side = opposites.get(key)
            if side is None:
                continue
            other = (side[0], 1 - side[1])
            if other in claim_sides and other not in said_sides and side not in claim_sides:
                return next(text for k, text in claim.items() if opposites.get(k) == other), t.text
    prefixes = NEGATING_PREFIXES.get(c.passage.language, ())
    for t in words:
        for stem, prefixed, shown in _prefixed_pairs(t.lemma, claim, prefixes):
            if stem not in said and prefixed not in said - {t.lemma}:
                return shown, t.text
    return None


def _prefixed_pairs(
    word: str, claim: dict[str, str], prefixes: tuple[tuple[str, int], ...]
) -> list[tuple[str, str, str]]:
    """(the claim's word, its prefixed opposite, as the claim writes it) for a passage word that
    is the claim's word with a negating prefix, or the claim's word without one."""
    found = []
    for prefix, shortest in prefixes:
        stem = word[len(prefix) :].lstrip("-")
        opposite = word.startswith(prefix) and len(stem) >= shortest and stem in claim
        if opposite and dictionary_word(stem) and dictionary_word(word):
            found.append((stem, word, claim[stem]))
        prefixed = prefix + word
        if len(word) >= shortest and prefixed in claim and dictionary_word(prefixed):
            found.append((prefixed, word, claim[prefixed]))
    return found
