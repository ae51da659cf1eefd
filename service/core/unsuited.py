"""Lines of an intake check that fail a guarantee for the person whatever else is combined
(review s5 S7): the basket suggestion removes them before anything else, and adds nothing while
one stays.

A line fails when an interaction or contraindication excludes a nutrient it gives (guarantees 2
and 6), when its catalog product is unsuitable for the profile (diet, allergy, age, life stage:
guarantees 3-5), gives more per daily dose than the life stage or the market allows, or may not
be sold (guarantees 8 and 10), or when the life stage's maximum is crossed by the sum: then
basket lines go first, the largest giver first, until the sum is within it.
"""

from __future__ import annotations

from typing import Any

from .amounts import above
from .regimen_texts import TextWriter
from .safety import planning_pregnancy

# safety-mask codes that are not a failure of the line itself (the upper limit is the
# violation search's; a product out of stock or already taken is no reason to remove it; the
# life stage's maximum is computed on the day's totals, basket included (safety.life_stage_mask):
# a line fails it on its own dose only, and the sum is decided largest first below, review s6 T3)
_NOT_THE_LINE = frozenset({"upper_limit", "out_of_stock", "already_taken", "life_stage_maximum"})
# mask code -> the reason word of the suggestion's text (regimen_texts.yaml `unsuited_<word>`,
# also `interaction` and `law`: market maxima, not sellable)
_REASON = {
    "diet": "diet",
    "allergy": "allergy",
    "age": "age",
    "life_stage": "life_stage",
    "life_stage_maximum": "life_stage_maximum",
}


def life_stage_maxima(ev: Any) -> dict[str, float]:
    """product_maxima.yaml `life_stages` for the profile: a woman planning a pregnancy is held
    to the pregnancy maxima, as she is to the catalog's pregnancy suitability
    (safety.planning_pregnancy; review s8 Q4), like the list's warnings (advice.Offer.failing)."""
    life_stage = "pregnant" if planning_pregnancy(ev.profile) else ev.profile.life_stage
    return dict(ev.snapshot.reference.market_maxima.life_stages.get(life_stage, {}))


def unsuited_lines(ev: Any) -> dict[int, list[str]]:
    """Indices of `ev.resolved` that fail a guarantee, each with its reason words."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    out: dict[int, list[str]] = {}
    maxima = life_stage_maxima(ev)

    def fails(i: int, why: str) -> None:
        reasons = out.setdefault(i, [])
        if why not in reasons:
            reasons.append(why)

    for i, line in enumerate(ev.resolved):
        for interaction in ev.safety.triggered:
            if any(line.amounts[keys.index(n)] > t for n, t in interaction.exclude.items()):
                fails(i, "interaction")
        if line.sku is None:
            continue
        index = catalog.index[line.sku]
        for code, mask in ev.safety.excluded.items():
            if code in _NOT_THE_LINE or code.startswith("interaction:") or not mask[index]:
                continue
            fails(i, _REASON.get(code, "law"))  # market maxima, not sellable
        if line.sku in catalog.unauthorised_forms:  # review s7 P9: no dose of it is allowed
            out[i] = [why for why in out.get(i, []) if why != "law"] + ["form"]
    for i, line in enumerate(ev.resolved):  # a daily dose above the maximum on its own
        if any(above(float(line.amounts[keys.index(k)]), m) for k, m in maxima.items()):
            fails(i, "life_stage_maximum")
    for key, maximum in maxima.items():
        column = keys.index(key)
        giving = [i for i, r in enumerate(ev.resolved) if i not in out and r.amounts[column] > 0]
        total = sum(float(ev.resolved[i].amounts[column]) for i in giving)
        # basket lines before what is taken, the largest first
        for i in sorted(
            giving,
            key=lambda i: (
                not ev.resolved[i].path.startswith("basket."),
                -ev.resolved[i].amounts[column],
                i,
            ),
        ):
            if not above(total, maximum):
                break
            fails(i, "life_stage_maximum")
            total -= float(ev.resolved[i].amounts[column])
    return out


def removal_text(
    ev: Any, unsuited: dict[int, list[str]], lines: list[int], write: TextWriter
) -> str:
    """ "Remove from your basket: <name> (<reasons>), ..." for those lines."""
    catalog = ev.snapshot.catalog
    parts = []
    for i in lines:
        line = ev.resolved[i]
        name = (
            catalog.products[catalog.index[line.sku]].name[write.locale] if line.sku else line.name
        )
        forms = form_names(ev, line.sku, write) if line.sku else ""
        reasons = ", ".join(write(f"unsuited_{why}", forms=forms) for why in unsuited[i])
        parts.append(write("unsuited_line", name=name, reasons=reasons))
    return write("suggestion_remove_unsuited", lines="; ".join(parts))


def form_names(ev: Any, sku: str, write: TextWriter) -> str:
    """The forms of a product that the EU does not authorise for food supplements, in words
    (review s7 P9: "vitamin K2 as menaquinone-4", not "vitamin_k2 (mk4_synthetic)"):
    regimen_texts.yaml `form_<vitamin>_<form>`, else `form_unnamed` with the nutrient's name
    (a form authorised_forms.yaml does not list). Empty for a product without one."""
    nutrients = ev.snapshot.reference.nutrients
    names = []
    for vitamin, form in ev.snapshot.catalog.unauthorised_forms.get(sku, ()):
        key = f"form_{vitamin}_{form}"
        if key in write.texts:
            names.append(write(key))
            continue
        nutrient = next((k for k in nutrients.keys if k.rsplit("_", 1)[0] == vitamin), None)
        name = nutrients.name(nutrient, write.locale) if nutrient else vitamin.replace("_", " ")
        names.append(write("form_unnamed", nutrient=name))
    return ", ".join(names)
