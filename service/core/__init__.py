"""The core: turns a profile into a ranked, safe, explained list. Imports neither Flask nor Celery."""
