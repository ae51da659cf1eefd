"""Celery workers: precompute customers' recommendations into Redis, batch refreshes, schedule."""
