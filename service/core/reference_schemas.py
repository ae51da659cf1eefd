"""The schemas of the reference files (rules/reference/*.yaml) and the texts the core writes
itself: reference_load.py checks every file against them first."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .validation import Flag, Number, Text, WholeNumber
from .vocabulary import (
    ALLERGENS,
    CONDITIONS,
    DIETS,
    GOALS,
    LOCALES,
    MEDICATIONS,
    TRIGGER_LIFE_STAGES,
)

# the placeholders of an upper limit crossed only with the food allowance counted
_ABOVE_WITH_FOOD = ("nutrient", "amount", "food", "total", "excess", "upper_limit", "unit")
# the placeholders of items of one list that together cross a limit (list_together.py)
_TOGETHER = ("products", "nutrient", "total", "room", "unit")
_TOGETHER_TAKEN = (*_TOGETHER, "taken", "threshold")
# The texts the core writes itself (texts.yaml) and the placeholders each one is given.
SERVICE_TEXTS: dict[str, tuple[str, ...]] = {
    "reason_fills_gap": ("nutrient", "target", "unit"),
    # review 23p #3: the product that serves the need of one taken that does not fit
    "notice_instead_taken": ("name", "product"),
    "notice_instead_taken_many": ("name", "product"),  # review s27 F1
    "notice_instead_basket": ("name",),  # session 28: its next pack in the basket
    "notice_instead_basket_only": ("name", "product"),  # session 29: in the basket only
    "notice_instead_basket_only_many": ("name", "product"),
    # session 29: one product in place of several of one role
    "notice_instead_taken_group": ("name", "product"),
    "notice_instead_basket_only_group": ("name", "product"),
    # s27b M4: an advice what is named leaves short
    "notice_instead_short": ("product", "amount", "unit", "nutrient", "advice"),
    "notice_instead_none": ("nutrient", "advice"),  # review s29b F1: none named gives it
    "notice_above_upper_limit_instead": ("name",),  # review s29b F5
    "notice_above_upper_limit_basket_out": ("products",),  # review s31a F5
    "notice_above_upper_limit_basket_out_many": ("products",),
    # review s30a F1: a product a medicine or condition keeps out, stopped for what is named:
    # only as agreed with whoever treats it (.<interaction id>[.<market>]: the INR of a vitamin
    # K antagonist changes when the vitamin K taken stops, as when it starts)
    "notice_instead_switch": (),
    # session 12: an item's reason where other supplements (taken, basket) give the nutrient
    # too: the day's total with the product (advice_texts._advice_reason, _justified_reason)
    "reason_advice_taken": ("amount", "unit", "nutrient", "advice", "taken", "total"),
    "reason_advice_taken_above": ("amount", "unit", "nutrient", "advice", "taken", "total"),
    # review 12 F18: past an aim of ours, not "the advised amount"
    "reason_advice_above_ours": ("amount", "unit", "nutrient", "advice"),
    "reason_advice_taken_above_ours": ("amount", "unit", "nutrient", "advice", "taken", "total"),
    # review s29a F6: towards a doctor's dose held at the life stage's maximum
    "reason_advice_doctor_capped": ("amount", "unit", "nutrient", "maximum"),
    "reason_advice_taken_doctor_capped": (
        "amount",
        "unit",
        "nutrient",
        "maximum",
        "taken",
        "total",
    ),
    # session 17: a list item held below a medicine's warning threshold (warning_reasons.py)
    "reason_below_warning": ("nutrient", "unit", "total", "threshold"),
    "reason_dose_doctor_taken": ("amount", "unit", "nutrient", "advised", "taken", "total"),
    "warning_near_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    # the same with the food allowance counted where the limit is for total intake (s5 S9)
    "warning_near_upper_limit_food": ("nutrient", "amount", "food", "total", "upper_limit", "unit"),
    "notice_above_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    # review s5 S4: above the limit only with the food allowance counted (guarantee 9)
    "notice_above_upper_limit_food": _ABOVE_WITH_FOOD,
    # review s6: the supplements alone above a limit for total intake: the food and the total
    # named too (nothing at all is suggested, as notice_above_upper_limit says)
    "notice_above_upper_limit_food_nothing": _ABOVE_WITH_FOOD,
    # review s9 A6: the same three where a basket line gives the nutrient ("with your basket")
    "notice_above_upper_limit_basket": ("nutrient", "amount", "upper_limit", "unit"),
    "notice_above_upper_limit_food_basket": _ABOVE_WITH_FOOD,
    "notice_above_upper_limit_food_nothing_basket": _ABOVE_WITH_FOOD,
    # session 11: the food allowance alone above a limit for total intake (a declared 14 dairy
    # portions give 2,950 mg calcium, above 2,500 mg), nothing that gives it taken
    "notice_above_upper_limit_food_alone": ("nutrient", "food", "excess", "upper_limit", "unit"),
    # session 11 (R11-5): the intake check's removal where food alone stays above the limit
    "suggestion_remove_food_alone": ("name", "nutrients"),
    "suggestion_then_food_alone": ("nutrients",),
    # session 11: a doctor's dose our products reach only in part (doctor_reach.py): {why} is
    # doctor_short_room and/or doctor_short_market (list_and), else doctor_short_range
    "notice_doctor_dose_short": ("nutrient", "advised", "reach", "unit", "why"),
    "notice_doctor_dose_short_taken": ("nutrient", "advised", "reach", "taken", "unit", "why"),
    "notice_doctor_dose_none": ("nutrient", "advised", "smallest", "unit", "why"),
    "notice_doctor_dose_none_taken": ("nutrient", "advised", "smallest", "taken", "unit", "why"),
    "notice_doctor_dose_taken": ("nutrient", "advised", "taken", "unit"),  # review 12 F16
    "notice_doctor_dose_excluded": ("nutrient", "advised", "unit"),  # review 12 F11
    # session 19 review F2: a child's second source of a nutrient (children.py)
    "notice_one_source": ("nutrient", "taken", "unit", "advice"),
    "notice_no_items_one_source": ("nutrients",),
    "notice_one_source_plain": ("nutrient", "taken", "unit"),
    "warning_two_sources": ("names", "nutrient"),
    "doctor_short_close": ("nutrient",),
    "doctor_short_close_taken": ("nutrient",),
    "doctor_short_close_open": (),
    "doctor_short_room": ("nutrient", "food", "upper_limit", "room", "unit"),
    "doctor_short_room_taken": ("nutrient", "food", "upper_limit", "room", "taken", "unit"),
    # session 12: no food allowance (the magnesium limit is for supplements only)
    "doctor_short_room_nofood": ("nutrient", "upper_limit", "room", "unit"),
    "doctor_short_room_nofood_taken": ("nutrient", "upper_limit", "room", "taken", "unit"),
    "doctor_short_market": ("nutrient", "maximum", "unit", "market"),
    "doctor_short_range": ("nutrient", "offered", "unit"),
    # review s30a F4: larger products suit, the room left or the dose keeps them out
    "doctor_short_between": ("nutrient", "offered", "up_to", "unit"),
    # left open in s20: our other products go past the dose beside a medicine's warning of it
    "doctor_short_warned": ("nutrient",),
    # session 13 (review 12 F7): what is taken stops a larger product, which alone would do
    "doctor_short_past": ("nutrient", "advised", "taken", "unit"),
    "doctor_short_close_instead": ("nutrient", "instead", "unit", "product"),
    # a life stage's maximum of 0 (advice_texts._warning_key; review 11 R11-1)
    "notice_intake_life_stage_maximum_none": ("products", "amount", "unit", "nutrient"),
    "notice_no_items": (),
    "notice_no_items_serum": (),  # review 23p #2: beside serum_deficient, not "tell us more"
    # review 21 M2: items of one list that together cross an upper limit (list_together.py)
    "notice_not_together": _TOGETHER,
    # review s27 F4: a limit for supplements only (food_intake.yaml counts_food: false)
    "notice_not_together_supplements": _TOGETHER,
    "notice_not_together_stage": _TOGETHER,
    "notice_not_together_warning": _TOGETHER,
    # review s26 P2: with something taken, the threshold in all and what is taken
    "notice_not_together_warning_taken": _TOGETHER_TAKEN,
    # review s30a F5: the same five where no two of the products fit: take only one
    "notice_not_together_one": _TOGETHER,
    "notice_not_together_supplements_one": _TOGETHER,
    "notice_not_together_stage_one": _TOGETHER,
    "notice_not_together_warning_one": _TOGETHER,
    "notice_not_together_warning_taken_one": _TOGETHER_TAKEN,
    # review s34a F4: items that each fill the aim alone, within every cap together
    "notice_one_of": ("products", "nutrient", "aim", "total", "unit"),
    "notice_one_of_taken": ("products", "nutrient", "aim", "total", "taken", "unit"),
    # names in a sentence: "A, B en C" (Reference.listed; review 9b F7)
    "list_and": ("head", "last"),
    "list_or": ("head", "last"),
    # a line with neither SKU nor label, in texts (session 18: "basket.0" was shown)
    "line_unnamed_basket": ("number",),
    "line_unnamed_taken": ("number",),
    "notice_upper_limits_unverified": (),
    "warning_diet": ("diet",),
    "warning_allergy": ("allergens",),
    "warning_age": ("age",),
    "warning_life_stage": (),
    # review s28 F3: an exclude rule with `taken` ({reason}: regimen_texts unsuited_<taken>)
    "warning_taken_rule": ("reason",),
    # review s9 A1: a line taken or in the basket that does not suit the person (line_notices.py)
    "notice_product_unsuited": ("products", "reasons"),
    "notice_product_unsuited_basket": ("products", "reasons"),
    # {nutrients_or}: the same names joined with "or" where a negation lists them (review 10b)
    "notice_product_unsuited_more": ("nutrients", "nutrients_or"),
    # review 10 M1: a line an interaction excludes (line_notices.py)
    "notice_product_unsuited_interaction": ("nutrients",),
    "notice_product_interaction_more": ("nutrients", "nutrients_or", "conflicts"),
    "notice_product_interaction_more_basket": ("nutrients", "nutrients_or", "conflicts"),
    "warning_above_upper_limit": ("nutrient", "amount", "upper_limit", "unit"),
    # the same where the limit is for total intake: the food allowance and the total (s6)
    "warning_above_upper_limit_food": (
        "nutrient",
        "amount",
        "food",
        "total",
        "upper_limit",
        "unit",
    ),
    # the words filled into warning_allergy and warning_diet (never a profile code as it is)
    **{f"allergen_{code}": () for code in ALLERGENS},
    **{f"diet_{code}": () for code in DIETS},
}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _localized() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=Text(),
        required=True,
        validate=lambda d: set(d) == set(LOCALES) or _fail(f"needs exactly {', '.join(LOCALES)}"),
    )


def _fail(message: str) -> bool:
    from marshmallow import ValidationError

    raise ValidationError(message)


# ---------------------------------------------------------------- schemas of the files
class _NutrientEntry(_Strict):
    unit = fields.String(required=True)
    name = _localized()


class _Conversion(_Strict):
    to = fields.String(required=True)
    factor = Number(required=True, validate=validate.Range(min=0, min_inclusive=False))
    source = fields.String(required=True)


class _NutrientsFile(_Strict):
    source = fields.String(required=True)
    nutrients = fields.Dict(
        keys=fields.String(), values=fields.Nested(_NutrientEntry), required=True
    )
    conversions = fields.Dict(keys=fields.String(), values=fields.Nested(_Conversion))


class _Band(_Strict):
    id = fields.String(required=True)
    min_age = WholeNumber(required=True, validate=validate.Range(0, 120))
    max_age = WholeNumber(required=True, validate=validate.Range(0, 120))


class _Limit(_Strict):
    # a limit of 0 or below told every adult that 0 µg is "more than the safe upper limit of
    # -1 µg" (review s39b F3); a nutrient with no safe amount is an interaction's exclusion
    values = fields.Dict(
        keys=fields.String(),
        values=Number(validate=validate.Range(min=0, min_inclusive=False)),
        required=True,
    )
    unverified = fields.List(fields.String(), load_default=list)
    source = fields.String(required=True)


class _Jurisdiction(_Strict):
    source = fields.String(required=True)
    bands = fields.List(fields.Nested(_Band), required=True)
    limits = fields.Dict(keys=fields.String(), values=fields.Nested(_Limit), required=True)


class _UpperLimitsFile(_Strict):
    source = fields.String(required=True)
    default_jurisdiction = fields.String(required=True)
    jurisdictions = fields.Dict(
        keys=fields.String(), values=fields.Nested(_Jurisdiction), required=True
    )


class _Target(_Strict):
    id = fields.String(required=True)
    when = fields.String(required=True)
    nutrient = fields.String(required=True)
    amount = fields.Raw(required=True)
    authority = fields.String(load_default=None)  # read and checked by advice.py
    # a tier id of `priorities` (target_priority.py, review s10 U2), else the authority's tier
    priority = fields.String(load_default=None)
    source = fields.String(required=True)


class _TargetsFile(_Strict):
    source = fields.String(required=True)
    targets = fields.List(fields.Nested(_Target), required=True)
    # read and checked by advice.py (service/core/advice.py)
    authorities = fields.Raw(load_default=None)
    reference_intakes = fields.Raw(load_default=None)
    child_diet_notices = fields.Raw(load_default=None)
    unmet_advice_notices = fields.Raw(load_default=None)  # advice_extras.py (review s7 P8)
    priorities = fields.Raw(load_default=None)  # target_priority.py (review s10 U2)


class _Trigger(_Strict):
    medications = fields.List(fields.String(validate=validate.OneOf(MEDICATIONS)))
    conditions = fields.List(fields.String(validate=validate.OneOf(CONDITIONS)))
    together = fields.List(fields.List(fields.String()), validate=validate.Length(equal=2))
    # every medicine of `medications` taken together, not any one (review s44b F6)
    all_medications = fields.Boolean()
    # a measured serum 25(OH)D above this many nmol/l (review 21 P1: a high level)
    serum_25ohd_above = Number(validate=validate.Range(min=0, min_inclusive=False))
    # and only in these life stages (review s31a F1: a retinoid or a vitamin K antagonist in
    # pregnancy); `planning_pregnancy`: the goal `pregnancy` (safety.planning_pregnancy)
    life_stage = fields.List(
        fields.String(validate=validate.OneOf(TRIGGER_LIFE_STAGES)),
        validate=validate.Length(min=1),
    )


class _MarketText(_Strict):
    text = _localized()
    source = fields.String(required=True)


def _market_texts() -> fields.Dict:
    """Per market the text its customers read (R15h: the medicines and care known there)."""
    return fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=fields.Nested(_MarketText),
        load_default=dict,
    )


class _Interaction(_Strict):
    id = fields.String(required=True)
    trigger = fields.Nested(_Trigger, required=True)
    # `exclude` is a Schema attribute, so the field has another Python name
    excludes = fields.Dict(
        keys=fields.String(), values=Number(), load_default=dict, data_key="exclude"
    )
    warn = fields.Dict(keys=fields.String(), values=Number(), load_default=dict)
    notice = Flag(load_default=False)
    timing = Flag(load_default=False)  # hours apart, not whether (review 11)
    text = _localized()
    source = fields.String(required=True)
    # per market the text its customers read (R15h: the medicines and care known there)
    markets = _market_texts()


class _Caution(_Strict):
    """A product's own caution (review s39a F3: BfR's anticoagulant warning on vitamin K),
    shown on every item that gives one of `nutrients`, unless the profile names one of
    `unless_medications` (an interaction of its own speaks then)."""

    id = fields.String(required=True)
    nutrients = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    unless_medications = fields.List(
        fields.String(validate=validate.OneOf(MEDICATIONS)), load_default=list
    )
    text = _localized()
    source = fields.String(required=True)
    markets = _market_texts()


class _InteractionsFile(_Strict):
    source = fields.String(required=True)
    interactions = fields.List(fields.Nested(_Interaction), required=True)
    cautions = fields.List(fields.Nested(_Caution), load_default=list)


class _Nrv(_Strict):
    value = Number(required=True)
    source = fields.String(required=True)


class _Claim(_Strict):
    nutrients = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    min_per_day = Number(required=True)
    goals = fields.List(fields.String(validate=validate.OneOf(GOALS)), load_default=list)
    text = _localized()
    wording_checked = fields.Dict(keys=fields.String(), values=Flag(), load_default=dict)
    requires = fields.Raw(load_default=None)  # product conditions, read and checked by advice.py
    source = fields.String(required=True)


class _ClaimsFile(_Strict):
    source = fields.String(required=True)
    nrv = fields.Dict(keys=fields.String(), values=fields.Nested(_Nrv), load_default=dict)
    claims = fields.Dict(keys=fields.String(), values=fields.Nested(_Claim), required=True)
    forbidden = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.List(fields.String()),
        required=True,
    )


class _TextsFile(_Strict):
    source = fields.String(required=True)
    texts = fields.Dict(keys=fields.String(), values=_localized(), required=True)


class _ScoringFile(Schema):
    class Meta:
        unknown = EXCLUDE

    source = fields.String(required=True)
    weights = fields.Dict(keys=fields.String(), values=Number(), required=True)
    squash = fields.Dict(keys=fields.String(), values=Number(), required=True)
    warn_at_upper_limit_fraction = Number(load_default=0.8)
