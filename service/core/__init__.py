"""The core: turns a profile into a ranked, safe, explained list.

Imports neither Flask nor Celery: the web layer, the workers and the CLI all call it.
"""
