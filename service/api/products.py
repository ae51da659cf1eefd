"""GET /v1/products and GET /v1/products/{sku}."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..contract.responses import ContractErrorSchema, ProductPageSchema, ProductSchema
from ..contract.schemas import ProductOneQuerySchema, ProductQuerySchema
from ..core.errors import NotFound
from ..core.market import market_status
from ..core.markets import markets

blp = Blueprint("products", __name__, url_prefix="/v1", description="The product catalog.")


@blp.route("/products", methods=["GET"])
@blp.arguments(ProductQuerySchema(), location="query", unknown=RAISE)
@blp.response(200, ProductPageSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def list_products(query: dict):
    """Products, filtered by category and vegan, paged with limit and offset.

    An unknown query parameter is refused (422 naming it), as on the other GETs.
    ---
    Session 18 review F3: `?categroy=iron` served the whole catalog. `unknown=RAISE` (on both
    product GETs) overrides the schemas' EXCLUDE (TolerantQuerySchema), webargs' default."""
    return jsonify(current_app.extensions["dosewise"].products(**query))


@blp.route("/products/<string:sku>", methods=["GET"])
@blp.arguments(ProductOneQuerySchema(), location="query", unknown=RAISE)
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def get_product(query: dict, sku: str):
    """One product by SKU (its `name` in `locale`, as the list gives it, and `names` in every
    locale), with `markets`: per served market whether it may be sold there, and why not (the
    market law the recommender applies, guarantee 8)."""
    service = current_app.extensions["dosewise"]
    snapshot = service.snapshot  # before the product: a reload between them keeps the SKU
    body = service.product(sku, query.get("locale"))
    index = snapshot.catalog.index.get(sku)
    if index is None:  # the SKU came with a reload after `snapshot` was read
        raise NotFound(f"no product with SKU {sku!r}")
    body["markets"] = market_status(snapshot.catalog, snapshot.reference, markets().served, index)
    return jsonify(body)
