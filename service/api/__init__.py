"""The HTTP layer: Flask app factory, marshmallow schemas, endpoints. Does only HTTP things."""
