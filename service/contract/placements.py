"""Schemas of the placement endpoints (issue 11): the alternatives of a product, with or
without a profile. Transport-neutral like schemas.py: the web layer and the CLI share them."""

from __future__ import annotations

from marshmallow import fields, validate

from ..core.vocabulary import LOCALES
from .base import (
    TWO_LETTERS,
    Country,
    FullMatch,
    QueryInteger,
    ResponseSchema,
    StrictBoolean,
    StrictInteger,
    StrictQuerySchema,
    StrictSchema,
)
from .responses import ItemSchema, MessageSchema, VersionsSchema
from .schemas import Lines, ProfileSchema


class AlternativesQuerySchema(StrictQuerySchema):
    """Unknown and repeated parameters are refused (review s4 R12: `contry=DE` dropped the
    market, and the NL maxima applied to a German shopper)."""

    limit = QueryInteger(load_default=5, validate=validate.Range(1, 50))
    locale = fields.String(load_default="nl", validate=validate.OneOf(LOCALES))
    country = fields.String(
        load_default="NL",
        validate=[FullMatch(r"^[A-Za-z]{2}$", error=TWO_LETTERS), Country()],
        metadata={"description": "Market whose binding maxima apply (no profile given)."},
    )


class AlternativesRequestSchema(StrictSchema):
    """`POST /v1/products/{sku}/alternatives`: the same need, safe for this profile and basket."""

    profile = fields.Nested(ProfileSchema, required=True)
    basket = Lines(100)
    limit = StrictInteger(load_default=5, validate=validate.Range(1, 50))
    locale = fields.String(load_default="nl", validate=validate.OneOf(LOCALES))
    exclude_skus = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=500),
    )
    explain = StrictBoolean(load_default=False)
    jurisdiction = fields.String(load_default=None, allow_none=True)


class PlacementItemSchema(ItemSchema):
    brand = fields.String()
    strategy = fields.String(
        metadata={
            "description": "The strategy of the placement's chain that chose the item "
            "(profile, alternatives, complements, buy_again, refills). buy_again items also "
            "carry last_purchase, packs_bought and runs_out_on; refills items action (reorder "
            "or replace), for_sku, runs_out_on and, for a replacement, replaces."
        }
    )
    adds_to_basket = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "cart: per nutrient, what the item adds that the basket lacks"},
    )
    copurchase = fields.Float(
        metadata={"description": "cart: the co-purchase signal (0..1) that helped rank it"}
    )


class AlternativesResponseSchema(ResponseSchema):
    product = fields.String(required=True)
    items = fields.List(fields.Nested(PlacementItemSchema), required=True)
    intake = fields.Dict(metadata={"description": "with a profile: as in the plain list"})
    notices = fields.List(fields.Nested(MessageSchema))
    versions = fields.Nested(VersionsSchema, required=True)
    placement = fields.String()


class PlacementViewSchema(ResponseSchema):
    name = fields.String(required=True)
    description = fields.String()
    strategies = fields.List(fields.String(), required=True)
    length = fields.Integer(required=True)
    max_per_category = fields.Integer(allow_none=True)
    max_per_brand = fields.Integer(allow_none=True)
    rules = fields.Raw(metadata={"description": "all, none, or a list of rule ids"})
    precomputed = fields.Boolean()
    basket_overlap = fields.String()


class PlacementsResponseSchema(ResponseSchema):
    placements = fields.List(fields.Nested(PlacementViewSchema), required=True)
