"""Known customers: stored profiles, precomputed lists in Redis, batch refresh.

Transport-neutral like the core: the web layer, the Celery tasks and the CLI all call it.
"""
