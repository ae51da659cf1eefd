"""The intake check's `not_indicated` warning (review s29a F8): a line, taken or in the basket,
that gives a nutrient the lists never offer the profile without a measured need (scoring.yaml
`lists.goal_indication`: iron for a man or a woman after the menopause, calcium under 18), as
the product page (`page_product_not_indicated`) and refills (why `not_indicated`) say it.

The decision is refills.why.not_indicated_columns (no advice of the nutrient for the profile: a
doctor's dose, `higher_dose_advised`, makes it indicated), the words rules/refills.yaml's
`why_not_indicated` (refills.render.why_texts)."""

from __future__ import annotations

from typing import Any

from .advice_texts import line_names
from .intake import LineAmounts
from .ranking import Evaluation
from .refills.settings import RefillConfig
from .refills.why import not_indicated_columns
from .refills.why_texts import why_texts

# the product page's words of the same decision, where rules/refills.yaml was never loaded good
# (the service then runs without refills; recommender.Recommender._first_load)
_PAGE_TEXT = "notice_page_product_not_indicated"


def not_indicated_warnings(
    ev: Evaluation, locale: str, refills: RefillConfig | None
) -> list[dict[str, Any]]:
    """One warning `not_indicated` naming every such nutrient that a line gives and, in
    `skus`, the lines that give one (SKU, else label); none where no line gives one. A warning,
    not a violation: the contract's violations are upper limits crossed."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    columns = not_indicated_columns(ev)
    lines = tuple(i for i, r in enumerate(ev.resolved) if any(r.amounts[c] > 0 for c in columns))
    if not lines:
        return []
    nutrients = [keys[c] for c in columns if any(ev.resolved[i].amounts[c] > 0 for i in lines)]
    names = reference.listed((reference.nutrients.name(n, locale) for n in nutrients), locale)
    if refills is not None:
        (why,) = why_texts(refills, reference, {"not_indicated": nutrients}, locale)
        text = why["text"]
    elif ev.snapshot.placements.has_text(_PAGE_TEXT):
        products = line_names(ev, lines, locale)
        text = ev.snapshot.placements.page_text(
            _PAGE_TEXT, locale, False, products, nutrients=names
        )
    else:  # neither file has the words (a data set without placements): the nutrients named
        text = names
    skus = list(dict.fromkeys(line_name(ev.resolved[i]) for i in lines))
    return [{"code": "not_indicated", "text": text, "skus": skus}]


def line_name(line: LineAmounts) -> str:
    """A line as the intake check's `skus` name it: its SKU, else its label, else its place."""
    return line.sku or line.line.label or line.path
