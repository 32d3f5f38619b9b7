"""The verdict engine: what a sentence asserts (``analysis``), a passage's stance towards a claim
(``stance``), a source's stance and the verdict (``verdict``), word coverage (``words``) and the
optional NLI model (``nli``). ``service.verify`` feeds it passages from the store.

Importing the engine first decides whether its mypyc build may be used (``service.compiled``):
a stale build must never load, and this is the one moment before any engine module is imported.
Nothing else in ``service`` pays for that check.
"""

from service.compiled import choose

choose()
