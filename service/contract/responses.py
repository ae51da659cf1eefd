"""Response schemas of the HTTP contract, for the OpenAPI document (responses may carry more
than they list: the contract says extend freely)."""

from __future__ import annotations

from marshmallow import (
    fields,
    validate,
)

from .base import ResponseSchema


# ---------------------------------------------------------------- responses (for OpenAPI)
class MessageSchema(ResponseSchema):
    code = fields.String(required=True)
    text = fields.String(required=True)


class SkuMessageSchema(MessageSchema):
    skus = fields.List(fields.String())


class ItemSchema(ResponseSchema):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    score = fields.Float(required=True)
    servings_per_day = fields.Float(required=True)
    nutrients_per_day = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    category = fields.String()
    form = fields.String()
    price = fields.Float()
    currency = fields.String()
    price_per_month = fields.Float()
    reasons = fields.List(fields.Nested(MessageSchema), required=True)
    warnings = fields.List(fields.Nested(MessageSchema), required=True)
    explain = fields.Dict()


class IntakeEntrySchema(ResponseSchema):
    current = fields.Float(required=True)
    upper_limit = fields.Float(allow_none=True, required=True)
    food = fields.Float(
        metadata={
            "description": "(v1.1) the high usual intake from food counted against the limit "
            "(0 where the limit is for supplements only; rules/reference/food_intake.yaml)"
        }
    )
    room = fields.Float(
        allow_none=True,
        metadata={
            "description": "(v1.1) what more supplements may add: upper_limit - food - "
            "current, at least 0; null where no limit. Every item fits within it."
        },
    )


class VersionsSchema(ResponseSchema):
    catalog = fields.String(required=True)
    rules = fields.String(required=True)
    model = fields.String(required=True)


class RecommendationResponseSchema(ResponseSchema):
    items = fields.List(fields.Nested(ItemSchema), required=True)
    intake = fields.Dict(
        keys=fields.String(), values=fields.Nested(IntakeEntrySchema), required=True
    )
    notices = fields.List(fields.Nested(MessageSchema), required=True)
    versions = fields.Nested(VersionsSchema, required=True)
    experiment = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "present when the request is in an A/B test: id and variant"},
    )
    placement = fields.String(
        metadata={
            "description": "(issue 11) present when the request names a placement; its items "
            "then also carry `strategy`, `brand` and in the cart `adds_to_basket` and "
            "`copurchase` (see the alternatives endpoint's item schema)"
        }
    )


class TotalSchema(ResponseSchema):
    amount = fields.Float(required=True)
    upper_limit = fields.Float(allow_none=True, required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["ok", "above_upper_limit"]),
        metadata={"description": "above_upper_limit: amount + food above the limit (food only "
                  "where the limit is for total intake, guarantee 9)"},
    )  # fmt: skip
    food = fields.Float(metadata={"description": "(v1.1) the food allowance counted"})
    room = fields.Float(
        allow_none=True,
        metadata={
            "description": "(v1.1) upper_limit - food - amount, at least 0; a total above "
            "the limit with food (but not without) gets an `above_room:<nutrient>` warning"
        },
    )


class ViolationSchema(ResponseSchema):
    nutrient = fields.String(required=True)
    amount = fields.Float(required=True)
    upper_limit = fields.Float(required=True)
    skus = fields.List(fields.String(), required=True)
    text = fields.String()
    # R13: a violation also where the supplements' amount plus the food allowance crosses a
    # limit for total intake (`amount` stays the supplements' amount)
    food = fields.Float(metadata={"description": "the food allowance counted"})
    total = fields.Float(metadata={"description": "amount + food"})
    counts_food = fields.Boolean(
        metadata={"description": "true: above the limit only with the food allowance counted"}
    )


class IntakeCheckResponseSchema(ResponseSchema):
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(TotalSchema), required=True)
    violations = fields.List(fields.Nested(ViolationSchema), required=True)
    warnings = fields.List(fields.Nested(SkuMessageSchema), required=True)
    # review 8b R4: added; the list's notice-only `interaction:<id>` notices for the profile
    notices = fields.List(
        fields.Nested(MessageSchema),
        metadata={
            "description": "(added) what holds for the profile whatever is combined: the "
            "`interaction:<id>` notices of a medication or condition that is a notice only "
            "(raised vitamin D needs, poor uptake of fat-soluble vitamins), as in the list"
        },
    )
    versions = fields.Nested(VersionsSchema)
    suggestion = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The smallest basket change that fixes a crossed limit or a missed "
            "target: {code: remove|reduce|add, sku, servings_per_day, text}."
        },
    )


class MarketReasonSchema(ResponseSchema):
    code = fields.String(
        required=True,
        metadata={
            "description": "not_sellable, market_maximum (binding law), product_maximum or "
            "upper_limit (above every upper limit of the ages it is sold for)"
        },
    )
    text = fields.String(required=True)


class ProductMarketSchema(ResponseSchema):
    sellable = fields.Boolean(
        required=True, metadata={"description": "may be sold (and is offered) in this market"}
    )
    reasons = fields.List(fields.Nested(MarketReasonSchema), required=True)


class ProductSchema(ResponseSchema):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    names = fields.Dict(keys=fields.String(), values=fields.String())
    brand = fields.String()
    category = fields.String(required=True)
    form = fields.String(required=True)
    price = fields.Float(required=True)
    currency = fields.String(required=True)
    pack_size = fields.Integer()
    price_per_month = fields.Float()
    servings_per_day = fields.Integer(required=True)
    nutrients_per_serving = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    nutrients_per_day = fields.Dict(keys=fields.String(), values=fields.Float())
    vitamin_sources = fields.Dict(keys=fields.String(), values=fields.String())
    vegan = fields.Boolean(required=True)
    vegetarian = fields.Boolean(required=True)
    allergens = fields.List(fields.String(), required=True)
    min_age = fields.Integer(required=True)
    max_age = fields.Integer(allow_none=True)
    pregnancy_suitable = fields.Boolean()
    breastfeeding_suitable = fields.Boolean()
    in_stock = fields.Boolean()
    tags = fields.List(fields.String())
    claims = fields.List(fields.String())
    sellable = fields.Boolean(
        metadata={"description": "false: not allowed as a food supplement (never recommended)"}
    )
    not_sellable_reason = fields.String()
    markets = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ProductMarketSchema),
        metadata={
            "description": "GET /v1/products/{sku} only: per served market (NL, DE) whether "
            "the product may be sold there and, if not, why (guarantee 8: a 100 µg vitamin D "
            "is above the NL maximum of 75 µg per daily dose)"
        },
    )


class ProductPageSchema(ResponseSchema):
    items = fields.List(fields.Nested(ProductSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    versions = fields.Nested(VersionsSchema)


class ContractErrorBodySchema(ResponseSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ContractErrorSchema(ResponseSchema):
    """The contract's error body: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ContractErrorBodySchema, required=True)
