"""Marshmallow schemas of the HTTP contract: request validation and the OpenAPI document.

They import no Flask, so the CLI validates its input with the very same schemas. The
responses of the recommendation, intake, product and error bodies are in responses.py, the
building blocks in base.py.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..core.markets import markets
from ..core.requests import RecommendationRequest
from ..core.vocabulary import (
    ALLERGENS,
    CONDITIONS,
    DEFAULT_LOCALE,
    DIETS,
    EVENT_TYPES,
    GOALS,
    INPUT_UNITS,
    LIFE_STAGES,
    LOCALES,
    MEDICATIONS,
    NUTRIENT_KEYS,
    SEXES,
    SUN_EXPOSURES,
)
from .base import (
    MAX_AMOUNT,
    TWO_LETTERS,
    Country,
    CustomerId,
    FullMatch,
    NutrientMap,
    QueryInteger,
    ResponseSchema,
    ShownText,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    StrictQuerySchema,
    StrictSchema,
    TolerantQuerySchema,
    _enum_list,
)
from .places import Lines
from .responses import (
    ContractErrorBodySchema,
    MessageSchema,
    RecommendationResponseSchema,
    SkuMessageSchema,
    VersionsSchema,
)


class LineSchema(StrictSchema):
    """A catalog product by SKU, or a product not in the catalog by label and nutrients."""

    sku = fields.String(validate=validate.Length(min=1, max=64))
    servings_per_day = StrictNumber(
        validate=validate.Range(0, 50, min_inclusive=False), metadata={"exclusiveMinimum": True}
    )
    label = fields.String(validate=[validate.Length(min=1, max=200), ShownText()])
    nutrients = NutrientMap(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=StrictNumber(validate=validate.Range(0, MAX_AMOUNT)),  # "5" is refused
        validate=validate.Length(max=64),
    )

    @validates_schema
    def _one_kind(self, data: dict, **_: Any) -> None:
        if "sku" in data and "nutrients" in data:
            raise ValidationError("give either sku or nutrients, not both", "nutrients")
        if "sku" not in data and "nutrients" not in data:  # review 22 F13: a label line's
            where = "nutrients" if "label" in data else "sku"  # nutrients are what is missing
            raise ValidationError("give a catalog sku, or a label with nutrients", where)
        if "nutrients" in data and not data["nutrients"]:  # review s43c 6: counted nothing
            raise ValidationError(
                "give at least one nutrient with its daily amount: a label line without "
                "amounts would count nothing against the upper limits",
                "nutrients",
            )
        if "nutrients" in data and "servings_per_day" in data:
            raise ValidationError(
                "nutrients are per day; servings_per_day goes with sku", "servings_per_day"
            )
        nutrients = data.get("nutrients") or {}
        for unit_key in INPUT_UNITS:  # review s4 R14: a label "50 µg (2000 IU)" copied in full
            key = unit_key.removesuffix("_iu") + "_ug"  # counted twice; refused as in the profile
            if unit_key in nutrients and key in nutrients:
                raise ValidationError(f"give {key} or {unit_key}, not both", "nutrients")


class ProfileSchema(StrictSchema):
    age = StrictInteger(required=True, validate=validate.Range(0, 120))
    sex = fields.String(load_default="unspecified", validate=validate.OneOf(SEXES))
    life_stage = fields.String(load_default="none", validate=validate.OneOf(LIFE_STAGES))
    diet = fields.String(load_default="omnivore", validate=validate.OneOf(DIETS))
    allergies = _enum_list(ALLERGENS)
    medications = _enum_list(MEDICATIONS)
    conditions = _enum_list(CONDITIONS)
    sun_exposure = fields.String(load_default="moderate", validate=validate.OneOf(SUN_EXPOSURES))
    skin_type = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(1, 6))
    country = fields.String(
        load_default="NL", validate=[FullMatch(r"^[A-Za-z]{2}$", error=TWO_LETTERS), Country()]
    )
    serum_25ohd_nmol_l = StrictNumber(  # "20" is refused (review 20a)
        allow_none=True, load_default=None, validate=validate.Range(0, 1000)
    )
    goals = _enum_list(GOALS)
    current_supplements = Lines(50)
    higher_dose_advised = NutrientMap(
        keys=fields.String(validate=validate.OneOf(NUTRIENT_KEYS + INPUT_UNITS)),
        values=StrictNumber(validate=validate.Range(0, MAX_AMOUNT)),
        allow_none=True,
        load_default=None,
        metadata={
            "description": "(v1.1) Nutrient key -> the daily amount a doctor advised "
            "(vitamin_d_iu accepted, 40 IU = 1 µg). Allows a product above the advice band for "
            "that nutrient; never above an upper limit or a market's maximum. A dose above 0 "
            "is at least 0.001 (0.04 IU)."
        },
    )
    dairy_portions_per_day = StrictNumber(
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 20),
        metadata={
            "description": "Optional: dairy portions a day (150 ml milk or yoghurt, 20 g "
            "cheese). Replaces the high usual calcium intake from food assumed for the upper "
            "limit by what this amount gives (rules/reference/food_intake.yaml)."
        },
    )

    @validates_schema
    def _one_unit_per_nutrient(self, data: dict, **_: Any) -> None:
        """`vitamin_d_iu` and `vitamin_d_ug` both given may disagree (4000 IU and 10 µg): the
        list and the regimen could each read another one, so the profile is refused."""
        advised = data.get("higher_dose_advised") or {}
        for unit_key in INPUT_UNITS:
            key = unit_key.removesuffix("_iu") + "_ug"
            if unit_key in advised and key in advised:
                raise ValidationError(f"give {key} or {unit_key}, not both", "higher_dose_advised")

    @validates_schema
    def _readable_doses(self, data: dict, **_: Any) -> None:
        """Review 13: 1e-300 µg was a dose ("your doctor advised 0 µg"); a dose above 0 is at
        least what an answer shows, 0.001 of its unit (0.04 IU: 0.001 µg vitamin D)."""
        for key, amount in (data.get("higher_dose_advised") or {}).items():
            least = 0.04 if key in INPUT_UNITS else 0.001
            if 0 < amount < least:
                message = "a doctor's dose above 0 is at least {0:g}: give 0 or at least {0:g}"
                raise ValidationError({key: [message.format(least)]}, "higher_dose_advised")

    @validates_schema
    def _possible_life_stage(self, data: dict, **_: Any) -> None:
        """Review s5 S12: pregnant or breastfeeding with sex male, or at an age outside
        markets.yaml `life_stage_ages`, is refused, not answered with pregnancy advice."""
        stage = data.get("life_stage")
        if stage is None:
            return
        problem = markets().life_stage_problem(stage, data.get("sex"), data.get("age"))
        if problem is not None:
            raise ValidationError(problem, "life_stage")


def PLACEMENT_FIELD() -> fields.String:  # noqa: N802 - one definition, two schemas
    """`placement` (issue 11): a name of rules/placements.yaml; absent: the plain list, as
    before. Unknown names are a 422 from the service (the names are configuration)."""
    return fields.String(
        allow_none=True,
        # review s34b F7: "HOME" got marshmallow's "does not match expected pattern"
        validate=FullMatch(
            r"^[a-z][a-z0-9_]{0,39}$",
            error="unknown placement {input!r}: placement names are lowercase letters, digits "
            "and _ (GET /v1/placements lists them)",
        ),
        metadata={
            "description": "(issue 11) The placement the list is for (rules/placements.yaml: "
            "home, product_page, cart, checkout, account, email). Absent: the plain list."
        },
    )


class RecommendationRequestSchema(StrictSchema):
    """Loads a body into the core's typed `RecommendationRequest` (its defaults, written once)."""

    profile = fields.Nested(ProfileSchema, required=True)
    basket = Lines(100)
    limit = StrictInteger(load_default=RecommendationRequest.limit, validate=validate.Range(1, 50))
    locale = fields.String(
        load_default=RecommendationRequest.locale, validate=validate.OneOf(LOCALES)
    )
    exclude_skus = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=500),
    )
    category = fields.String(allow_none=True, load_default=RecommendationRequest.category)
    explain = StrictBoolean(
        load_default=RecommendationRequest.explain,
        metadata={"description": "Return the features and contributions behind each score."},
    )
    jurisdiction = fields.String(
        load_default=RecommendationRequest.jurisdiction,
        allow_none=True,
        metadata={"description": "Upper-limit table to apply (EU by default; US available)."},
    )
    customer_id = fields.String(
        load_default=RecommendationRequest.customer_id,
        allow_none=True,
        validate=CustomerId(),  # the events' rule (session 18 review F4: "k-42\t" was logged)
        metadata={
            "description": "Optional: logs the list shown (with its features) for this "
            "customer, so that their events train the ranking model."
        },
    )
    placement = PLACEMENT_FIELD()
    product_sku = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "(issue 11) The product on the page, for the `product_page` "
            "placement: its alternatives, and what goes with it. Only with a placement."
        },
    )

    @validates_schema
    def _product_with_placement(self, data: dict, **_: Any) -> None:
        if data.get("product_sku") is not None and data.get("placement") is None:
            raise ValidationError("product_sku goes with a placement (product_page)", "product_sku")

    @post_load
    def to_request(self, data: dict[str, Any], **kwargs: Any) -> RecommendationRequest:
        return RecommendationRequest.from_dict(data)


class IntakeCheckRequestSchema(StrictSchema):
    profile = fields.Nested(ProfileSchema, required=True)
    basket = Lines(100)
    locale = fields.String(load_default=DEFAULT_LOCALE, validate=validate.OneOf(LOCALES))
    jurisdiction = fields.String(load_default=None, allow_none=True)


class Timestamp(fields.DateTime):
    """An ISO 8601 date-time; RFC 3339's lower-case `t` and `z` too (review s35b F9: refused)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and len(value) > 10 and value[10] == "t":
            value = f"{value[:10]}T{value[11:]}"
        if isinstance(value, str) and value.endswith("z") and value[-2:-1].isdigit():
            value = f"{value[:-1]}Z"
        return super()._deserialize(value, attr, data, **kwargs)


class EventSchema(StrictSchema):
    customer_id = fields.String(required=True, validate=CustomerId())  # review s5 S13
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    timestamp = Timestamp(required=True)
    # (v1.1) packs bought or put in the cart; default 1 (refills count a purchase's packs)
    quantity = StrictInteger(validate=validate.Range(1, 1000))


class ProductQuerySchema(TolerantQuerySchema):  # cache-busting parameters are ignored
    category = fields.String()
    vegan = fields.Boolean()
    limit = QueryInteger(load_default=50, validate=validate.Range(1, 500))
    offset = QueryInteger(load_default=0, validate=validate.Range(0, 1_000_000))
    locale = fields.String(validate=validate.OneOf(LOCALES))


class ProductOneQuerySchema(TolerantQuerySchema):
    """GET /v1/products/{sku}: the name in `locale` (review s9: it was always English)."""

    locale = fields.String(validate=validate.OneOf(LOCALES))


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"profile.age": ["..."]}, the contract's `fields`."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, sub in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for field_name, msgs in flatten_messages(sub, name).items():
                out.setdefault(field_name or "_body", []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix] = list(messages)
        else:
            for m in messages:
                for field_name, msgs in flatten_messages(m, prefix).items():
                    out.setdefault(field_name, []).extend(msgs)
    else:
        out[prefix] = [str(messages)]
    return out


class EventsRequestSchema(StrictSchema):
    events = fields.List(
        fields.Nested(EventSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class SkuList(fields.String):
    """Comma-separated SKUs of a query parameter (`basket=A,B`), as a list; blanks dropped, and
    a SKU given twice counted once (two packs are not two servings a day, review s4 R15c);
    at most `most` SKUs, counted before repeated SKUs are merged."""

    def __init__(self, *args: Any, most: int = 100, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.most = most

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        skus = [s.strip() for s in text.split(",") if s.strip()]
        if not skus:  # review s5 S13: `basket=,,,` is as blank as `basket=`
            raise ValidationError("must not be blank: give SKUs separated by commas")
        if len(skus) > self.most:
            raise ValidationError(f"at most {self.most} SKUs")
        return list(dict.fromkeys(skus))


class CustomerQuerySchema(StrictQuerySchema):
    """The customer GET's query (parsed in service/api/customer_request.py): unknown and
    repeated parameters are refused (review s4 R12)."""

    limit = QueryInteger(load_default=5, validate=validate.Range(1, 50))
    # none given: the shop language of the customer's country, the one its list is precomputed in
    locale = fields.String(validate=validate.OneOf(LOCALES))
    placement = PLACEMENT_FIELD()
    basket = SkuList(
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "(review s4 R12) SKUs in the basket, comma-separated, for a "
            "placement (cart, checkout): counted in the intake as in POST /v1/recommendations"
        },
    )
    product_sku = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The product on the page, for the product_page placement"},
    )

    @validates_schema
    def _with_a_placement(self, data: dict, **_: Any) -> None:
        for name in ("basket", "product_sku"):
            if data.get(name) and data.get("placement") is None:
                raise ValidationError(
                    f"{name} goes with a placement (the basket of cart or checkout, the product "
                    "of product_page; any placement takes either)",
                    name,
                )


class CustomerRecommendationResponseSchema(RecommendationResponseSchema):
    source = fields.String(required=True, validate=validate.OneOf(["cache", "computed"]))


class CustomerStoredSchema(ResponseSchema):
    customer_id = fields.String(required=True)
    profile_digest = fields.String()
    refresh = fields.String()
    deleted = fields.Boolean(
        metadata={
            "description": "DELETE: true when anything of the customer was erased (profile, "
            "cached list, events, purchases), false when nothing was stored under the id"
        }
    )


class AcceptedSchema(ResponseSchema):
    accepted = fields.Integer(required=True)


class RefreshRequestSchema(StrictSchema):
    force = StrictBoolean(load_default=False)


class RefreshStateSchema(ResponseSchema):
    run_id = fields.String()
    started = fields.Boolean()
    status = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    rate_per_s = fields.Float()
    eta_s = fields.Float()
    elapsed_s = fields.Float()
    computed = fields.Integer(metadata={"description": "distinct profiles computed"})
    skipped = fields.Integer(metadata={"description": "lists still fresh, left as they were"})
    missing = fields.Integer()
    corrupt = fields.Integer(metadata={"description": "stored entries that did not decode"})
    failed = fields.Integer()
    chunks = fields.Integer()
    chunks_sent = fields.Integer()
    started_at = fields.Float()
    finished_at = fields.Float()
    reason = fields.String()
    fingerprint = fields.String()


class RegimenRequestSchema(StrictSchema):
    profile = fields.Nested(ProfileSchema, required=True)
    max_products = StrictInteger(load_default=3, validate=validate.Range(1, 10))
    budget_per_month = StrictNumber(  # "10" is refused (review 20a)
        load_default=None, allow_none=True, validate=validate.Range(0, 100_000)
    )
    locale = fields.String(load_default=DEFAULT_LOCALE, validate=validate.OneOf(LOCALES))
    jurisdiction = fields.String(load_default=None, allow_none=True)


class RegimenLineSchema(ResponseSchema):
    sku = fields.String(required=True)
    servings_per_day = fields.Float(required=True)
    name = fields.String()
    role = fields.String()
    nutrients_per_day = fields.Dict(keys=fields.String(), values=fields.Float())
    cost_per_month = fields.Float()
    labelled_servings_per_day = fields.Float()
    category = fields.String()
    form = fields.String()


class RegimenTargetSchema(ResponseSchema):
    target = fields.Float(required=True)
    achieved = fields.Boolean(required=True)
    status = fields.String(
        validate=validate.OneOf(["achieved", "missed", "fails_guarantee"]),
        metadata={
            "description": "achieved, missed, or fails_guarantee: what is already taken fails a "
            "guarantee for the person (pregnancy maximum, dose band, contraindication); its "
            "`intake_warning:<nutrient>` notice says why (review s5 S5)"
        },
    )
    amount = fields.Float()
    why = fields.String()
    source = fields.String(metadata={"description": "the target entry (targets.yaml) it follows"})


class RegimenResponseSchema(ResponseSchema):
    lines = fields.List(fields.Nested(RegimenLineSchema), required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    targets = fields.Dict(
        keys=fields.String(), values=fields.Nested(RegimenTargetSchema), required=True
    )
    cost_per_month = fields.Float(required=True)
    pills_per_day = fields.Float()
    notices = fields.List(fields.Nested(MessageSchema), required=True)
    warnings = fields.List(fields.Nested(SkuMessageSchema))
    solver = fields.String(validate=validate.OneOf(["milp", "greedy", "none"]))
    optimal = fields.Boolean(metadata={"description": "the solver proved the optimum"})
    currency = fields.String()
    max_products = fields.Integer()
    budget_per_month = fields.Float(allow_none=True)
    versions = fields.Nested(VersionsSchema)


class PreviewResponseSchema(RecommendationResponseSchema):
    excluded = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "Every product left out, with the reasons (safety, stock, rules)."
        },
    )
    matched_rules = fields.List(fields.String(), required=True)


class LintResponseSchema(ResponseSchema):
    errors = fields.Integer(required=True)
    warnings = fields.Integer(required=True)
    findings = fields.List(fields.Dict(), required=True)
    reload = fields.Dict()


class ReloadResponseSchema(ResponseSchema):
    # refused: the data files were, and the last good set serves; invalid_request: the body
    status = fields.String(
        required=True, validate=validate.OneOf(["reloaded", "refused", "invalid_request"])
    )
    checks = fields.Dict()
    versions = fields.Dict()
    reload = fields.Dict()


class ReloadRefusedSchema(ReloadResponseSchema):
    """422: the contract's error object, plus the reload detail (findings with file and line)."""

    error = fields.Nested(ContractErrorBodySchema, required=True)
