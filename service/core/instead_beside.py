"""The list's other notices beside what its `instead:<SKU>` notices name (instead.py): a
notice that says no product of a nutrient is suggested, or none suits, is not left standing
beside a notice that names one.

Review s37a (this session's review of products that make an excess being replaced):
- F4: "We suggest folic acid too only once what you take is within the safe upper limits
  again" (`advice_open:<nutrient>`) beside a notice naming a folic acid + D3 in place of the
  multivitamin that made the excess: who follows the notice is within the limits, and the
  folic acid is named.
- F5: "We have no vitamin B12 product suitable for this age" (`diet_child:<id>`, its
  `text_none`) beside a notice naming a B12 lozenge for a vegan girl of 14: the list judged
  "none" on the day above the limit, where no product passes guarantee 1.
- s37c F3: "every product we have with calcium would go above the safe upper limit"
  (`advice_unmet:<nutrient>`) beside a notice naming a calcium tablet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .instead import Instead
    from .ranking import Evaluation


# "we suggest it only once ...", "every product we have with it would go above the limit":
# of the day as it is, which the notice asks to change (review s37c F3: beside calcium named)
_WAITING = frozenset({"advice_open", "advice_unmet"})


def beside_named(
    ev: Evaluation, instead: tuple[Instead, ...], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`notices` without `advice_open:<nutrient>` or `advice_unmet:<nutrient>` of a nutrient a
    named product gives (the notice's own text says what it leaves short:
    `instead_short.with_short`), and with a `diet_child:<id>` of such a nutrient in its
    wording for "there is a product" (the named one: judged on the day without what it
    replaces, it suits the child)."""
    if not instead:
        return notices
    snapshot = ev.snapshot
    reference = snapshot.reference
    keys = reference.nutrients.keys
    per_day = snapshot.catalog.nutrients_per_day
    named = [i for one in instead for i in one.indices]
    given = {keys[c] for c in range(len(keys)) if (per_day[named, c] > 0).any()}
    texts = {
        f"diet_child:{n.id}": reference.text(n.text, locale)
        for n in ev.offer.config.child_diet_notices
        if n.nutrient in given
    }
    out = []
    for notice in notices:
        kind, _, key = notice["code"].partition(":")
        if kind in _WAITING and key in given:
            continue
        if notice["code"] in texts:
            notice = {**notice, "text": texts[notice["code"]]}
        out.append(notice)
    return out
