"""GET /v1/products and GET /v1/products/{sku}."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint

from ..contract.responses import ContractErrorSchema, ProductPageSchema, ProductSchema
from ..contract.schemas import ProductQuerySchema

blp = Blueprint("products", __name__, url_prefix="/v1", description="The product catalog.")


@blp.route("/products", methods=["GET"])
@blp.arguments(ProductQuerySchema(), location="query")
@blp.response(200, ProductPageSchema)
@blp.alt_response(422, schema=ContractErrorSchema)
def list_products(query: dict):
    """Products, filtered by category and vegan, paged with limit and offset."""
    return jsonify(current_app.extensions["dosewise"].products(**query))


@blp.route("/products/<string:sku>", methods=["GET"])
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ContractErrorSchema)
def get_product(sku: str):
    """One product by SKU."""
    return jsonify(current_app.extensions["dosewise"].product(sku))
