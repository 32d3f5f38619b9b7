"""The value slots: quantities, years, durations and places, claim against passage.

Each check adds one finding per value the claim fixes: it matches, is merely consistent
(a figure inside a range, a country inside a claimed region), differs, or is missing.
"""

from __future__ import annotations

from typing import Literal

from service.engine.analysis import Quantity
from service.engine.analysis.entities import PLACE_KINDS
from service.engine.analysis.lexicon import Lexicon
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
    overlap = claim.low <= passage.high and passage.low <= claim.high
    precise = {"exact", "approx"}
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


def _close(a: float, b: float, tolerance: float = 0.005) -> bool:
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b))


def concepts_comparable(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return not ({a, b} & {"percent", "money"})
    return a == b


def check_quantities(c: Comparison) -> None:
    passage_qs = [q for q in c.passage.quantities if not q.contrasted]
    for qc in (q for q in c.claim.quantities if not q.contrasted):
        comparable = [qp for qp in passage_qs if concepts_comparable(qc.concept, qp.concept)]
        what = f" {qc.noun}" if qc.noun else ""
        if not comparable:
            c.add(Finding("number", "missing", qc.text, None, f"source gives no number for{what or ' it'}"))
            continue
        relations = [(quantities_relate(qc, qp), qp) for qp in comparable]
        for wanted in ("match", "weak"):
            hit = next((qp for rel, qp in relations if rel == wanted), None)
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
                # the same thing counted, if any, else the first comparable figure
                qp = next((q for q in precise if q.concept == qc.concept and q.concept), precise[0])
                counted = qc.concept or qp.concept
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
            if qp.contrasted and concepts_comparable(qc.concept, qp.concept) and quantities_relate(qc, qp) == "match":
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


def check_years(c: Comparison) -> None:
    claim_years = [y for y in c.claim.years if not y.contrasted]
    passage_years = [y for y in c.passage.years if not y.contrasted]
    for yc in claim_years:
        same = next((y for y in passage_years if y.value == yc.value), None)
        if same is not None:
            c.add(Finding("year", "match", yc.text, same.text, f"year matches: {same.text}", ((same.start, same.end),)))
        elif passage_years:
            yp = passage_years[0]
            c.add(
                Finding(
                    "year",
                    "differs",
                    yc.text,
                    yp.text,
                    f"year differs: claim {yc.text} vs source {yp.text}",
                    ((yp.start, yp.end),),
                )
            )
        else:
            c.add(Finding("year", "missing", yc.text, None, f"source gives no year for {yc.text}"))


def check_durations(c: Comparison) -> None:
    passage_ds = [d for d in c.passage.durations if not d.contrasted]
    for dc in (d for d in c.claim.durations if not d.contrasted):
        same = next((d for d in passage_ds if abs(d.days - dc.days) <= 0.01 * dc.days), None)
        if same is not None:
            c.add(
                Finding(
                    "duration", "match", dc.text, same.text, f"duration matches: {same.text}", ((same.start, same.end),)
                )
            )
        elif passage_ds:
            dp = passage_ds[0]
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
