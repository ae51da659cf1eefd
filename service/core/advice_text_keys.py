"""The texts.yaml keys the advice writes and the placeholders each may use (split from
advice_config.py, which checks them at load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .vocabulary import GOALS

if TYPE_CHECKING:
    from .reference import Reference

# an intake warning above the notice instead:<SKU> that names a lower dose of its nutrient
_WARNING_INSTEAD = ("products", "amount", "unit", "nutrient", "maximum", "name")

ADVICE_TEXTS: dict[str, tuple[str, ...]] = {
    "reason_advice": ("amount", "unit", "nutrient", "advice"),
    "reason_advice_above": ("amount", "unit", "nutrient", "advice"),
    "reason_dose_serum": ("amount", "unit", "nutrient", "serum"),
    "reason_dose_doctor": ("amount", "unit", "nutrient", "advised"),
    "reason_learned": (),
    "notice_already_covered": ("amount", "unit", "nutrient"),
    "notice_already_taken": ("amount", "unit", "nutrient"),
    "notice_already_covered_basket": ("amount", "unit", "nutrient"),
    "notice_already_covered_general": ("amount", "unit", "nutrient"),  # review 14
    "notice_already_covered_general_basket": ("amount", "unit", "nutrient"),
    "notice_already_taken_basket": ("amount", "unit", "nutrient"),
    # review 23p #2: beside a measured deficiency (serum_texts.deficient_column), not "enough"
    "notice_already_covered_serum": ("amount", "unit", "nutrient"),
    "notice_already_covered_serum_basket": ("amount", "unit", "nutrient"),
    "notice_intake_interaction": ("products", "amount", "unit", "nutrient", "maximum"),
    "notice_intake_life_stage_maximum": ("products", "amount", "unit", "nutrient", "maximum"),
    "notice_intake_life_stage_maximum_doctor": (
        "products",
        "amount",
        "unit",
        "nutrient",
        "maximum",
    ),
    "notice_intake_dose_band": ("products", "amount", "unit", "nutrient", "maximum"),
    # session 28: above the notice instead:<SKU> naming a lower dose of it
    "notice_intake_life_stage_maximum_instead": _WARNING_INSTEAD,
    "notice_intake_dose_band_instead": _WARNING_INSTEAD,
    "notice_product_life_stage": ("products",),
    "notice_product_life_stage_taken": ("products",),
    "warning_life_stage_maximum_total": ("details",),
    "notice_serum_deficient": ("serum", "below"),
    "notice_doctor_dose_capped": ("advised", "maximum", "unit", "nutrient"),
    "notice_doctor_dose_upper_limit": ("advised", "upper_limit", "unit", "nutrient"),  # s7 P7
    "notice_doctor_dose_medicine": ("advised", "unit", "nutrient"),  # review s31a F4
    "notice_doctor_dose_band": ("advised", "maximum", "unit", "nutrient"),  # review s9 F3
    "notice_doctor_dose_warned": ("advised", "unit", "nutrient"),  # left open in s20
    "notice_no_advice": (),
    "notice_short_list_role": ("most",),  # review s32a F6
    "notice_advice_over_limit": ("nutrient", "advice"),  # left open in s20: advice_open.py
    "notice_advice_over_limit_life_stage": ("nutrient", "advice"),
    "notice_goals_age": ("goals",),  # review 22 F6: advice_open.goals_age_notices
    **{f"goal_name_{goal}": () for goal in GOALS},  # the goals as a text names them
    "notice_short_list": (),
    "notice_no_items_no_need": (),
    "notice_no_items_goal_served": (),  # review s26b B3
    "notice_no_items_goal_served_basket": (),  # review s27 F3
    "notice_no_items_instead": (),  # session 26: beside instead:<SKU>
    "notice_no_items_instead_many": (),  # review s27b M1: beside more than one
    "notice_no_items_instead_basket": (),  # session 29: beside one for a basket product
    "notice_no_items_warning": (),
    "notice_no_items_condition": (),  # review s7 P10
    "notice_no_items_doctor": (),
    "notice_no_items_covered": (),  # review s28 F5: what is taken covers the need
    "notice_no_items_covered_basket": (),
    "notice_no_items_covered_basket_both": (),
    "notice_no_items_covered_warned": (),  # review s30a F2: advice_open.served_beside_a_warning
}


def variants(reference: Reference, registry: dict[str, tuple[str, ...]]) -> list:
    """(key, placeholders) of the texts `<base>.<id>` (an interaction's own words) whose base
    is in `registry`: a variant takes its base's placeholders."""
    return [
        (k, registry[k.split(".")[0]])
        for k in reference.texts
        if "." in k and k.split(".")[0] in registry
    ]
