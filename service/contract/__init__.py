"""The service's contract as data: the marshmallow schemas of requests and responses.

Transport-neutral (no Flask, no Celery): the HTTP API, the command line and the core's rule
tests validate with the very same schemas.
"""
