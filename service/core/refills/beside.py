"""The intake warnings of /refills beside what its answer names (refills.render): "we suggest
no more <nutrient>" is not said beside a product the same answer names that gives it, without
saying what that product is (review s29a F3, s29b F4)."""

from __future__ import annotations

from typing import Any

from ..advice_texts import warning_beside_instead
from ..ranking import Evaluation
from .settings import RefillConfig


def beside_reorder(
    ev: Evaluation,
    notices: list[dict[str, str]],
    named: list[tuple[int, int]],
    reordered: list[Any],
    config: RefillConfig,
    locale: str,
) -> list[dict[str, str]]:
    """`notices` (of what is taken now, `ev`) beside the lower doses `named` in place of a
    product (pairs of the product replaced and its replacement: an entry's `instead`, a
    reorder's replacement) and the reorder's items (`reordered`, decisions that propose one)."""
    notices, used = _beside_instead(ev, notices, named, locale)
    return _beside_more(ev, notices, reordered, used, config, locale)


def _beside_instead(
    ev: Evaluation,
    notices: list[dict[str, str]],
    named: list[tuple[int, int]],
    locale: str,
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """`notices` with each `intake_warning:<nutrient>` that names a product replaced by one
    that gives the nutrient (an entry's `instead`, a reorder's replacement: `named`, pairs of
    the product replaced and its replacement) worded as the list words it beside its notice
    `instead:<SKU>` (advice_texts.warning_beside_instead: "below we name a lower dose to take
    in place of ..., and beside it we suggest no more vitamin D"; review s29a F3: /refills
    kept "we suggest no more vitamin D" beside its own `instead` of a 10 µg D3; review s29b
    F4: and beside its reorder's 20 µg D3 in place of a 75 µg one running out). A lower dose
    it is: the plan checked each one on every day it would be taken, with what is still
    taken then (plan.plan_refills, refills.why.exclusions: the dose band, the maxima). With
    the notices, the replacement each adapted one names, by its code."""
    catalog = ev.snapshot.catalog
    out, used = [], {}
    for notice in notices:
        for replaced, other in named:
            if (
                notice["code"].startswith("intake_warning:")
                and catalog.products[replaced].name[locale] in notice["text"]
            ):
                adapted = warning_beside_instead(ev, notice, (replaced,), (other,), locale)
                if adapted != notice:  # one lower dose named is what the text can say
                    notice, used[notice["code"]] = adapted, other
                    break
        out.append(notice)
    return out, used


# an intake warning whose nutrient the reorder may still give within its maximum
CONTINUED_KINDS = frozenset({"dose_band", "life_stage_maximum"})


def _beside_more(
    ev: Evaluation,
    notices: list[dict[str, str]],
    reordered: list[Any],
    used: dict[str, int],
    config: RefillConfig,
    locale: str,
) -> list[dict[str, str]]:
    """Review s29b F4: an `intake_warning:<nutrient>` that says "we suggest no more
    <nutrient>" beside a reorder item that gives it, other than the lower dose it names
    (`used`, _beside_instead; a 20 µg D3 reordered as it runs out beside a D3 + K2 left out:
    55 µg a day now, against at most 50), says that the reorder is in place of what runs out
    and stays within that amount with what is still taken then: the plan
    checked every item on each day it would be taken (refills.why.exclusions: the dose band
    and the maxima of a life stage), so it does. Not of an upper limit or an interaction: a
    reorder that gives such a nutrient is held or left out, and the notice stands as it is."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    out = []
    for notice in notices:
        kind, _, key = notice["code"].partition(":")
        found = ev.offer.failing.get(keys.index(key)) if key in keys else None
        if (
            kind == "intake_warning"
            and found is not None
            and found.kind in CONTINUED_KINDS
            and (found.maximum or 0) > 0
            and any(
                catalog.nutrients_per_day[d.index, keys.index(key)] > 0
                for d in reordered
                if d.index != used.get(notice["code"])
            )
        ):
            text = config.text("notice_warning_reorder", locale)
            notice = {**notice, "text": f"{notice['text']} {text}"}
        out.append(notice)
    return out
